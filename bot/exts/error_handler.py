"""The bot's one error handler: every command, slash command and button error becomes one line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.answers import answer_for, describe
from bot.errors import unwrap
from bot.text import NO_PINGS, one_line

if TYPE_CHECKING:
    from bot.app import BeatBot

log = logging.getLogger(__name__)


class ErrorHandler(commands.Cog):
    """Answers errors with one line; logs the unexpected ones with their traceback."""

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot
        self._previous_tree_handler = bot.tree.on_error

    async def cog_load(self) -> None:
        """Take over the command tree's error hook (slash commands, autocomplete, buttons)."""
        self.bot.tree.on_error = self.on_app_command_error

    async def cog_unload(self) -> None:
        """Give the tree its previous error hook back."""
        self.bot.tree.on_error = self._previous_tree_handler

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: Exception) -> None:
        """Answer a prefix or hybrid command error."""
        line = self._line(error, f"command {ctx.command}")
        if line is None:
            return
        # A reply (without a ping) says whose request it answers in a busy channel.
        reference = None if ctx.interaction else ctx.message.to_reference(fail_if_not_exists=False)
        try:
            await ctx.send(line, ephemeral=ctx.interaction is not None, reference=reference,
                           mention_author=False, allowed_mentions=NO_PINGS)
        except discord.Forbidden as failure:  # the channel refuses us: say it where we can
            log.warning("could not send an error line in the channel: %s", failure)
            await self._elsewhere(ctx, line)
        except discord.HTTPException as failure:
            log.warning("could not send an error line: %s", failure)

    @staticmethod
    async def _elsewhere(ctx: commands.Context, line: str) -> None:
        """Send a line the channel refused: plainly in the channel (a reply needs Read
        Message History), else in a direct message."""
        try:
            await ctx.channel.send(line, allowed_mentions=NO_PINGS)
            return
        except discord.HTTPException:
            pass
        where = f" (in #{ctx.channel})" if ctx.guild else ""
        try:
            await ctx.author.send(one_line(line + where), allowed_mentions=NO_PINGS)
        except discord.HTTPException as failure:
            log.warning("could not send an error line anywhere: %s", failure)

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: BaseException) -> None:
        """Answer an application command, autocomplete or component error."""
        line = self._line(error, f"interaction {interaction.data!r:.80}")
        if line is None or interaction.type is discord.InteractionType.autocomplete:
            return
        try:
            if interaction.response.is_done():
                await interaction.followup.send(line, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(line, ephemeral=True,
                                                        allowed_mentions=NO_PINGS)
        except discord.HTTPException as failure:
            log.warning("could not send an error line: %s", failure)

    @staticmethod
    def _line(error: BaseException, where: str) -> str | None:
        if not answer_for(error).expected:
            original = unwrap(error)
            log.error("unexpected error in %s", where,
                      exc_info=(type(original), original, original.__traceback__))
        line = describe(error)
        return None if line is None else one_line(line)  # one line, bounded, nothing pings


async def setup(bot: BeatBot) -> None:
    """Load the error handler."""
    await bot.add_cog(ErrorHandler(bot))

