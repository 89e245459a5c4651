"""`!styles` and `!kits`: what a beat can be asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.text import NO_PINGS, one_line
from engine.beat.request import ANY_STYLE, AUTO_KIT

if TYPE_CHECKING:
    from bot.app import BeatBot



class Info(commands.Cog):
    """Lists of styles and kits."""

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="styles")
    async def styles(self, ctx: commands.Context) -> None:
        """List the styles the model knows."""
        names = ", ".join(f"`{name}`" for name in self.bot.maker.styles)
        await ctx.send(f"Styles: {names}, or `{ANY_STYLE}` (the default). Model: "
                       f"{one_line(self.bot.maker.generator.name, 120)}.",
                       allowed_mentions=NO_PINGS)

    @commands.hybrid_command(name="kits")
    async def kits(self, ctx: commands.Context) -> None:
        """List the drum kits."""
        lines = [f"`{kit.name}`: {one_line(kit.description, 100)}".rstrip(": ")
                 for kit in self.bot.maker.kits.values()]
        lines.append(f"`{AUTO_KIT}` (the default) picks one that suits the style.")
        await ctx.send("Kits:\n" + "\n".join(lines), allowed_mentions=NO_PINGS)


    @app_commands.command(name="help")
    @app_commands.describe(command="a command to explain; beat lists every key")
    async def slash_help(self, interaction: discord.Interaction,
                         command: str | None = None) -> None:
        """What the bot can do: the same as the prefix help command."""
        ctx = await commands.Context.from_interaction(interaction)
        name = command.strip() if command else ""
        if name and self.bot.get_command(name) is None and self.bot.get_cog(name) is None:
            # send_help says nothing for a name it can't find; say what `!help name` says
            helper = self.bot.help_command
            line = helper.command_not_found(helper.remove_mentions(name))
            await ctx.send(one_line(line), allowed_mentions=NO_PINGS, ephemeral=True)
            return
        await ctx.send_help(*([name] if name else []))


async def setup(bot: BeatBot) -> None:
    """Load the Info cog."""
    await bot.add_cog(Info(bot))
