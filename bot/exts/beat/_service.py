"""From a request to a posted beat: admission, the job queue, the reply, the request log."""

from __future__ import annotations

import contextlib
import logging
import time
from functools import partial
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.database import RequestRecord
from bot.errors import AlreadyMaking, LoggedFailure, describe, is_expected, outcome_of
from bot.exts.beat._origin import InteractionOrigin, Origin
from bot.exts.beat._reply import build_reply
from bot.exts.beat._view import BeatView
from bot.jobs import JobQueue
from engine.beatmaker import Beat
from engine.request import BeatRequest

if TYPE_CHECKING:
    from bot.app import BeatBot

log = logging.getLogger(__name__)

STAGES = ("generate", "render", "encode")
"""Engine timings (Beat.timings_ms keys) that get their own log column."""
ERROR_TEXT_LIMIT = 500


def _user_key(user_id: int) -> int:
    return user_id


class BeatService:
    """Makes and posts beats for the cog and the buttons; one per bot.

    Args:
        bot: supplies the settings, the BeatMaker, the database and the executor.
    """

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.maker = bot.maker
        self.database = bot.database
        self.queue = JobQueue(bot.executor, bot.settings.workers, bot.settings.queue_size)
        self.cooldowns: commands.CooldownMapping[int] | None = None
        if bot.settings.cooldown_s > 0:
            self.cooldowns = commands.CooldownMapping.from_cooldown(
                bot.settings.cooldown_rate, bot.settings.cooldown_s, _user_key)
        self.making: set[int] = set()
        self.live_views: dict[str, BeatView] = {}

    async def serve(self, origin: Origin, request: BeatRequest) -> None:
        """Make the beat for `request` and post it; every outcome is logged.

        Raises:
            LoggedFailure: wrapping the reason it failed (already written to the log).
        """
        record = self.record_for(origin)
        record.params = request.params()
        try:
            await self._serve(origin, request, record)
            record.outcome = "ok"
        except Exception as error:
            self.note_failure(record, error)
            raise LoggedFailure(error) from error
        finally:
            record.total_ms = (time.perf_counter() - origin.received) * 1000
            await self.log(record)

    async def serve_press(self, interaction: discord.Interaction, action: str,
                          request: BeatRequest) -> None:
        """Serve a button press (see BeatView)."""
        await self.serve(InteractionOrigin(interaction, action), request)

    async def log(self, record: RequestRecord) -> None:
        """Write a request to the log; a failing log never costs the user their answer."""
        log.info("%s from user %s: %s seed=%s in %.0f ms", record.source, record.user_id,
                 record.outcome, record.seed, record.total_ms or 0.0)
        try:
            await self.database.log(record)
        except Exception:
            log.exception("could not write the request log")

    def record_for(self, origin: Origin) -> RequestRecord:
        """A fresh log row for a request from `origin`."""
        return RequestRecord(user_id=origin.user.id, guild_id=origin.guild_id,
                             channel_id=origin.channel_id, source=origin.source)

    @staticmethod
    def note_failure(record: RequestRecord, error: BaseException) -> None:
        """Fill in a log row's outcome and error text from an error."""
        record.outcome = outcome_of(error)
        text = describe(error) if is_expected(error) else f"{type(error).__name__}: {error}"
        record.error = (text or type(error).__name__)[:ERROR_TEXT_LIMIT]

    async def _serve(self, origin: Origin, request: BeatRequest, record: RequestRecord) -> None:
        request = request.validated(self.maker.styles, self.maker.kit_names)
        record.params, record.seed = request.params(), request.seed
        self._admit(origin.user.id)
        self.making.add(origin.user.id)
        try:
            async with origin.working():
                ran = await self.queue.run(partial(self.maker.make, request), origin.notice)
                record.queue_ms = ran.wait_ms
                self._note_timings(record, ran.result)
                await self._post(origin, ran.result, record)
        finally:
            self.making.discard(origin.user.id)

    def _admit(self, user_id: int) -> None:
        """Refuse a second job, a full queue, or a user over their rate, in that order."""
        if user_id in self.making:
            raise AlreadyMaking()
        self.queue.check_room()
        bucket = self.cooldowns.get_bucket(user_id) if self.cooldowns else None
        retry_after = bucket.update_rate_limit() if bucket else None
        if bucket and retry_after:
            raise commands.CommandOnCooldown(bucket, retry_after, commands.BucketType.user)

    @staticmethod
    def _note_timings(record: RequestRecord, beat: Beat) -> None:
        record.params = beat.request.params()  # with the kit `auto` chose
        timings = beat.timings_ms
        record.generate_ms, record.render_ms, record.encode_ms = (
            timings.get(stage) for stage in STAGES)
        if beat.audio_error:
            record.error = beat.audio_error[:ERROR_TEXT_LIMIT]

    async def _post(self, origin: Origin, beat: Beat, record: RequestRecord) -> None:
        seconds = time.perf_counter() - origin.received
        reply = build_reply(beat, origin.user, seconds, origin.filesize_limit,
                            self.settings.prefix)
        view = BeatView(beat.request, beat.midi, self.serve_press, self.live_views,
                        self.settings.button_timeout_s)
        start = time.perf_counter()
        try:
            await origin.deliver(**reply.kwargs(), view=view)
        except BaseException:
            view.stop()
            raise
        finally:
            record.upload_ms = (time.perf_counter() - start) * 1000
            for file in reply.files:
                with contextlib.suppress(Exception):
                    file.close()
        view.register()
