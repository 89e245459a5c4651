"""The distributed back end: beats made by `beatbot worker` processes behind an arq queue.

Every limit users see lives in Redis, so it holds across bot processes: one admission
script checks, in one atomic round trip, the user's job in flight, the line (jobs queued
beyond the live workers' slots) and the cooldown. The beat comes back through arq's own
result handling; only the bot that took a request ever answers it.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import deque
from typing import TYPE_CHECKING

from arq.connections import ArqRedis
from discord.ext import commands
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from bot.errors import AlreadyMaking, NoDrummers, QueueDown, QueueFull
from bot.jobs import DEFAULT_JOB_S, OnQueued, Ran
from bot.worker import JOB_TIMEOUT_S, LEASE_S, MAKE_JOB, MAX_TRIES, QUEUE_NAME, WORKERS_KEY

if TYPE_CHECKING:
    from bot.settings import Settings
    from engine.beat.maker import Beat
    from engine.beat.request import BeatRequest

log = logging.getLogger(__name__)

RESULT_POLL_S = 0.05
"""How often a bot asks Redis whether a beat is done (one round trip each)."""
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
        settings: `queue_size` (places in line beyond the workers) and the cooldown.
    """

    def __init__(self, redis: ArqRedis, settings: Settings) -> None:
        self.redis = redis
        self.max_waiting = settings.queue_size
        self.cooldown = commands.Cooldown(settings.cooldown_rate, settings.cooldown_s)
        self.window_ms = int(settings.cooldown_s * 1000)
        self.slots = 1
        self._admit = redis.register_script(ADMIT_LUA)
        self._recent_s: deque[float] = deque(maxlen=20)

    @classmethod
    def connect(cls, settings: Settings) -> RedisJobs:
        """A client for `settings.queue_url`; a Redis that is down shows at the first request."""
        url = settings.queue_url.get_secret_value()
        pool = ConnectionPool.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                       socket_timeout=SOCKET_TIMEOUT_S)
        return cls(ArqRedis(pool, default_queue_name=QUEUE_NAME), settings)

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
        job = await self._redis(self.redis.enqueue_job(MAKE_JOB, request))
        place = await self._redis(self.redis.zrank(QUEUE_NAME, job.job_id))
        if on_queued is not None and place is not None and place >= self.slots:
            await on_queued(place - self.slots + 1)
        try:
            ran = await self._redis(job.result(timeout=RESULT_WAIT_S, poll_delay=RESULT_POLL_S))
        except TimeoutError:
            with contextlib.suppress(RedisError):
                await self.redis.zrem(QUEUE_NAME, job.job_id)
            raise BeatTimedOut(f"no worker made the beat in {RESULT_WAIT_S:.0f} s") from None
        self._recent_s.append(ran.result.timings_ms.get("total", 0.0) / 1000)
        return ran

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
        """Close the connections to Redis."""
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
