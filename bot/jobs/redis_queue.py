"""The distributed back end: beats made by `beatbot worker` processes behind an arq queue.

Every limit users see lives in Redis, so it holds across bot processes: one admission
script checks, in one atomic round trip, the user's job in flight, the line (jobs queued
beyond the live workers' slots) and the cooldown. The beat comes back through arq's own
result handling; only the bot that took a request ever answers it. A bot hears that a job
ended on its own pub/sub channel (the worker publishes the job id), then reads the result
once. One `EndWatch` per bot process does the hearing, and every CHECK_S seconds also looks
for results it heard nothing about, so a waiting request makes no round trip of its own: it
naps, and the job's end wakes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import Job
from discord.ext import commands
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from bot.errors import AlreadyMaking, NoDrummers, QueueDown, QueueFull
from bot.jobs.base import FIRST_JOB_S, Card, OnQueued, Ran
from bot.jobs.names import (
    BOT_TTL_S,
    BOTS_KEY,
    CARDS_PREFIX,
    DONE_PREFIX,
    JOB_TIMEOUT_S,
    LEASE_S,
    MAKE_JOB,
    MAX_TRIES,
    QUEUE_NAME,
    WORKERS_KEY,
)
from bot.jobs.wire import Refused, dumps, loads

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.settings import Settings
    from engine.beat.maker import Beat
    from engine.beat.request import BeatRequest

log = logging.getLogger(__name__)

NAP_S = 1.0
"""Longest nap of a waiting request; the job's end cuts it short. Naps, not a bare wait on
the future: simcord, the test harness, counts a sleep due within its settle timeout as
work still going on, and every wake-up costs the bot process a look at all its tasks."""
CHECK_S = 2.0
"""How often a bot looks for a result it has heard nothing about (a lost notice, a job that
failed without one)."""
LISTEN_RETRY_S = 1.0
"""Pause before subscribing again after the pub/sub connection dropped."""
NOTICE_WAIT_S = 0.5
"""Longest a read of the pub/sub channel waits, so that the CHECK_S look comes on time."""
RESULT_WAIT_S = 30.0 + MAX_TRIES * (JOB_TIMEOUT_S + LEASE_S)
"""The longest a bot waits for one beat: a full line, then every try running to its timeout."""
MAKING_TTL_S = RESULT_WAIT_S + 30.0
"""A user's job-in-flight mark outlives any wait, and frees them if a bot process died."""
CONNECT_TIMEOUT_S = 2.0
CALL_TIMEOUT_S = 3.0
"""A Redis that doesn't answer one of our calls (a command, the admission script, arq's
enqueue pipeline) in this long is down for the user (one line). One timer per call rather
than redis-py's socket timeout, which sets one per reply read: simcord, the test harness,
keeps every timer the bot sets in a list until its loop settles, and scans it often."""
KEY_PREFIX = "beatbot:"

ADMIT_LUA = """
-- KEYS: the user's making mark, their cooldown counter, the arq queue, the live workers,
--       the live bots
-- ARGV: cooldown rate, cooldown window (ms, 0 = off), places in line, making mark TTL (ms),
--       this bot's id, a bot's TTL (s)
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[6]), ARGV[5])
local holder = redis.call('GET', KEYS[1])
if holder then
  local alive = redis.call('ZSCORE', KEYS[5], holder)
  if alive and tonumber(alive) >= now then return {'making', 0, 0} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local slots = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  slots = slots + tonumber(string.match(member, '|(%d+)$'))
end
if slots == 0 then return {'no_workers', 0, 0} end
local queued = redis.call('ZCARD', KEYS[3])
local waiting = math.max(0, queued - slots)
if queued >= slots and waiting >= tonumber(ARGV[3]) then return {'full', waiting, slots} end
if tonumber(ARGV[2]) > 0 then
  local used = redis.call('INCR', KEYS[2])
  if used == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
  if used > tonumber(ARGV[1]) then return {'cooldown', redis.call('PTTL', KEYS[2]), 0} end
end
redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[4])
return {'ok', waiting, slots}
"""
"""Admit one request, or say why not; the same order of checks as LocalJobs.admit. The
user's in-flight mark names the bot that holds it, and counts only while that bot lives."""

