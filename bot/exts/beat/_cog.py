"""`!beat` / `/beat`: parse, hand the request to the beat service, answer stale buttons."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import LoggedFailure
from bot.exts.beat._flags import BeatFlags
from bot.exts.beat._origin import ContextOrigin
from bot.exts.beat._service import BeatService
from bot.exts.beat._view import token_of
from bot.text import NO_PINGS
from engine.beat.request import ANY_STYLE, AUTO_KIT, check_primer_size
from engine.errors import BadPrimer

if TYPE_CHECKING:
    from bot.app import BeatBot

MIDI_SUFFIXES = (".mid", ".midi")
MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""
REPLAY = re.compile(r"`([^`]*beat [^`]*)`")


class BeatCog(commands.Cog, name="Beats"):
    """Drum beats on request."""

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot
        self.service = BeatService(bot)

    @commands.hybrid_command(name="beat")
    @app_commands.describe(primer="a drum .mid file to continue (256 KB at most)")
    async def beat(self, ctx: commands.Context, primer: discord.Attachment | None = None, *,
                   flags: BeatFlags) -> None:
        """Make a drum beat, e.g. `!beat bpm=85 bars=8 style=trap`. Attach a .mid to continue it."""
        request = flags.to_request(self.bot.settings)
        if primer is not None:
            request = replace(request, primer=await read_primer(primer))
        await self.service.serve(ContextOrigin(ctx), request)

    @beat.autocomplete("style")
    async def _style_choices(self, interaction: discord.Interaction, current: str
                             ) -> list[app_commands.Choice[str]]:
        return _choices((ANY_STYLE, *self.bot.maker.styles), current)

    @beat.autocomplete("kit")
    async def _kit_choices(self, interaction: discord.Interaction, current: str
                           ) -> list[app_commands.Choice[str]]:
        return _choices((AUTO_KIT, *self.bot.maker.kit_names), current)

    async def drain(self, timeout: float) -> bool:
        """Stop taking beat requests; wait up to `timeout` s for those in flight.

        Returns:
            True when none is left in flight.
        """
        return await self.service.drain(timeout)

    async def cog_command_error(self, ctx: commands.Context, error: Exception) -> None:
        """Log `beat` requests refused before the service saw them (bad flags, bad primer).

        The bot's error handler still answers the user.
        """
        if ctx.command is self.beat and not isinstance(error, LoggedFailure):
            record = self.service.record_for(ContextOrigin(ctx))
            self.service.note_failure(record, error)
            await self.service.log(record)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer presses of buttons whose view is gone (timed out, or the bot restarted)."""
        if interaction.type is not discord.InteractionType.component:
            return
        token = token_of(str((interaction.data or {}).get("custom_id", "")))
        if token is None or token in self.service.live_views:
            return
        await interaction.response.send_message(self._stale_text(interaction), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    def _stale_text(self, interaction: discord.Interaction) -> str:
        minutes = round(self.bot.settings.button_timeout_s / 60)
        text = (f"These buttons have expired (they work for {minutes} min and stop when the bot"
                " restarts).")
        embeds = interaction.message.embeds if interaction.message else []
        found = REPLAY.search(embeds[0].description or "") if embeds else None
        if found:
            text += f" Make it again with `{found.group(1)}`."
        return text


async def read_primer(attachment: discord.Attachment) -> bytes:
    """Download a primer attachment, checking its name and size first.

    Raises:
        BadPrimer: not a .mid file, empty, or it could not be downloaded.
        BadValue: larger than PRIMER_MAX_BYTES (checked before downloading, and after).
    """
    if not attachment.filename.lower().endswith(MIDI_SUFFIXES):
        raise BadPrimer("attach a drum .mid file to continue it")
    check_primer_size(attachment.size)
    if attachment.size == 0:
        raise BadPrimer("the file is empty")
    try:
        data = await attachment.read()
    except discord.HTTPException as error:
        raise BadPrimer(f"it could not be downloaded (HTTP {error.status}); attach it "
                        "again") from error
    check_primer_size(len(data))  # the size Discord announced may be wrong
    return data


def _choices(names: tuple[str, ...], current: str) -> list[app_commands.Choice[str]]:
    current = current.lower()
    matches = [name for name in names if current in name.lower()]
    return [app_commands.Choice(name=name, value=name) for name in matches[:MAX_CHOICES]]
