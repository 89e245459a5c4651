"""The Bot subclass, the factory that wires it up, and the coroutine that runs it."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import discord
from discord.ext import commands

from bot.database import Database
from bot.help import BeatHelp
from bot.settings import Settings
from engine.beatmaker import SOUNDFONT_DIR, BeatMaker

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.exts.error_handler", "bot.exts.beat", "bot.exts.info", "bot.exts.history")
"""Loaded in order in `setup_hook`; the error handler first, so it sees every later error."""


class BeatBot(commands.Bot):
    """The Discord bot. Everything it uses is built elsewhere and handed in.

    Args:
        settings: the typed settings.
        maker: the loaded engine (model, kits, synth), shared by every request.
        database: the request log.
        executor: where beats are made, off the event loop.

    Closing the bot closes the database and shuts the executor down.
    """

    def __init__(self, settings: Settings, maker: BeatMaker, database: Database,
                 executor: ThreadPoolExecutor) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # prefix commands read the text
        super().__init__(command_prefix=commands.when_mentioned_or(settings.prefix),
                         intents=intents, allowed_mentions=discord.AllowedMentions.none(),
                         help_command=BeatHelp(), case_insensitive=True)
        self.settings = settings
        self.maker = maker
        self.database = database
        self.executor = executor

    async def setup_hook(self) -> None:
        """Load the extensions, then sync slash commands (to one guild when configured)."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Publish the slash commands: instantly to `guild_id`, else globally (slow to show)."""
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d slash commands %s", len(synced),
                 f"to guild {guild.id}" if guild else "globally")

    async def on_ready(self) -> None:
        """Log who we are."""
        log.info("ready as %s in %d guilds; model %s", self.user, len(self.guilds),
                 self.maker.generator.name)

    async def close(self) -> None:
        """Log out, then close the database and stop the executor."""
        try:
            await super().close()
        finally:
            await self.database.close()
            self.executor.shutdown(wait=False, cancel_futures=True)


def load_maker(settings: Settings) -> BeatMaker:
    """Load the engine once (blocking: the model, every kit and the synth)."""
    return BeatMaker.load(settings.model_path, settings.soundfont_dir or SOUNDFONT_DIR)


async def create_bot(settings: Settings, maker: BeatMaker | None = None) -> BeatBot:
    """Build the database, the executor and (unless given) the engine, and the bot around them.

    Args:
        settings: the typed settings.
        maker: an already loaded engine to share (tests pass one); loaded here when None.
    """
    log.info("starting with %s", settings)  # SecretStr shows the token as ********
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="beatbot-make")
    if maker is None:
        maker = await asyncio.get_running_loop().run_in_executor(executor, load_maker, settings)
    database = await Database.open(settings.database)
    return BeatBot(settings, maker, database, executor)


async def run_bot(settings: Settings) -> None:
    """Build the bot and run it until it is stopped."""
    assert settings.token is not None
    bot = await create_bot(settings)
    async with bot:
        await bot.start(settings.token.get_secret_value())