ADOPT_LUA = """
-- KEYS: the live bots. ARGV: this bot's id, a bot's TTL (s), the cards' key prefix
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local adopted = {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)) do
  redis.call('ZREM', KEYS[1], dead)
  local key = ARGV[3] .. dead
  local cards = redis.call('HGETALL', key)
  for i = 1, #cards, 2 do
    redis.call('HSET', ARGV[3] .. ARGV[1], cards[i], cards[i + 1])
    adopted[#adopted + 1] = cards[i]
    adopted[#adopted + 1] = cards[i + 1]
  end
  redis.call('DEL', key)
end
return adopted
"""
"""Say this bot lives; take over the cards of every bot that stopped saying so (atomic:
each dead bot's jobs go to exactly one live bot)."""


class BeatTimedOut(Exception):
    """No worker finished the beat within RESULT_WAIT_S."""


class RedisJobs:
    """Sends beats to `beatbot worker` processes through arq, with the limits in Redis.

    Args:
        redis: arq's Redis client (no connection is made until the first request).
        listener: a client for the pub/sub channel (no read timeout: it waits for notices).
        settings: `queue_size` (places in line beyond the workers) and the cooldown.

    Build it with `connect` from inside the event loop: that starts the EndWatch there,
    before anything else runs, and the watch lives as long as the bot.
    """

    def __init__(self, redis: ArqRedis, listener: Redis, settings: Settings) -> None:
        self.redis = redis
        self.ends = EndWatch(redis, listener)
        self.max_waiting = settings.queue_size
        self.cooldown = commands.Cooldown(settings.cooldown_rate, settings.cooldown_s)
        self.window_ms = int(settings.cooldown_s * 1000)
        self.slots = 1
        self._admit = redis.register_script(ADMIT_LUA)
        self._recent_s: deque[float] = deque(maxlen=20)
        self.on_orphan: Callable[[Card, Ran[Beat] | Exception], Awaitable[object]] | None = None
        """Answers a job adopted from a dead bot (set by the beat extension: OrphanAnswers)."""
        self._adoptions: set[asyncio.Task[None]] = set()
        self.ends.on_adopt = self._adopted

    @classmethod
    def connect(cls, settings: Settings) -> RedisJobs:
        """A client for `settings.queue_url`, listening for end notices (call in the event
        loop). A Redis that is down shows at the first request."""
        url = settings.queue_url.get_secret_value()
        pool = ConnectionPool.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        listener = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        redis = ArqRedis(pool, default_queue_name=QUEUE_NAME, job_serializer=dumps,
                         job_deserializer=loads)  # data only, never pickles (bot.jobs.wire)
        jobs = cls(redis, listener, settings)
        jobs.ends.start()
        return jobs

    async def admit(self, user_id: int) -> None:
        """Refuse a second job, no worker, a full line, or a user over their rate (BeatJobs).

        Raises:
            QueueDown: Redis can't be reached.
        """
        keys = [_key("making", user_id), _key("cooldown", user_id), QUEUE_NAME, WORKERS_KEY,
                BOTS_KEY]
        args = [self.cooldown.rate, self.window_ms, self.max_waiting, int(MAKING_TTL_S * 1000),
                self.ends.bot_id, BOT_TTL_S]
        verdict, value, slots = await self._redis(self._admit(keys=keys, args=args))
        verdict = verdict.decode()
        if verdict == "making":
            raise AlreadyMaking()
        if verdict == "no_workers":
            raise NoDrummers()
        self.slots = max(1, int(slots))
        if verdict == "full":
            raise QueueFull(self.retry_after_s(int(value)))
        if verdict == "cooldown":
            raise commands.CommandOnCooldown(self.cooldown, int(value) / 1000,
                                             commands.BucketType.user)

    async def make(self, request: BeatRequest, on_queued: OnQueued | None = None,
                   card: Card | None = None) -> Ran[Beat]:
        """Queue the beat, tell the user their place if they must wait, and wait for it.

        The card goes to Redis first, under this bot's name: should this process die, a
        live bot adopts the job and answers the user with it (`adopt`).

        Raises:
            QueueDown: Redis went away.
            BeatTimedOut: no worker finished it in time (the job is taken off the queue).
            EngineError: the engine refused the request on the worker.
        """
        job_id = uuid.uuid4().hex
        ended = self.ends.expect(job_id)  # before the job exists: its notice can't be missed
        try:
            if card is not None:
                await self._redis(self.redis.hset(self.cards, job_id, dumps(card)))
            job = await self._redis(self.redis.enqueue_job(
                MAKE_JOB, request, _job_id=job_id, reply_to=self.ends.channel))
            self.ends.queued(job_id)
            place = await self._redis(self.redis.zrank(QUEUE_NAME, job_id))
            if on_queued is not None and place is not None and place >= self.slots:
                await on_queued(place - self.slots + 1)
            ran = await self._result(job, ended)
        finally:
            self.ends.forget(job_id)
            await self._drop(job_id)
        self._recent_s.append(ran.result.timings_ms.get("total", 0.0) / 1000)
        return ran

    @property
    def cards(self) -> str:
        """This bot's hash of cards."""
        return CARDS_PREFIX + self.ends.bot_id

    async def _adopt(self, job_id: str, card: Card) -> None:
        """Answer a dead bot's job: wait for it as for our own, then hand the beat (or the
        error) to `on_orphan`, which posts it and writes its log row."""
        ended = self.ends.expect(job_id)
        self.ends.queued(job_id)
        job = Job(job_id, self.redis, _queue_name=QUEUE_NAME, _deserializer=loads)
        try:
            outcome: Ran[Beat] | Exception = await self._result(job, ended)
        except Exception as error:  # the user is told, whatever it was
            outcome = error
        finally:
            self.ends.forget(job_id)
            await self._drop(job_id)
        if self.on_orphan is None:
            log.warning("adopted job %s of user %s, but nobody here answers it", job_id,
                        card.user_id)
            return
        try:
            await self.on_orphan(card, outcome)
        except Exception:
            log.exception("could not answer adopted job %s of user %s", job_id, card.user_id)

    def _adopted(self, cards: list[bytes]) -> None:
        """Start answering the jobs of dead bots that the last look took over."""
        for job_id, packed in zip(cards[::2], cards[1::2], strict=True):
            try:
                card = loads(packed)
            except Refused:
                continue
            log.warning("adopted job %s of user %s from a bot that died", job_id.decode(),
                        card.user_id)
            task = asyncio.get_running_loop().create_task(self._adopt(job_id.decode(), card))
            self._adoptions.add(task)
            task.add_done_callback(self._adoptions.discard)

    async def _result(self, job: Job, ended: asyncio.Future[None]) -> Ran[Beat]:
        """The beat, once the job has ended. A job that ended without a result (its worker
        was stopped, and arq queued it again) is waited for again."""
        while True:
            await _until_done(ended)
            ran = await self._redis(_stored_result(job))
            if ran is not None:
                return ran
            ended = self.ends.rearm(job.job_id)

    async def _drop(self, job_id: str) -> None:
        """Free the result's memory in Redis now that it is read (a beat is up to 8 MB), and
        the job's card: it is answered."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(result_key_prefix + job_id)
                pipe.hdel(self.cards, job_id)
                await _bounded(pipe.execute())
        except (RedisError, OSError) as error:  # the result expires by itself
            log.debug("could not drop the result of job %s: %s", job_id, error)

    async def release(self, user_id: int) -> None:
        """The user may ask again (if Redis is away, the mark expires by itself)."""
        try:
            await _bounded(self.redis.delete(_key("making", user_id)))
        except (RedisError, OSError) as error:
            log.warning("could not clear user %s's job mark: %s", user_id, error)

    def watch(self, metrics: Metrics) -> None:
        """Show the queue's depth, the live workers and whether Redis answers, as this
        process last saw them (every CHECK_S s)."""
        seen = self.ends.seen
        metrics.watch(metrics.queue_depth, lambda: seen["depth"])
        metrics.watch(metrics.workers_alive, lambda: seen["workers"])
        metrics.watch(metrics.queue_reachable, lambda: seen["reachable"])

    def retry_after_s(self, waiting: int) -> int:
        """A fair guess, in whole seconds, of when a place will free up."""
        job_s = sum(self._recent_s) / len(self._recent_s) if self._recent_s else FIRST_JOB_S
        return max(1, math.ceil(job_s * (waiting + 1) / self.slots))

    async def close(self) -> None:
        """Stop the EndWatch and close the connections to Redis (adopted jobs still being
        waited for are left to the next live bot: their cards stay in Redis)."""
        for task in list(self._adoptions):
            task.cancel()
        await self.ends.stop()
        await self.redis.aclose()

    @staticmethod
    async def _redis(call):
        """Await a Redis call (`_bounded`); a Redis that can't be reached or doesn't answer
        becomes QueueDown."""
        try:
            return await _bounded(call)
        except (RedisError, OSError) as error:  # OSError: refused before redis-py wraps it
            log.warning("the job queue can't be reached: %s", error)
            raise QueueDown() from error


class EndWatch:
    """Hears that jobs ended, for every request of one bot process that waits for a beat.

    Each waiting request holds a future, resolved here when the job's end is announced on
    `channel`, or found by the look every CHECK_S seconds; failed with BeatTimedOut after
    RESULT_WAIT_S, or with QueueDown when Redis can't be reached.

    Args:
        redis: for the looks (and to take a job that timed out off the queue).
        listener: for the pub/sub channel.
    """

    def __init__(self, redis: ArqRedis, listener: Redis) -> None:
        self.redis = redis
        self.listener = listener
        self.bot_id = uuid.uuid4().hex
        """This bot process's id: its end-notice channel, its liveness, its cards."""
        self.channel = f"{DONE_PREFIX}{self.bot_id}"
        self.on_adopt: Callable[[list[bytes]], None] | None = None
        self._adopt = redis.register_script(ADOPT_LUA)
        self._waiting: dict[str, tuple[asyncio.Future[None], float]] = {}
        self._queued: set[str] = set()
        """Jobs known to be in Redis (enqueued): one found gone was lost with Redis's data."""
        self.seen = {"depth": 0.0, "workers": 0.0, "reachable": 0.0}
        """What the last look saw: jobs queued or running, live workers, Redis answering."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start watching (from inside the event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def expect(self, job_id: str) -> asyncio.Future[None]:
        """A future that resolves once the job `job_id` has ended."""
        ended = asyncio.get_running_loop().create_future()
        self._waiting[job_id] = (ended, time.perf_counter() + RESULT_WAIT_S)
        return ended

    def rearm(self, job_id: str) -> asyncio.Future[None]:
        """A fresh future for a job that ended without a result, with the same deadline."""
        _, deadline = self._waiting[job_id]
        ended = asyncio.get_running_loop().create_future()
        self._waiting[job_id] = (ended, deadline)
        return ended

    def queued(self, job_id: str) -> None:
        """The job is in Redis now: from here on, its disappearance means it was lost."""
        self._queued.add(job_id)

    def forget(self, job_id: str) -> None:
        """Stop watching a job (its request has its answer)."""
        self._waiting.pop(job_id, None)
        self._queued.discard(job_id)

    async def stop(self) -> None:
        """Stop watching; requests still waiting are told the queue is gone."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._fail_all(QueueDown())
        await self.listener.aclose()

    async def _watch(self) -> None:
        """Hear notices; look every CHECK_S s. Real time (perf_counter), not the loop's clock,
        which a test harness may run faster."""
        next_look = time.perf_counter() + CHECK_S
        pubsub = None
        while True:
            try:
                if pubsub is None:
                    pubsub = self.listener.pubsub()
                    await pubsub.subscribe(self.channel)
                await self._hear(pubsub)
            except (RedisError, OSError) as error:
                log.debug("end notices: %s; subscribing again", error)
                pubsub = await _closed(pubsub)
                await asyncio.sleep(LISTEN_RETRY_S)
            if time.perf_counter() >= next_look:
                await self._look(time.perf_counter())
                next_look = time.perf_counter() + CHECK_S

    async def _hear(self, pubsub) -> None:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=NOTICE_WAIT_S)
        if message is not None:
            self._end(message["data"].decode())

    async def _look(self, now: float) -> None:
        """Resolve the jobs whose result is stored; time out those waiting too long; note
        the queue's depth and the live workers; say this bot lives, and adopt the jobs of
        bots that don't."""
        await self._note_queue()
        await self._live()
        for job_id, (ended, deadline) in list(self._waiting.items()):
            if now > deadline and not ended.done():
                ended.set_exception(BeatTimedOut(f"no worker made it in {RESULT_WAIT_S:.0f} s"))
                with contextlib.suppress(RedisError, OSError):
                    await _bounded(self.redis.zrem(QUEUE_NAME, job_id))
        waiting = [job_id for job_id, (ended, _) in self._waiting.items() if not ended.done()]
        if not waiting:
            return
        try:
            found = await _bounded(_states(self.redis, waiting))
        except (RedisError, OSError) as error:
            log.warning("the job queue can't be reached: %s", error)
            self._fail_all(QueueDown())
            return
        for job_id, (done, alive) in zip(waiting, found, strict=True):
            if done:
                self._end(job_id)
            elif not alive and job_id in self._queued:
                self._lose(job_id)

    async def _live(self) -> None:
        try:
            cards = await _bounded(self._adopt(keys=[BOTS_KEY],
                                               args=[self.bot_id, BOT_TTL_S, CARDS_PREFIX]))
        except (RedisError, OSError):
            return  # the rest of the look says so
        if cards and self.on_adopt is not None:
            self.on_adopt(cards)

    async def _note_queue(self) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zcard(QUEUE_NAME)
                pipe.zcount(WORKERS_KEY, time.time(), "+inf")
                depth, workers = await _bounded(pipe.execute())
        except (RedisError, OSError):
            self.seen["reachable"] = 0.0
            return
        self.seen.update(depth=float(depth), workers=float(workers), reachable=1.0)

    def _lose(self, job_id: str) -> None:
        """A queued job whose every trace is gone from Redis: it restarted, empty."""
        log.warning("job %s is gone from the job queue (Redis restarted?)", job_id)
        ended, _ = self._waiting[job_id]
        ended.set_exception(QueueDown())

    def _end(self, job_id: str) -> None:
        ended, _ = self._waiting.get(job_id, (None, 0.0))
        if ended is not None and not ended.done():
            ended.set_result(None)

    def _fail_all(self, error: Exception) -> None:
        for ended, _ in self._waiting.values():
            if not ended.done():
                ended.set_exception(error)


