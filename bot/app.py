"""The Bot subclass, the factory that wires it up, and the coroutine that runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.errors import ShuttingDown
from bot.help import BeatHelp
from bot.jobs import BeatJobs, JobQueue, LocalJobs
from bot.metrics import Metrics
from bot.requestlog import Database, spill_path
from bot.settings import Settings
from bot.text import NO_PINGS
from engine.beat.maker import SOUNDFONT_DIR, BeatMaker
from engine.beat.syntax import clean

if TYPE_CHECKING:
    from bot.exts.beat._service import BeatService

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.exts.error_handler", "bot.exts.beat", "bot.exts.info", "bot.exts.history")
"""Loaded in order in `setup_hook`; the error handler first, so it sees every later error."""
SHUTDOWN_GRACE_S = 30.0
"""How long a shutdown waits for the requests in flight to be answered."""
LOG_RETRY_S = 10.0
"""How often request-log rows that could not be written are tried again."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class BeatBot(commands.AutoShardedBot):
    """The Discord bot. Everything it uses is built elsewhere and handed in.

    It is auto-sharded: one process runs every shard Discord asks for, or the
    `shard_ids` of `shard_count` in the settings, so that several processes split them.

    Args:
        settings: the typed settings.
        maker: the loaded engine (model, kits, synth), shared by every request.
        database: the request log.
        executor: this process's worker threads, off the event loop.
        jobs: where beats are made (the workers behind a Redis queue); None makes them on
            `executor` (LocalJobs).
        metrics: this process's Prometheus metrics (a fresh set, not served, when None).

    Closing the bot writes the request log out, closes it, and shuts the executor down.
    `shutdown()` (what SIGTERM runs) first lets the requests in flight finish.
    """

    def __init__(self, settings: Settings, maker: BeatMaker, database: Database,
                 executor: ThreadPoolExecutor, jobs: BeatJobs | None = None,
                 metrics: Metrics | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # prefix commands read the text
        super().__init__(command_prefix=commands.when_mentioned_or(settings.prefix),
                         intents=intents, allowed_mentions=NO_PINGS,
                         help_command=BeatHelp(), case_insensitive=True,
                         shard_count=settings.shard_count, shard_ids=settings.shard_ids)
        self.settings = settings
        self.maker = maker
        self.database = database
        self.executor = executor
        self.jobs = jobs or LocalJobs(maker, JobQueue(executor, settings.workers,
                                                      settings.queue_size,
                                                      respawn=self.replace_executor), settings)
        self.beats: BeatService | None = None
        """Makes and posts beats; the beat extension sets it when it loads."""
        self.metrics = metrics or Metrics()
        self.metrics.watch(self.metrics.log_rows_waiting, lambda: len(database.pending))
        if hasattr(self.jobs, "watch"):  # each back end says how deep its line is
            self.jobs.watch(self.metrics)
        self.closing = False
        self.shutdown_task: asyncio.Task[bool] | None = None

    async def get_context(self, origin: discord.Message | discord.Interaction, /, *,
                          cls: type[commands.Context] = commands.Context) -> commands.Context:
        """discord.py's context, for a message read as its author meant it: invisible
        characters (zero-width spaces, BOMs) gone, odd spaces plain, so `!beat` after a
        zero-width space is still `!beat`."""
        if isinstance(origin, discord.Message) and origin.content:
            origin.content = clean(origin.content).strip()
        return await super().get_context(origin, cls=cls)

    async def setup_hook(self) -> None:
        """Load the extensions, start the log retry, sync slash commands (if configured)."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.retry_log.start()
        if self.settings.sync_commands:
            try:
                await self.sync_commands()
            except discord.HTTPException as error:  # the bot still works with prefix commands
                log.warning(sync_refused_line(error, self.settings))

    async def sync_commands(self) -> None:
        """Publish the slash commands: instantly to `guild_id`, else globally (slow to show)."""
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d slash commands %s", len(synced),
                 f"to guild {guild.id}" if guild else "globally")

    async def on_ready(self) -> None:
        """Log who we are, and which shards this process runs."""
        log.info("ready as %s in %d guilds on shards %s of %s; model %s", self.user,
                 len(self.guilds), sorted(self.shards), self.shard_count,
                 self.maker.generator.name)
        self.metrics.up.set(1)

    @tasks.loop(seconds=LOG_RETRY_S)
    async def retry_log(self) -> None:
        """Write request-log rows that waited while the database was locked or read-only."""
        if not self.database.pending:
            return
        try:
            await self.database.flush()
        except Exception:  # a surprise must not end the loop: the rows still need writing
            log.exception("retrying the request log failed")

    def replace_executor(self) -> ThreadPoolExecutor:
        """A fresh executor for one found shut down or broken (the old one is let go).

        Raises:
            ShuttingDown: the bot itself is closing, which is why the executor is gone.
        """
        if self.closing:
            raise ShuttingDown()
        self.executor.shutdown(wait=False)
        self.executor = make_executor(self.settings)
        return self.executor

    def handle_signals(self) -> None:
        """Make SIGTERM and SIGINT run `shutdown()` (call from inside the running loop)."""
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still stops it
                loop.add_signal_handler(number, self._on_signal, number)

    def _on_signal(self, number: int) -> None:
        name = signal.Signals(number).name
        if self.shutdown_task is not None:
            log.warning("%s: already shutting down", name)
            return
        log.info("%s: shutting down", name)
        self.shutdown_task = asyncio.get_running_loop().create_task(self.shutdown())

    async def shutdown(self, grace_s: float = SHUTDOWN_GRACE_S) -> bool:
        """Take no new requests, give those in flight `grace_s` seconds to finish, then close.

        Returns:
            True when every request in flight was answered in time.
        """
        drains = [cog.drain(grace_s) for cog in self.cogs.values() if hasattr(cog, "drain")]
        finished = all(await asyncio.gather(*drains))
        if not finished:
            log.warning("shutdown: requests still running after %.0f s are dropped", grace_s)
        await self.close()
        log.info("stopped%s", "" if finished else " (some requests were not finished)")
        return finished

    async def close(self) -> None:
        """Log out, then write out and close the request log, let go of the jobs back end,
        and stop the executor."""
        self.closing = True
        self.metrics.up.set(0)
        self.retry_log.stop()  # after a write in progress, never in the middle of one
        try:
            await super().close()
        finally:
            await self.database.close()
            await self.jobs.close()
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.metrics.stop()


def sync_refused_line(error: discord.HTTPException, settings: Settings) -> str:
    """One line for slash commands Discord would not take: the server's own reason first and
    whole, then the likely fixes for that refusal, and that the bot runs on without them."""
    where = f"to guild {settings.guild_id}" if settings.guild_id else "globally"
    reason = " ".join((error.text or "no reason given").split())
    if error.status in (403, 404):
        guild = (f"check BEATBOT_GUILD_ID={settings.guild_id} (the bot must be in that "
                 "server), and " if settings.guild_id else "")
        fixes = f"{guild}invite the bot with the applications.commands scope"
    elif error.status == 400:
        fixes = ("the server refused the commands themselves: check that it takes every "
                 "option type /beat uses")
    else:
        fixes = "it may be a passing fault: restart the bot later to try again"
    return (f"Discord refused the slash commands {where}: HTTP {error.status}: {reason}. "
            f"Likely fix: {fixes}. Running without slash commands; {settings.prefix}beat "
            "still works.")


def make_executor(settings: Settings) -> ThreadPoolExecutor:
    """The worker threads beats are made on."""
    return ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="beatbot-make")


def load_maker(settings: Settings) -> BeatMaker:
    """Load the engine once (blocking: the model, every kit and the synth).

    Raises:
        EngineError: the model file is missing or corrupt (ModelError).
        OSError: the soundfont folder or its kits.json is missing.
        ValueError: kits.json is malformed.
    """
    return BeatMaker.load(settings.model_path, settings.soundfont_dir or SOUNDFONT_DIR)


async def create_bot(settings: Settings, maker: BeatMaker | None = None) -> BeatBot:
    """Build the database, the executor, the jobs back end and (unless given) the engine, and
    the bot around them. With `queue_url` set, beats go to `beatbot worker` processes.

    Args:
        settings: the typed settings.
        maker: an already loaded engine to share (tests pass one); loaded here when None.
    """
    log.info("starting with %s", settings)  # SecretStr shows the token as ********
    executor = make_executor(settings)
    if maker is None:
        maker = await asyncio.get_running_loop().run_in_executor(executor, load_maker, settings)
    database = await Database.open(settings.log_target, spill_path(settings.database))
    jobs = None
    if settings.queue_url is not None:
        from bot.jobs import RedisJobs  # redis and arq are loaded only with a queue

        jobs = RedisJobs.connect(settings)
    metrics = Metrics()
    metrics.serve(settings.metrics_port)
    return BeatBot(settings, maker, database, executor, jobs, metrics)


async def run_bot(settings: Settings, maker: BeatMaker | None = None) -> None:
    """Build the bot and run it until it is stopped (SIGTERM or SIGINT shut it down cleanly).

    Args:
        settings: the typed settings (with a token).
        maker: the engine, loaded before this so that a bad model fails before logging in.
    """
    assert settings.token is not None
    bot = await create_bot(settings, maker)
    bot.handle_signals()
    async with bot:
        await bot.start(settings.token.get_secret_value())
    if bot.shutdown_task is not None:
        await bot.shutdown_task
