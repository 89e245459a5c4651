"""`!history` (your last beats, with seeds to replay them) and `!stats` (today, for everyone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.text import NO_PINGS
from engine.beat.syntax import replay_text

if TYPE_CHECKING:
    from bot.app import BeatBot

HISTORY_LENGTH = 5


class History(commands.Cog):
    """Reads the request log."""

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="history")
    async def history(self, ctx: commands.Context) -> None:
        """Your last 5 beats, each with the line that replays it."""
        prefix = self.bot.settings.prefix  # also for /history: the lines are typed as !beat
        beats = await self.bot.database.history(ctx.author.id, HISTORY_LENGTH)
        if not beats:
            await ctx.send(f"No beats yet. Try `{prefix}beat`.", allowed_mentions=NO_PINGS)
            return
        lines = [f"{discord.utils.format_dt(beat.created_at, 'R')}: `{prefix}beat "
                 f"{replay_text(beat.params)}`{_primer_note(beat.params)}" for beat in beats]
        await ctx.send(f"Your last {_count(len(beats), 'beat')} (newest first); each line "
                       "replays one (same settings and `seed=`, same beat):\n" + "\n".join(lines),
                       allowed_mentions=NO_PINGS)

    @commands.hybrid_command(name="stats")
    async def stats(self, ctx: commands.Context) -> None:
        """Beats served today (UTC), the median time to a reply, and the top styles."""
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        stats = await self.bot.database.stats(midnight)
        p50 = f"{stats.p50_ms / 1000:.1f} s" if stats.p50_ms is not None else "n/a"
        top = ", ".join(f"{style} ({count})" for style, count in stats.top_styles) or "none yet"
        await ctx.send(f"Today: {_count(stats.beats, 'beat')} served "
                       f"({_count(stats.requests, 'request')}). "
                       f"Median time to reply: {p50}. Top styles: {top}.",
                       allowed_mentions=NO_PINGS)


def _primer_note(params: dict[str, object]) -> str:
    """For a beat that continued a MIDI file: the line replays it with that file attached."""
    return " (attach the same .mid)" if params.get("primer_bytes") else ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


async def setup(bot: BeatBot) -> None:
    """Load the History cog."""
    await bot.add_cog(History(bot))