async def _bounded(call):
    """Await one Redis call for at most CALL_TIMEOUT_S (past it: TimeoutError, an OSError)."""
    async with asyncio.timeout(CALL_TIMEOUT_S):
        return await call


async def _states(redis: ArqRedis, job_ids: list[str]) -> list[tuple[bool, bool]]:
    """For each job, in one atomic round trip: (its result is stored, it is still queued or
    running). arq moves a job from queued to done in one transaction, so a job that is
    neither is gone (Redis restarted and kept nothing)."""
    async with redis.pipeline(transaction=True) as pipe:
        for job_id in job_ids:
            pipe.exists(result_key_prefix + job_id)
            pipe.exists(job_key_prefix + job_id, in_progress_key_prefix + job_id)
        replies = await pipe.execute()
    return [(bool(replies[n]), bool(replies[n + 1])) for n in range(0, len(replies), 2)]


async def _stored_result(job: Job) -> Ran[Beat] | None:
    """The job's result in one read, or None when there is none yet (it runs again)."""
    try:
        return await job.result(timeout=0, poll_delay=0)
    except TimeoutError:  # arq's way of saying "no result yet"
        return None


async def _until_done(ended: asyncio.Future[None]) -> None:
    """Wait for an EndWatch future in naps of NAP_S that its end cuts short (see NAP_S)."""
    while not ended.done():
        nap = asyncio.ensure_future(asyncio.sleep(NAP_S))
        def wake(_, nap=nap) -> None:
            nap.cancel()
        ended.add_done_callback(wake)
        try:
            await asyncio.wait({nap})
        finally:
            nap.cancel()
            ended.remove_done_callback(wake)
    ended.result()  # raises what the watch failed it with


async def _closed(pubsub) -> None:
    """Close a pub/sub connection that failed (quietly: it is being replaced)."""
    if pubsub is not None:
        with contextlib.suppress(Exception):
            await pubsub.aclose()


def _key(kind: str, user_id: int) -> str:
    return f"{KEY_PREFIX}{kind}:{user_id}"
