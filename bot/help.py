"""`!help`: the usual command list, and for `!help beat` a table of every key from FIELDS."""

from __future__ import annotations

from discord.ext import commands

from bot.text import NO_PINGS
from engine.beat.request import FIELDS, Field

SETTING_DEFAULTS = {"bpm": "default_bpm", "bars": "default_bars", "style": "default_style",
                    "kit": "default_kit", "format": "default_format"}
"""Keys whose default the bot's settings choose (instead of the engine's)."""


class BeatHelp(commands.MinimalHelpCommand):
    """MinimalHelpCommand, with a key table for commands that take beat settings."""

    def __init__(self) -> None:
        super().__init__(command_attrs={"help": "Show help; `help beat` lists every beat key."})

    def get_destination(self) -> commands.Context:
        """Answer where asked: the channel for `!help`, the interaction for `/help`."""
        return self.context

    async def send_command_help(self, command: commands.Command) -> None:
        """Show a key table for `beat`, the usual help for anything else."""
        if command.qualified_name != "beat":
            await super().send_command_help(command)
            return
        await self.get_destination().send(self.beat_help(), allowed_mentions=NO_PINGS)

    async def send_pages(self) -> None:
        """Send the pages without pinging anyone."""
        destination = self.get_destination()
        for page in self.paginator.pages:
            await destination.send(page, allowed_mentions=NO_PINGS)

    def beat_help(self) -> str:
        """The `help beat` text: usage, then one row per key with range, default and example,
        then the aliases and the controls under a beat."""
        prefix = getattr(self.context.bot, "settings", None)
        prefix = prefix.prefix if prefix else self.context.clean_prefix  # as typed, even in /help
        rows = [("key", "allowed", "default", "example")]
        listed = {"style": f"see {prefix}styles, or any", "kit": f"see {prefix}kits, or auto"}
        rows += [(f.key, listed.get(f.key, f.allowed), self._default(f), f.example)
                 for f in FIELDS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                 + "  " + row[3] for row in rows]
        table = "\n".join(line.rstrip() for line in lines)
        aliases = ", ".join(f"{alias}={f.key}" for f in FIELDS for alias in f.aliases)
        return (f"**{prefix}beat** key=value … (or **/beat**): make a drum beat. Every key is "
                "optional; attach a .mid to continue it (or to follow it: `follow=yes`).\n"
                f"```\n{table}\n```\n"
                f"Write `{FIELDS[0].example} {FIELDS[3].example}`: one `=`, no spaces. Also: "
                f"{aliases}. `groove` plays the drummer's learned timing (0: on the grid); "
                "`swing` adds on top; `humanize` loosens it. "
                f"See `{prefix}styles` and `{prefix}kits`.\n"
                "Under each beat: Regenerate, Variation, Extend; **Stems** (a zip, one file "
                "per drum: `stems=yes`); **New …** writes one part new around the rest "
                "(`then=new:hats:5`); **Mute …** leaves parts out (`mute=toms,cymbals`).")

    def _default(self, field: Field) -> str:
        settings = getattr(self.context.bot, "settings", None)
        value = getattr(settings, SETTING_DEFAULTS.get(field.key, ""), field.default)
        if value is None:
            return field.unset or "none"
        if value in ("", ()):
            return "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return f"{value:g}" if isinstance(value, float) else str(value)
