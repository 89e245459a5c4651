"""From a request to a posted beat: admission, the job queue, the reply, the request log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from functools import partial
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.database import Outcome, RequestRecord
from bot.errors import (
    AlreadyMaking,
    JobFailed,
    LoggedFailure,
    ShuttingDown,
    UploadFailed,
    answer_for,
    describe,
)
from bot.exts.beat._origin import InteractionOrigin, Origin
from bot.exts.beat._reply import Reply, build_reply
from bot.exts.beat._view import BeatView
from bot.jobs import JobQueue, Ran
from engine.beat.maker import Beat
from engine.beat.request import BeatRequest
from engine.errors import EngineError

if TYPE_CHECKING:
    from bot.app import BeatBot

log = logging.getLogger(__name__)

STAGES = ("generate", "render", "encode")
"""Engine timings (Beat.timings_ms keys) that get their own log column."""
ERROR_TEXT_LIMIT = 500
RETRIED_STATUSES = (413, 500, 502, 503, 504)
"""HTTP statuses of a refused upload that are worth one retry without the audio."""
TOO_LARGE_CODE = 40005
"""Discord's JSON error code for "Request entity too large" (sent with a 400)."""


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
        self.queue = JobQueue(bot.executor, bot.settings.workers, bot.settings.queue_size,
                              respawn=bot.replace_executor)
        self.cooldowns: commands.CooldownMapping[int] | None = None
        if bot.settings.cooldown_s > 0:
            self.cooldowns = commands.CooldownMapping.from_cooldown(
                bot.settings.cooldown_rate, bot.settings.cooldown_s, _user_key)
        self.making: set[int] = set()
        self.live_views: dict[str, BeatView] = {}
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def serve(self, origin: Origin, request: BeatRequest) -> None:
        """Make the beat for `request` and post it; every outcome is logged.

        Raises:
            LoggedFailure: wrapping the reason it failed (already written to the log).
        """
        record = self.record_for(origin)
        record.params = request.params()
        self._started()
        try:
            await self._serve(origin, request, record)
            record.outcome = Outcome.OK
        except Exception as error:
            self.note_failure(record, error)
            raise LoggedFailure(error) from error
        finally:
            record.total_ms = (time.perf_counter() - origin.received) * 1000
            await self.log(record)
            self._finished()

    async def drain(self, timeout: float) -> bool:
        """Refuse new requests from now on; wait up to `timeout` seconds for those in flight.

        Returns:
            True when none is left in flight.
        """
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _started(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def _finished(self) -> None:
        self.in_flight -= 1
        if not self.in_flight:
            self._idle.set()

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
        answer = answer_for(error)
        record.outcome = answer.outcome
        text = describe(error) if answer.expected else f"{type(error).__name__}: {error}"
        record.error = (text or type(error).__name__)[:ERROR_TEXT_LIMIT]

    async def _serve(self, origin: Origin, request: BeatRequest, record: RequestRecord) -> None:
        request = self.maker.validate(request)
        record.params, record.seed = request.params(), request.seed
        self._admit(origin.user.id)
        self.making.add(origin.user.id)
        try:
            async with origin.working():
                ran = await self._make(request, origin)
                record.queue_ms = ran.wait_ms
                self._note_timings(record, ran.result)
                await self._post(origin, ran.result, record)
        finally:
            self.making.discard(origin.user.id)

    async def _make(self, request: BeatRequest, origin: Origin) -> Ran[Beat]:
        """Run the engine on a worker; a failure the engine did not mean becomes JobFailed."""
        async def notice(position: int) -> None:
            with contextlib.suppress(discord.HTTPException):  # the notice is a courtesy
                await origin.notice(position)

        try:
            return await self.queue.run(partial(self.maker.make, request), notice)
        except (EngineError, commands.CommandError):
            raise
        except Exception as error:
            raise JobFailed(error) from error

    def _admit(self, user_id: int) -> None:
        """Refuse while stopping, then a second job, a full queue, or a user over their rate."""
        if self.draining:
            raise ShuttingDown()
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
        view = BeatView(beat.request, beat.midi, self.serve_press, self.live_views,
                        self.settings.button_timeout_s)
        start = time.perf_counter()
        try:
            await self._deliver(origin, beat, seconds, view, record)
        except BaseException:
            view.stop()
            raise
        finally:
            record.upload_ms = (time.perf_counter() - start) * 1000
        view.register()

    async def _deliver(self, origin: Origin, beat: Beat, seconds: float, view: BeatView,
                       record: RequestRecord) -> None:
        """Post the beat; if Discord refuses the upload, try once more without the audio.

        Raises:
            UploadFailed: the smaller message was refused too.
        """
        reply = self._reply(beat, origin, seconds)
        try:
            await self._send(origin, reply, view)
            return
        except discord.HTTPException as error:
            if not _worth_retrying(error):
                raise
            log.warning("Discord refused a %d-byte beat (HTTP %s); retrying without the audio",
                        reply.size, error.status)
            note = (f"Discord refused the upload (HTTP {error.status}), so here are the MIDI "
                    "and the grid without the audio.")
        record.error = note
        smaller = self._reply(beat, origin, seconds, audio=False, note=note)
        try:
            await self._send(origin, smaller, view)
        except discord.HTTPException as error:
            log.warning("Discord refused the beat again without its audio (HTTP %s)",
                        error.status)
            raise UploadFailed(error.status) from error

    def _reply(self, beat: Beat, origin: Origin, seconds: float, audio: bool = True,
               note: str | None = None) -> Reply:
        return build_reply(beat, origin.user, seconds, origin.filesize_limit,
                           self.settings.prefix, audio=audio, note=note)

    @staticmethod
    async def _send(origin: Origin, reply: Reply, view: BeatView) -> None:
        try:
            await origin.deliver(**reply.kwargs(), view=view)
        finally:
            for file in reply.files:
                with contextlib.suppress(Exception):
                    file.close()


def _worth_retrying(error: discord.HTTPException) -> bool:
    """True for a refusal a smaller message might get past: too large, or a server error."""
    return error.status in RETRIED_STATUSES or error.code == TOO_LARGE_CODE
