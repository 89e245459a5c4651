"""Making user-supplied text safe to show: no pings, no markdown tricks, bounded length."""

from __future__ import annotations

import discord

INLINE_LIMIT = 40
"""Longest piece of user text echoed back, in characters."""


def truncate(text: str, limit: int = INLINE_LIMIT) -> str:
    """Cut `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def inline(value: object, limit: int = INLINE_LIMIT) -> str:
    """Render user text for an inline code span: one line, no backticks, no mentions."""
    text = " ".join(str(value).split()).replace("`", "ˋ")
    return discord.utils.escape_mentions(truncate(text, limit))


def plain(value: object, limit: int = INLINE_LIMIT) -> str:
    """Render user text as plain message text: one line, markdown and mentions escaped."""
    text = truncate(" ".join(str(value).split()), limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def one_line(text: str, limit: int = 300) -> str:
    """Squash a message to one line of at most `limit` characters, mentions escaped."""
    return discord.utils.escape_mentions(truncate(" ".join(text.split()), limit))
