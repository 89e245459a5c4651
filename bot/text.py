"""Making user-supplied text safe to show: no pings, no markdown tricks, bounded length."""

from __future__ import annotations

import re

import discord

from engine.errors import SHOWN_LIMIT, shown

NO_PINGS = discord.AllowedMentions.none()
"""Every message the bot sends mentions nobody (also the bot-wide default)."""
INLINE_LIMIT = SHOWN_LIMIT
"""Longest piece of user text echoed back, in characters."""
LINE_LIMIT = 200
"""Longest one-line answer (an error or a note), in characters."""
ZERO_WIDTH_SPACE = "\u200b"
_AT = re.compile(f"@(?!{ZERO_WIDTH_SPACE})")


def truncate(text: str, limit: int = INLINE_LIMIT) -> str:
    """Cut `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def defuse(text: str) -> str:
    """Break every `@` with a zero-width space, so no `@everyone`, `@here`, `<@id>` or
    `<@&role>` in the text can be read as a mention (allowed_mentions is the other guard)."""
    return _AT.sub("@" + ZERO_WIDTH_SPACE, text)


def _bounded(text: str, limit: int) -> str:
    """Defuse, then cut to `limit` without leaving a bare `@` before the ellipsis."""
    text = defuse(text)
    if len(text) <= limit:
        return text
    return text[: limit - 1].removesuffix("@") + "…"


def inline(value: object, limit: int = INLINE_LIMIT) -> str:
    """Render user text for an inline code span: one line, no backticks, no mentions."""
    return _bounded(shown(value, limit=10**6), limit)


def code(value: object) -> str:
    """User text or a key as an inline code span (the bot's way to quote in error lines)."""
    return f"`{inline(value)}`"


def plain(value: object, limit: int = INLINE_LIMIT) -> str:
    """Render user text as plain message text: one line, markdown and mentions escaped."""
    text = truncate(" ".join(str(value).split()), limit)
    return defuse(discord.utils.escape_markdown(text))


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """Squash a message to one line of at most `limit` characters, mentions defused."""
    return _bounded(" ".join(text.split()), limit)
