"""From a request to a posted beat: admission, the job queue, the reply, the request log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.answers import answer_for, describe
from bot.errors import (
    JobFailed,
    LoggedFailure,
    MissingPermission,
    ShuttingDown,
    UploadFailed,
)
from bot.exts.beat._origin import POSTING, REPLYING, InteractionOrigin, Origin, missing
from bot.exts.beat._press import pressed_request
from bot.exts.beat._reply import Reply, build_reply, replay_line
from bot.exts.beat._view import beat_view
from bot.jobs import Card, Ran
from bot.jobs.base import card_for
from bot.requestlog import Outcome, RequestRecord
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
MISSING_PERMISSIONS_CODE = 50013
"""Discord's JSON error code for "Missing Permissions" (sent with a 403)."""


class BeatService:
    """Makes and posts beats for the cog and the buttons; one per bot.

    Args:
        bot: supplies the settings, the BeatMaker, the database and the jobs back end (this
            process's thread pool, or the workers behind a Redis queue).
    """

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.maker = bot.maker
        self.database = bot.database
        self.jobs = bot.jobs
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
        record.params, record.seed = request.params(), request.seed
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

    async def press(self, interaction: discord.Interaction, action: str, recipe: str,
                    values: tuple[str, ...] = ()) -> None:
        """Serve a press of a button or a menu under a beat: the recipe it carries, made again
        with the step it asks for (`values`: what a menu picked).

        Raises:
            LoggedFailure: wrapping the reason it failed (already written to the log).
        """
        origin = InteractionOrigin(interaction, action)
        try:
            request = await pressed_request(interaction.message, action, recipe,
                                            self.settings.prefix, values)
        except Exception as error:
            record = self.record_for(origin)
            self.note_failure(record, error)
            await self.log(record)
            raise LoggedFailure(error) from error
        await self.serve(origin, request)

    async def log(self, record: RequestRecord) -> None:
        """Write a request to the log; a failing log never costs the user their answer."""
        log.info("%s from user %s: %s seed=%s in %.0f ms", record.source, record.user_id,
                 record.outcome, record.seed, record.total_ms or 0.0)
        self.bot.metrics.count(record.outcome, record.queue_ms)
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
        self._admit(origin)
        await self.jobs.admit(origin.user.id)  # before any primer is read: a costly file counts
        try:
            request = await self._check(request)
            record.params, record.seed = request.params(), request.seed
            await self._make_and_post(origin, request, record)
        finally:
            await self.jobs.release(origin.user.id)

    async def _make_and_post(self, origin: Origin, request: BeatRequest,
                             record: RequestRecord) -> None:
        try:
            async with origin.working():
                ran = await self._make(request, origin, card_for(origin, record))
                record.queue_ms = ran.wait_ms
                note_timings(record, ran.result)
                await self._post(origin, ran.result, record)
        except BaseException:
            with contextlib.suppress(Exception):  # the error line matters more
                await origin.withdraw()
            raise

    async def _check(self, request: BeatRequest) -> BeatRequest:
        """Everything the engine would refuse, before anything is shown as under way (so a
        slash command's or a button's refusal stays private). A primer is read off the loop."""
        if request.primer is None:
            return self.maker.check(request)
        return await asyncio.to_thread(self.maker.check, request)

    async def _make(self, request: BeatRequest, origin: Origin, card: Card) -> Ran[Beat]:
        """Run the engine on a worker; a failure the engine did not mean becomes JobFailed."""
        async def notice(position: int) -> None:
            with contextlib.suppress(discord.HTTPException):  # the notice is a courtesy
                await origin.notice(position)

        try:
            return await self.jobs.make(request, notice, card)
        except (EngineError, commands.CommandError):
            raise
        except Exception as error:
            raise JobFailed(error) from error

    def _admit(self, origin: Origin) -> None:
        """Refuse while stopping, or where a beat can't be posted; the jobs back end then
        refuses a second job, a full queue or a user over their rate (`jobs.admit`)."""
        if self.draining:
            raise ShuttingDown()
        lacking = origin.missing_permissions()
        if lacking:
            raise MissingPermission(lacking)


    async def _post(self, origin: Origin, beat: Beat, record: RequestRecord) -> None:
        seconds = time.perf_counter() - origin.received
        start = time.perf_counter()
        try:
            await self._deliver(origin, beat, seconds, record)
        finally:
            record.upload_ms = (time.perf_counter() - start) * 1000

    async def _deliver(self, origin: Origin, beat: Beat, seconds: float,
                       record: RequestRecord) -> None:
        """Post the beat; if Discord refuses the upload, try once more without the audio.

        Raises:
            UploadFailed: the smaller message was refused too.
            MissingPermission: Discord says the bot lacks a permission in the channel.
        """
        reply = self._reply(beat, origin, seconds)
        try:
            await self._send(origin, reply)
            return
        except discord.HTTPException as error:
            _raise_if_forbidden(error, origin)
            if not _worth_retrying(error):
                raise
            log.warning("Discord refused a %d-byte beat (HTTP %s); retrying without the audio",
                        reply.size, error.status)
            note = (f"Discord refused the upload (HTTP {error.status}), so here are the MIDI "
                    "and the grid without the audio.")
        record.error = note
        smaller = self._reply(beat, origin, seconds, audio=False, note=note)
        try:
            await self._send(origin, smaller)
        except discord.HTTPException as error:
            _raise_if_forbidden(error, origin)
            log.warning("Discord refused the beat again without its audio (HTTP %s)",
                        error.status)
            raise UploadFailed(error.status) from error

    def _reply(self, beat: Beat, origin: Origin, seconds: float, audio: bool = True,
               note: str | None = None) -> Reply:
        return build_reply(beat, origin.user, seconds, origin.filesize_limit,
                           self.settings.prefix, audio=audio, note=note)

    @staticmethod
    async def _send(origin: Origin, reply: Reply) -> None:
        view = beat_view(replay_line(reply.request), reply.request)
        try:
            await origin.deliver(**reply.kwargs(), view=view)
        finally:
            for file in reply.files:
                with contextlib.suppress(Exception):
                    file.close()


def _raise_if_forbidden(error: discord.HTTPException, origin: Origin) -> None:
    """Turn Discord's "Missing Permissions" into a line naming the permission (the bot's
    own view of the channel says which; failing that, every one a beat needs)."""
    if error.status == 403 and error.code == MISSING_PERMISSIONS_CODE:
        everything = missing(discord.Permissions.none(), REPLYING + POSTING)
        raise MissingPermission(origin.missing_permissions() or everything) from error


def _worth_retrying(error: discord.HTTPException) -> bool:
    """True for a refusal a smaller message might get past: too large, or a server error."""
    return error.status in RETRIED_STATUSES or error.code == TOO_LARGE_CODE


def note_timings(record: RequestRecord, beat: Beat) -> None:
    """Fill in a log row's parameters (with the kit `auto` chose) and stage times from a beat."""
    record.params = beat.request.params()
    timings = beat.timings_ms
    record.generate_ms, record.render_ms, record.encode_ms = (
        timings.get(stage) for stage in STAGES)
    if beat.audio_error:
        record.error = beat.audio_error[:ERROR_TEXT_LIMIT]
