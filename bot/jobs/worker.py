"""`beatbot worker`: makes beats for every bot process, taking jobs from an arq queue on Redis.

A worker loads the engine once, then runs `make_beat` jobs one at a time (one per core: the
GIL would make a second thread in the same process mostly wait). While a beat is made the
worker renews the job's in-progress lease every LEASE_S / 3 s, so a worker that dies (even
by SIGKILL) lets go of its job within LEASE_S and another worker tries it once more. Each
worker also says it is alive in the WORKERS_KEY sorted set, which is how the bots know how
many beats can be made at once. When a job ends, the worker publishes its id on the
channel the asking bot named (`reply_to`), so that bots wait for beats without polling.

The names both sides use (queue, keys, the job) live in `bot.jobs.names`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func

from bot.health import start_heartbeat
from bot.jobs.base import Ran, WorkerDied
from bot.jobs.names import (
    JOB_TIMEOUT_S,
    KEEP_RESULT_S,
    LEASE_S,
    MAKE_JOB,
    MAX_TRIES,
    QUEUE_NAME,
    WORKER_TTL_S,
    WORKERS_KEY,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.settings import Settings
    from engine.beat.maker import Beat, BeatMaker
    from engine.beat.request import BeatRequest

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
CONNECT_RETRIES = 5
"""Tries (a second apart) to reach Redis at start-up before the worker gives up."""
POLL_S = 0.02
"""How often an idle worker looks for a job (seconds); each look is one Redis round trip."""

HEARTBEAT_LUA = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
"""
"""Say a worker is alive until Redis's clock + ARGV[1] s (the clock of one machine for all)."""


async def make_beat(ctx: dict[str, Any], request: BeatRequest,
                    reply_to: str | None = None) -> Ran[Beat]:
    """The arq job: make one beat on the worker's thread, renewing the job's lease meanwhile.

    Args:
        ctx: arq's job context (the Redis client, the job id, the worker's maker, ...).
        request: the validated request.
        reply_to: the channel to tell when the job has ended (see `announce_end`).

    Returns:
        The beat, and how long the job waited in the queue (ms).

    Raises:
        EngineError: the engine refused the request (the bot shows the user why).
        WorkerDied: the engine raised a BaseException such as SystemExit.
    """
    ctx["reply_to"] = reply_to
    wait_ms = max(0.0, time.time() * 1000 - ctx["enqueue_time"].timestamp() * 1000)
    lease = asyncio.create_task(_renew_lease(ctx["redis"], ctx["job_id"]))
    maker: BeatMaker = ctx["maker"]
    try:
        loop = asyncio.get_running_loop()
        beat = await loop.run_in_executor(ctx["executor"], _make_guarded, maker, request)
    finally:
        lease.cancel()
    return Ran(beat, wait_ms)


async def announce_end(ctx: dict[str, Any]) -> None:
    """After a job's result is stored: publish its id to the bot that asked (if it said where).

    A lost notice costs only time: the bot also looks for the result every few seconds.
    A job cancelled by SIGTERM has not ended (arq queues it again), so it announces nothing:
    its task is still marked cancelled, which made the publish itself raise CancelledError
    on Python 3.11.2 and the worker exit 1.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        return
    if ctx.get("reply_to"):
        try:
            await ctx["redis"].publish(ctx["reply_to"], ctx["job_id"])
        except Exception:
            log.warning("could not announce the end of job %s", ctx["job_id"], exc_info=True)


def _make_guarded(maker: BeatMaker, request: BeatRequest) -> Beat:
    try:
        return maker.make(request)
    except Exception:
        raise
    except BaseException as error:  # it must not stop the worker's event loop
        raise WorkerDied(error) from error


async def _renew_lease(redis: Redis, job_id: str) -> None:
    """Keep the job claimed while this worker lives (arq sets the key for LEASE_S)."""
    while True:
        await asyncio.sleep(LEASE_S / 3)
        await redis.pexpire(in_progress_key_prefix + job_id, int(LEASE_S * 1000))


class Heartbeat:
    """Keeps a worker's `name|slots` member in WORKERS_KEY fresh while it runs."""

    def __init__(self, redis: Redis, name: str, slots: int) -> None:
        self.redis = redis
        self.member = f"{name}|{slots}"
        self.script = redis.register_script(HEARTBEAT_LUA)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Say we are alive now, then every HEARTBEAT_S seconds."""
        await self.beat()
        self.task = asyncio.create_task(self._loop())

    async def beat(self) -> None:
        """Say we are alive for WORKER_TTL_S seconds more."""
        await self.script(keys=[WORKERS_KEY], args=[WORKER_TTL_S, self.member])

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self.beat()
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("heartbeat failed", exc_info=True)

    async def stop(self) -> None:
        """Stop, and say we are gone (so no bot counts on us)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        with contextlib.suppress(Exception):
            await self.redis.zrem(WORKERS_KEY, self.member)


def build_worker(settings: Settings, maker: BeatMaker, name: str | None = None) -> Worker:
    """An arq worker that makes beats with `maker`, one at a time, from `settings.queue_url`."""
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beatbot-worker")

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["heartbeat"] = Heartbeat(ctx["redis"], name, slots=1)
        await ctx["heartbeat"].start()
        ctx["health"] = start_heartbeat(settings.health_file)  # for `beatbot health`
        log.info("worker %s ready; model %s", name, maker.generator.name)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if ctx.get("health") is not None:
            ctx["health"].cancel()
        if "heartbeat" in ctx:
            await ctx["heartbeat"].stop()
        executor.shutdown(wait=False, cancel_futures=True)

    redis = RedisSettings.from_dsn(settings.queue_url.get_secret_value())
    redis.conn_retries = CONNECT_RETRIES
    worker = Worker(
        functions=[func(make_beat, name=MAKE_JOB, timeout=JOB_TIMEOUT_S, max_tries=MAX_TRIES)],
        queue_name=QUEUE_NAME, redis_settings=redis,
        max_jobs=1, poll_delay=POLL_S, keep_result=KEEP_RESULT_S, max_tries=MAX_TRIES,
        log_results=False,  # arq's log line would repr the whole beat (its MP3 bytes too)
        on_startup=startup, on_shutdown=shutdown, after_job_end=announce_end,
        ctx={"maker": maker, "executor": executor},
        health_check_interval=60,
    )
    worker.in_progress_timeout_s = LEASE_S  # renewed by make_beat; arq's default is 70 s
    return worker
