"""The distributed back end: beats made by `beatbot worker` processes behind an arq queue.

Every limit users see lives in Redis, so it holds across bot processes: one admission
script checks, in one atomic round trip, the user's job in flight, the line (jobs queued
beyond the live workers' slots) and the cooldown. The beat comes back through arq's own
result handling; only the bot that took a request ever answers it. A bot hears that a job
ended on its own pub/sub channel (the worker publishes the job id), then reads the result
once; it also looks every CHECK_S seconds, in case a notice was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections import deque
from typing import TYPE_CHECKING

from arq.connections import ArqRedis
from arq.jobs import Job
from discord.ext import commands
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from bot.errors import AlreadyMaking, NoDrummers, QueueDown, QueueFull
from bot.jobs import DEFAULT_JOB_S, OnQueued, Ran
from bot.worker import (
    DONE_PREFIX,
    JOB_TIMEOUT_S,
    LEASE_S,
    MAKE_JOB,
    MAX_TRIES,
    QUEUE_NAME,
    WORKERS_KEY,
)

if TYPE_CHECKING:
    from bot.settings import Settings
    from engine.beat.maker import Beat
    from engine.beat.request import BeatRequest

log = logging.getLogger(__name__)

NOTICE_POLL_S = 0.05
"""How often a waiting request looks whether its end notice has come (in memory, no Redis)."""
CHECK_S = 2.0
"""How often a bot looks for a result it has heard nothing about (a lost notice, a job that
failed without one)."""
LISTEN_RETRY_S = 1.0
"""Pause before subscribing again after the pub/sub connection dropped."""
RESULT_WAIT_S = 30.0 + MAX_TRIES * (JOB_TIMEOUT_S + LEASE_S)
"""The longest a bot waits for one beat: a full line, then every try running to its timeout."""
MAKING_TTL_S = RESULT_WAIT_S + 30.0
"""A user's job-in-flight mark outlives any wait, and frees them if a bot process died."""
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 10.0
KEY_PREFIX = "beatbot:"

ADMIT_LUA = """
-- KEYS: the user's making mark, their cooldown counter, the arq queue, the live workers
-- ARGV: cooldown rate, cooldown window (ms, 0 = off), places in line, making mark TTL (ms)
if redis.call('EXISTS', KEYS[1]) == 1 then return {'making', 0, 0} end
local now = tonumber(redis.call('TIME')[1])
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
redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
return {'ok', waiting, slots}
"""
"""Admit one request, or say why not; the same order of checks as LocalJobs.admit."""


class BeatTimedOut(Exception):
    """No worker finished the beat within RESULT_WAIT_S."""


