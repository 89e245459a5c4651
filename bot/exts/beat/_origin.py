"""Where a beat request came from, and how to answer it: a command context or a button press."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import discord
from discord.ext import commands

from bot.text import NO_PINGS

log = logging.getLogger(__name__)


class Origin(Protocol):
    """What the beat service needs from whoever asked.

    Attributes:
        source: `prefix`, `slash`, or the button (`regenerate`, `variation`, `extend`).
        user: who asked.
        guild_id: the guild, or None in DMs.
        channel_id: the channel.
        received: `time.perf_counter()` when the request arrived.
        filesize_limit: the most bytes one message may upload here.
    """

    source: str
    user: discord.abc.User
    guild_id: int | None
    channel_id: int | None
    received: float
    filesize_limit: int

    def working(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Show that work is under way (typing, or a deferred "thinking" reply)."""
        ...

    async def notice(self, position: int) -> None:
        """Say the request is waiting in line at `position` (1 is next)."""
        ...

    async def deliver(self, **kwargs: Any) -> discord.Message:
        """Post the beat (send kwargs: content, embed, files, view) as one message."""
        ...

    async def withdraw(self) -> None:
        """Remove the queue notice of a request that failed (its error line follows)."""
        ...

    def missing_permissions(self) -> tuple[str, ...]:
        """The channel permissions a beat needs that the bot lacks here, by their names in
        Discord's settings (`Attach Files`)."""
        ...


POSTING = ("attach_files", "embed_links")
"""What any beat needs: its files, and its embed (the grid and the settings)."""
REPLYING = ("send_messages", "read_message_history")
"""What a reply in the channel needs besides (a `!beat`; interactions answer by webhook).
Send Messages comes first: in a thread it is Send Messages in Threads."""


def missing(permissions: discord.Permissions, needed: tuple[str, ...]) -> tuple[str, ...]:
    """The names (`Attach Files`) of the `needed` permission flags `permissions` lacks."""
    return tuple(name.replace("_", " ").title() for name in needed
                 if not getattr(permissions, name))


def _queued_text(position: int) -> str:
    return f"Queued: position {position}. Your beat starts when a drummer is free."


def _limit(guild: discord.Guild | None) -> int:
    return guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


class _Posting:
    """What both origins do the same way: a queue notice, then the beat, each through
    `_send`, and the notice removed once the beat (or the error line) is posted."""

    _notice: discord.Message | None = None

    async def _send(self, **kwargs: Any) -> discord.Message:
        raise NotImplementedError

    async def notice(self, position: int) -> None:
        """Post the place in line; it is deleted once the beat is posted."""
        self._notice = await self._send(content=_queued_text(position))

    async def deliver(self, **kwargs: Any) -> discord.Message:
        """Post the beat, then remove the queue notice."""
        message = await self._send(**kwargs)
        await self.withdraw()
        return message

    async def withdraw(self) -> None:
        """Delete the queue notice, if one was posted."""
        notice, self._notice = self._notice, None
        await _delete_quietly(notice)


class ContextOrigin(_Posting):
    """A `!beat` or `/beat` invocation (a hybrid command context)."""

    def __init__(self, ctx: commands.Context) -> None:
        self.ctx = ctx
        self.source = "slash" if ctx.interaction else "prefix"
        self.user = ctx.author
        self.guild_id = ctx.guild.id if ctx.guild else None
        self.channel_id = ctx.channel.id if ctx.channel else None
        self.received = time.perf_counter()
        self.filesize_limit = _limit(ctx.guild)

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Typing for `!beat`, a deferred reply for `/beat`; a refused typing call is skipped."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self.ctx.typing())
            except discord.HTTPException as error:  # the beat matters more than the dots
                log.warning("could not show typing: %s", error)
            yield

    async def _send(self, **kwargs: Any) -> discord.Message:
        """A reply to the request (even if it was deleted), pinging nobody."""
        return await self.ctx.send(**kwargs, allowed_mentions=NO_PINGS, **self._reply_to())

    def missing_permissions(self) -> tuple[str, ...]:
        """What the bot lacks in this channel to post a beat (a slash reply needs no more
        than any interaction answer)."""
        if self.ctx.interaction:
            return missing(self.ctx.interaction.app_permissions, POSTING)
        needed = REPLYING + POSTING
        if isinstance(self.ctx.channel, discord.Thread):  # threads have a send flag of their own
            needed = ("send_messages_in_threads", *needed[1:])
        return missing(self.ctx.bot_permissions, needed)

    def _reply_to(self) -> dict[str, Any]:
        """A reply without a ping says whose request a message answers in a busy channel."""
        if self.ctx.interaction:
            return {}
        return {"reference": self.ctx.message.to_reference(fail_if_not_exists=False),
                "mention_author": False}


class InteractionOrigin(_Posting):
    """A press of one of the buttons under a beat."""

    def __init__(self, interaction: discord.Interaction, source: str) -> None:
        self.interaction = interaction
        self.source = source
        self.user = interaction.user
        self.guild_id = interaction.guild_id
        self.channel_id = interaction.channel_id
        self.received = time.perf_counter()
        self.filesize_limit = _limit(interaction.guild)

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Defer with "thinking…", which the first follow-up replaces."""
        if not self.interaction.response.is_done():
            await self.interaction.response.defer(thinking=True)
        yield

    async def _send(self, **kwargs: Any) -> discord.Message:
        """A follow-up (the first replaces "thinking…"), pinging nobody."""
        return await self.interaction.followup.send(**kwargs, allowed_mentions=NO_PINGS,
                                                    wait=True)

    def missing_permissions(self) -> tuple[str, ...]:
        """What the bot's answers to this interaction lack to carry a beat."""
        return missing(self.interaction.app_permissions, POSTING)


async def _delete_quietly(message: discord.Message | None) -> None:
    if message is not None:
        with contextlib.suppress(discord.HTTPException):
            await message.delete()
