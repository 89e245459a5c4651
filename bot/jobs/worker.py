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
from redis.exceptions import RedisError

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
from bot.jobs.wire import QuietRefusals, Refused, dumps, load_job
from engine.beat.request import BeatRequest

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.metrics import Metrics
    from bot.settings import Settings
    from engine.beat.maker import Beat, BeatMaker

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
CONNECT_RETRIES = 5
"""Tries (a second apart) to reach Redis at start-up before the worker gives up: a wrong URL
shows at once. Once it has been reached, the worker never gives up on it (RETRY_S)."""
RETRY_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
"""Pauses between tries to reach Redis again after it went away (the last one repeats)."""
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
    if not isinstance(request, BeatRequest):
        raise Refused(f"a {type(request).__name__} is not a beat request")
    ctx["reply_to"] = reply_to
    wait_ms = max(0.0, time.time() * 1000 - ctx["enqueue_time"].timestamp() * 1000)
    lease = asyncio.create_task(_renew_lease(ctx["redis"], ctx["job_id"]))
    maker: BeatMaker = ctx["maker"]
    try:
        loop = asyncio.get_running_loop()
        beat = await loop.run_in_executor(ctx["executor"], _make_guarded, maker, request)
    finally:
        lease.cancel()
    if "metrics" in ctx:
        ctx["metrics"].made(beat.timings_ms.get("total", 0.0))
        ctx["metrics"].wait.observe(wait_ms / 1000)
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
    """Keep the job claimed while this worker lives (arq sets the key for LEASE_S). The key
    is set, not only given more time, so that after a Redis restart the bot waiting for
    this job sees it is still being made (and gets its result) rather than lost."""
    while True:
        await asyncio.sleep(LEASE_S / 3)
        try:
            await redis.set(in_progress_key_prefix + job_id, b"1", px=int(LEASE_S * 1000))
        except (RedisError, OSError) as error:  # Redis away: the next renewal tries again
            log.warning("could not renew the lease of job %s: %s", job_id, error)


class Heartbeat:
    """Keeps a worker's `name|slots` member in WORKERS_KEY fresh while it runs, and its
    metrics' view of the queue (depth, live workers, Redis answering) with it."""

    def __init__(self, redis: Redis, name: str, slots: int,
                 metrics: Metrics | None = None) -> None:
        self.redis = redis
        self.member = f"{name}|{slots}"
        self.script = redis.register_script(HEARTBEAT_LUA)
        self.metrics = metrics
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Say we are alive now, then every HEARTBEAT_S seconds (once: a worker that
        reconnects keeps its heartbeat)."""
        await self.beat()
        if self.task is None:
            self.task = asyncio.create_task(self._loop())

    async def beat(self) -> None:
        """Say we are alive for WORKER_TTL_S seconds more."""
        try:
            await self.script(keys=[WORKERS_KEY], args=[WORKER_TTL_S, self.member])
            if self.metrics is not None:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.zcard(QUEUE_NAME)
                    pipe.zcount(WORKERS_KEY, time.time(), "+inf")
                    depth, alive = await pipe.execute()
                self.metrics.queue_depth.set(depth)
                self.metrics.workers_alive.set(alive)
        except (RedisError, OSError):
            if self.metrics is not None:
                self.metrics.queue_reachable.set(0)
            raise
        if self.metrics is not None:
            self.metrics.queue_reachable.set(1)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self.beat()
            except (RedisError, OSError) as error:  # Redis away: the next beat tries again
                log.debug("heartbeat failed: %s", error)
            except Exception:
                log.warning("heartbeat failed", exc_info=True)

    async def stop(self) -> None:
        """Stop, and say we are gone (so no bot counts on us)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        with contextlib.suppress(Exception):
            await self.redis.zrem(WORKERS_KEY, self.member)


def build_worker(settings: Settings, maker: BeatMaker, name: str | None = None,
                 metrics: Metrics | None = None) -> Worker:
    """An arq worker that makes beats with `maker`, one at a time, from `settings.queue_url`
    (`metrics`: where it counts its beats; its `up` is set once it takes jobs)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beatbot-worker")

    async def startup(ctx: dict[str, Any]) -> None:
        """Run by arq each time the worker (re)connects."""
        ctx.setdefault("heartbeat", Heartbeat(ctx["redis"], name, slots=1, metrics=metrics))
        await ctx["heartbeat"].start()
        if metrics is not None:
            metrics.up.set(1)
        log.info("worker %s ready; model %s", name, maker.generator.name)

    async def shutdown(ctx: dict[str, Any]) -> None:
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
        ctx={"maker": maker, "executor": executor,
             **({"metrics": metrics} if metrics is not None else {})},
        health_check_interval=60,
        job_serializer=dumps, job_deserializer=load_job,  # data only, never pickles
    )
    logging.getLogger("arq.worker").addFilter(QuietRefusals())
    worker.in_progress_timeout_s = LEASE_S  # renewed by make_beat; arq's default is 70 s
    return worker


def run_worker(worker: Worker) -> None:
    """Run an arq worker until it is stopped (SIGTERM, SIGINT), riding out Redis outages.

    arq's own `Worker.run` ends at the first error from Redis. Here, once the worker has
    reached Redis, an error from it (a restart, a dropped connection) is one log line, and
    the worker tries again after RETRY_S pauses until Redis answers, then carries on with
    the same heartbeat and the same job in hand (if any).

    Raises:
        RedisError, OSError: Redis could not be reached at start-up.
    """
    worker.main_task = worker.loop.create_task(_keep_working(worker))
    try:
        worker.loop.run_until_complete(worker.main_task)
    except asyncio.CancelledError:  # SIGTERM / SIGINT: arq's handler cancelled us
        pass
    finally:
        with contextlib.suppress(RedisError, OSError):  # saying goodbye to a Redis that is away
            worker.loop.run_until_complete(worker.close())


async def _keep_working(worker: Worker) -> None:
    """Run the arq main loop, entered again each time Redis goes away and comes back."""
    pauses = 0
    while True:
        started = time.monotonic()
        try:
            await worker.main()
            return  # only in burst mode
        except (RedisError, OSError) as error:
            if worker._pool is None:  # never reached: a wrong URL, or no Redis at all
                raise
            if time.monotonic() - started > RETRY_S[-1] * 2:
                pauses = 0  # it worked for a while: start again from the shortest pause
            pause = RETRY_S[min(pauses, len(RETRY_S) - 1)]
            log.warning("the job queue can't be reached (%s); trying again in %.2f s",
                        _one_line(error), pause)
            pauses += 1
            await asyncio.sleep(pause)


def _one_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0][:200]