class RedisJobs:
    """Sends beats to `beatbot worker` processes through arq, with the limits in Redis.

    Args:
        redis: arq's Redis client (no connection is made until the first request).
        listener: a client for the pub/sub channel (no read timeout: it waits for notices).
        settings: `queue_size` (places in line beyond the workers) and the cooldown.
    """

    def __init__(self, redis: ArqRedis, listener: Redis, settings: Settings) -> None:
        self.redis = redis
        self.listener = listener
        self.channel = f"{DONE_PREFIX}{uuid.uuid4().hex}"
        self._ended: set[str] = set()
        self._waiting: set[str] = set()
        self._listening: asyncio.Task[None] | None = None
        self.max_waiting = settings.queue_size
        self.cooldown = commands.Cooldown(settings.cooldown_rate, settings.cooldown_s)
        self.window_ms = int(settings.cooldown_s * 1000)
        self.slots = 1
        self._admit = redis.register_script(ADMIT_LUA)
        self._recent_s: deque[float] = deque(maxlen=20)

    @classmethod
    def connect(cls, settings: Settings) -> RedisJobs:
        """A client for `settings.queue_url`, listening for end notices (call in the event
        loop). A Redis that is down shows at the first request."""
        url = settings.queue_url.get_secret_value()
        pool = ConnectionPool.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                       socket_timeout=SOCKET_TIMEOUT_S)
        listener = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        jobs = cls(ArqRedis(pool, default_queue_name=QUEUE_NAME), listener, settings)
        jobs._listen()
        return jobs

    async def admit(self, user_id: int) -> None:
        """Refuse a second job, no worker, a full line, or a user over their rate (BeatJobs).

        Raises:
            QueueDown: Redis can't be reached.
        """
        keys = [_key("making", user_id), _key("cooldown", user_id), QUEUE_NAME, WORKERS_KEY]
        args = [self.cooldown.rate, self.window_ms, self.max_waiting, int(MAKING_TTL_S * 1000)]
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

    async def make(self, request: BeatRequest, on_queued: OnQueued | None = None) -> Ran[Beat]:
        """Queue the beat, tell the user their place if they must wait, and wait for it.

        Raises:
            QueueDown: Redis went away.
            BeatTimedOut: no worker finished it in time (the job is taken off the queue).
            EngineError: the engine refused the request on the worker.
        """
        self._listen()
        job_id = uuid.uuid4().hex
        self._waiting.add(job_id)  # before the job exists, so that no notice is missed
        try:
            job = await self._redis(self.redis.enqueue_job(MAKE_JOB, request, _job_id=job_id,
                                                           reply_to=self.channel))
            place = await self._redis(self.redis.zrank(QUEUE_NAME, job_id))
            if on_queued is not None and place is not None and place >= self.slots:
                await on_queued(place - self.slots + 1)
            ran = await self._redis(self._result(job))
        finally:
            self._waiting.discard(job_id)
            self._ended.discard(job_id)
        self._recent_s.append(ran.result.timings_ms.get("total", 0.0) / 1000)
        return ran

    async def _result(self, job: Job) -> Ran[Beat]:
        """Wait for the job's end notice (or CHECK_S), then read its result; repeat until done.

        The wait is a short sleep that looks at memory only: a plain sleep is what discord.py
        test harnesses (simcord) know how to wait on, and it costs no Redis round trip.

        Raises:
            BeatTimedOut: not done in RESULT_WAIT_S (the job is taken off the queue).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RESULT_WAIT_S
        while loop.time() < deadline:
            check_at = loop.time() + CHECK_S
            while job.job_id not in self._ended and loop.time() < check_at:
                await asyncio.sleep(NOTICE_POLL_S)
            with contextlib.suppress(TimeoutError):  # not done yet
                return await job.result(timeout=0, poll_delay=0)
        with contextlib.suppress(RedisError):
            await self.redis.zrem(QUEUE_NAME, job.job_id)
        raise BeatTimedOut(f"no worker made the beat in {RESULT_WAIT_S:.0f} s")

    def _listen(self) -> None:
        """Start hearing this bot's end notices (once; again if the listener stopped)."""
        if self._listening is None or self._listening.done():
            self._listening = asyncio.get_running_loop().create_task(self._hear())

    async def _hear(self) -> None:
        """Note each of our jobs whose end is announced; resubscribe after a drop."""
        while True:
            try:
                async with self.listener.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        job_id = message["data"].decode() if message["type"] == "message" else ""
                        if job_id in self._waiting:
                            self._ended.add(job_id)
            except (RedisError, OSError) as error:
                log.debug("end notices: %s; subscribing again", error)
            await asyncio.sleep(LISTEN_RETRY_S)

    async def release(self, user_id: int) -> None:
        """The user may ask again (if Redis is away, the mark expires by itself)."""
        try:
            await self.redis.delete(_key("making", user_id))
        except RedisError as error:
            log.warning("could not clear user %s's job mark: %s", user_id, error)

    def retry_after_s(self, waiting: int) -> int:
        """A fair guess, in whole seconds, of when a place will free up."""
        job_s = sum(self._recent_s) / len(self._recent_s) if self._recent_s else DEFAULT_JOB_S
        return max(1, math.ceil(job_s * (waiting + 1) / self.slots))

    async def close(self) -> None:
        """Stop listening and close the connections to Redis."""
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listening
        await self.listener.aclose()
        await self.redis.aclose()

    @staticmethod
    async def _redis(call):
        """Await a Redis call; a Redis that can't be reached becomes QueueDown."""
        try:
            return await call
        except RedisError as error:
            log.warning("the job queue can't be reached: %s", error)
            raise QueueDown() from error
        except OSError as error:  # a refused connection, before redis-py wraps it
            log.warning("the job queue can't be reached: %s", error)
            raise QueueDown() from error


def _key(kind: str, user_id: int) -> str:
    return f"{KEY_PREFIX}{kind}:{user_id}"
