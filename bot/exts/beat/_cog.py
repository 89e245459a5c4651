"""`!beat` / `/beat`: parse, hand the request to the beat service; the buttons' dynamic items."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import LoggedFailure
from bot.exts.beat._flags import BeatFlags
from bot.exts.beat._origin import ContextOrigin
from bot.exts.beat._orphans import OrphanAnswers
from bot.exts.beat._service import BeatService
from bot.exts.beat._view import BeatButton, PartMenu
from engine.beat.request import ANY_STYLE, AUTO_KIT, check_primer_size
from engine.errors import BadPrimer

if TYPE_CHECKING:
    from bot.app import BeatBot

MIDI_SUFFIXES = (".mid", ".midi")
MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""


class BeatCog(commands.Cog, name="Beats"):
    """Drum beats on request."""

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot
        self.service = BeatService(bot)

    async def cog_load(self) -> None:
        """Let the buttons under any beat this bot ever posted be pressed."""
        self.bot.beats = self.service
        self.bot.add_dynamic_items(BeatButton, PartMenu)
        if hasattr(self.bot.jobs, "on_orphan"):  # a queue: answer for dead bots' jobs too
            self.bot.jobs.on_orphan = OrphanAnswers(self.bot)

    async def cog_unload(self) -> None:
        """Stop answering the buttons."""
        self.bot.remove_dynamic_items(BeatButton, PartMenu)
        self.bot.beats = None

    @commands.hybrid_command(name="beat")
    @app_commands.describe(primer="a drum .mid file to continue (256 KB at most)",
                           follow="a .mid of any instrument (a bass line, a riff): drums that "
                                  "follow its rhythm")
    async def beat(self, ctx: commands.Context, primer: discord.Attachment | None = None,
                   follow: discord.Attachment | None = None, *, flags: BeatFlags) -> None:
        """Make a drum beat, e.g. `!beat bpm=85 bars=8 style=trap`. Attach a .mid to continue
        it, or to follow it with `follow=yes`."""
        if flags.wants_help:
            await ctx.send_help(ctx.command)
            return
        request = flags.to_request(self.bot.settings)
        if not ctx.interaction:  # `!beat`: the message's .mid, a primer or (follow=yes) not
            primer, follow = midi_attachment(ctx.message.attachments), None
        if primer is not None:
            request = replace(request, primer=await read_primer(primer))
        if follow is not None:
            request = replace(request, follow=await read_primer(follow))
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


def midi_attachment(attachments: list[discord.Attachment]) -> discord.Attachment | None:
    """The first .mid among a message's attachments; else the first attachment (refused
    later with a line saying what to attach), or None."""
    found = [a for a in attachments if a.filename.lower().endswith(MIDI_SUFFIXES)]
    return (found or attachments or [None])[0]


async def read_primer(attachment: discord.Attachment) -> bytes:
    """Download a primer attachment, checking its name and size first.

    Raises:
        BadPrimer: not a .mid file, empty, or it could not be downloaded.
        BadValue: larger than PRIMER_MAX_BYTES (checked before downloading, and after).
    """
    if not attachment.filename.lower().endswith(MIDI_SUFFIXES):
        raise BadPrimer("attach a drum .mid file to continue it (or any instrument's .mid "
                        "with follow=yes)")
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
