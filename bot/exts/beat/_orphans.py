"""Answering for a dead bot: the card a job carries, and the answer a live bot gives with it.

A bot process that dies (SIGKILL, a crash, a lost machine) leaves its jobs in Redis. Each
job has a `Card` there, under the bot's name; once the bot has stopped saying it is alive,
the next live bot's look adopts the cards (`RedisJobs`), waits for the jobs, and hands each
beat or error to `OrphanAnswers`, which posts it to the request's channel (in reply to the
request's message when there was one) and writes its log row, once: the row's request_key
is the one the dead bot would have written.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord

from bot.answers import answer_for, describe
from bot.exts.beat._reply import build_reply, replay_line
from bot.exts.beat._service import note_timings
from bot.exts.beat._view import beat_view
from bot.jobs.base import Card, Ran
from bot.requestlog import Outcome, RequestRecord
from bot.text import NO_PINGS

if TYPE_CHECKING:
    from bot.app import BeatBot
    from engine.beat.maker import Beat

log = logging.getLogger(__name__)

class OrphanAnswers:
    """Posts the beats (or the error lines) of jobs adopted from dead bots, and logs them.

    Args:
        bot: where to post, and whose request log and metrics to write.
    """

    def __init__(self, bot: BeatBot) -> None:
        self.bot = bot

    async def __call__(self, card: Card, outcome: Ran[Beat] | Exception) -> None:
        """Answer one adopted job: the beat, or one line; then its log row."""
        record = _record(card)
        started = time.perf_counter()
        try:
            if isinstance(outcome, Ran):
                await self._post_beat(card, outcome, record)
                record.outcome = Outcome.OK
            else:
                await self._post_line(card, outcome, record)
        except discord.HTTPException as error:
            log.warning("could not answer the adopted job of user %s: %s", card.user_id, error)
            record.outcome, record.error = Outcome.FAILED, f"not posted: {error}"[:500]
        finally:
            record.upload_ms = (time.perf_counter() - started) * 1000
            record.total_ms = (datetime.now(UTC) - record.created_at).total_seconds() * 1000
            await self._log(record)

    async def _post_beat(self, card: Card, ran: Ran[Beat], record: RequestRecord) -> None:
        beat = ran.result
        record.seed, record.queue_ms = beat.request.seed, ran.wait_ms
        note_timings(record, beat)
        user = self.bot.get_user(card.user_id) or await self.bot.fetch_user(card.user_id)
        seconds = (datetime.now(UTC) - record.created_at).total_seconds()
        reply = build_reply(beat, user, seconds, discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES,
                            self.bot.settings.prefix)
        view = beat_view(replay_line(reply.request), reply.request)
        await self._channel(card).send(**reply.kwargs(), view=view, **self._reply_to(card))

    async def _post_line(self, card: Card, error: Exception, record: RequestRecord) -> None:
        answer = answer_for(error)
        record.outcome = answer.outcome
        line = describe(error) or "Your beat could not be made; please try again."
        record.error = line if answer.expected else f"{type(error).__name__}: {error}"[:500]
        await self._channel(card).send(f"<@{card.user_id}> {line}", **self._reply_to(card))

    def _channel(self, card: Card) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(card.channel_id, guild_id=card.guild_id)

    @staticmethod
    def _reply_to(card: Card) -> dict[str, object]:
        """A reply to the request's message when there was one (it may be gone: then a plain
        message), never a ping."""
        options: dict[str, object] = {"allowed_mentions": NO_PINGS}
        if card.message_id is not None:
            options["reference"] = discord.MessageReference(
                message_id=card.message_id, channel_id=card.channel_id,
                guild_id=card.guild_id, fail_if_not_exists=False)
            options["mention_author"] = False
        return options

    async def _log(self, record: RequestRecord) -> None:
        if self.bot.beats is not None:
            await self.bot.beats.log(record)  # the log line, the metrics, the row
            return
        await self.bot.database.log(record)


def _record(card: Card) -> RequestRecord:
    """The log row the dead bot would have written, as far as the card knows it."""
    return RequestRecord(user_id=card.user_id, guild_id=card.guild_id,
                         channel_id=card.channel_id, source=card.source,
                         created_at=datetime.fromisoformat(card.created_at),
                         params=dict(card.params), seed=_seed(card.params),
                         request_key=card.request_key)


def _seed(params: dict[str, object]) -> int | None:
    seed = params.get("seed")
    return seed if isinstance(seed, int) else None
