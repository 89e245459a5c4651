"""The one-process back end (the default): beats made on this process's thread pool.

`LocalJobs` keeps the limits users see in memory and hands jobs to `JobQueue`, a bounded line
in front of the executor: at most `workers` jobs run, `max_waiting` wait.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from discord.ext import commands

from bot.errors import AlreadyMaking, QueueFull
from bot.jobs.base import FIRST_JOB_S, Card, OnQueued, Ran, WorkerDied

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.settings import Settings
    from engine.beat.maker import Beat, BeatMaker
    from engine.beat.request import BeatRequest

T = TypeVar("T")
log = logging.getLogger(__name__)


class LocalJobs:
    """The one-process back end: beats made on this process's executor, limits in memory.

    Args:
        maker: the loaded engine.
        queue: the bounded line in front of the executor.
        settings: the cooldown (`cooldown_rate` per `cooldown_s`; 0 s turns it off).
    """

    def __init__(self, maker: BeatMaker, queue: JobQueue, settings: Settings) -> None:
        self.maker = maker
        self.queue = queue
        self.cooldowns: commands.CooldownMapping[int] | None = None
        if settings.cooldown_s > 0:
            self.cooldowns = commands.CooldownMapping.from_cooldown(
                settings.cooldown_rate, settings.cooldown_s, _user_key)
        self.making: set[int] = set()
        self.metrics: Metrics | None = None

    async def admit(self, user_id: int) -> None:
        """Refuse a second job, a full queue, or a user over their rate (see BeatJobs)."""
        if user_id in self.making:
            raise AlreadyMaking()
        self.queue.check_room()
        bucket = self.cooldowns.get_bucket(user_id) if self.cooldowns else None
        retry_after = bucket.update_rate_limit() if bucket else None
        if bucket and retry_after:
            raise commands.CommandOnCooldown(bucket, retry_after, commands.BucketType.user)
        self.making.add(user_id)

    async def make(self, request: BeatRequest, on_queued: OnQueued | None = None,
                   card: Card | None = None) -> Ran[Beat]:
        """Make the beat on a worker thread (see JobQueue.run); the card is not needed: the
        job dies with this process."""
        ran = await self.queue.run(partial(self.maker.make, request), on_queued)
        if self.metrics is not None:
            self.metrics.made(ran.result.timings_ms.get("total", 0.0))
        return ran

    def watch(self, metrics: Metrics) -> None:
        """Count beats made into `metrics`, and show the thread pool's line and size."""
        self.metrics = metrics
        metrics.watch(metrics.queue_depth, lambda: self.queue.waiting + self.queue.running)
        metrics.watch(metrics.workers_alive, lambda: self.queue.workers)

    async def release(self, user_id: int) -> None:
        """The user may ask again."""
        self.making.discard(user_id)

    async def close(self) -> None:
        """Nothing to let go: the bot owns the executor."""


def _user_key(user_id: int) -> int:
    return user_id


class JobQueue:
    """Runs blocking callables on an executor, `workers` at a time, with a bounded wait line.

    Args:
        executor: where jobs run (owned by the caller, never shut down here).
        workers: jobs that may run at once.
        max_waiting: jobs that may wait for a worker; one more is refused with QueueFull.
        respawn: returns a fresh executor when `executor` turns out to be shut down or
            broken; the job that found out runs on the new one. None: the error propagates.
    """

    def __init__(self, executor: Executor, workers: int, max_waiting: int,
                 respawn: Callable[[], Executor] | None = None) -> None:
        self.executor = executor
        self.respawn = respawn
        self.workers = workers
        self.max_waiting = max_waiting
        self._slots = asyncio.Semaphore(workers)
        self._running = 0
        self._waiting = 0
        self._recent_s: deque[float] = deque(maxlen=20)
        self._started: dict[int, float] = {}
        """perf_counter() at the start of each running job, by a key of its own."""

    @property
    def waiting(self) -> int:
        """Jobs waiting for a worker."""
        return self._waiting

    @property
    def running(self) -> int:
        """Jobs running now."""
        return self._running

    def must_wait(self) -> bool:
        """True when a job submitted now would wait (every worker busy, or others in line)."""
        return self._slots.locked() or self._waiting > 0

    def check_room(self) -> None:
        """Raise QueueFull if a job submitted now would be refused."""
        if self.must_wait() and self._waiting >= self.max_waiting:
            raise QueueFull(self.retry_after_s())

    def retry_after_s(self) -> int:
        """A fair guess, in whole seconds, of when a place will free up: from the jobs that
        finished lately, or before any has, from how long the running ones have taken."""
        if self._recent_s:
            job_s = sum(self._recent_s) / len(self._recent_s)
        else:
            now = time.perf_counter()
            job_s = max([now - start for start in self._started.values()] + [FIRST_JOB_S])
        return max(1, math.ceil(job_s * (self._waiting + 1) / self.workers))

    async def run(self, job: Callable[[], T], on_queued: OnQueued | None = None) -> Ran[T]:
        """Run `job` on the executor once a worker is free.

        Args:
            job: a blocking callable.
            on_queued: awaited with the 1-based place in line when the job has to wait.

        Raises:
            QueueFull: every worker is busy and the line is full.
            WorkerDied: the job raised a BaseException that is not an Exception, or the
                executor dropped it (shut down before it ran).
        """
        self.check_room()
        queued = self.must_wait()
        start = time.perf_counter()
        self._waiting += 1
        try:
            if queued and on_queued is not None:
                await on_queued(self._waiting)
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        wait_ms = (time.perf_counter() - start) * 1000
        try:
            return Ran(await self._execute(job), wait_ms)
        finally:
            self._slots.release()

    async def _execute(self, job: Callable[[], T]) -> T:
        self._running += 1
        start = time.perf_counter()
        key = id(asyncio.current_task())
        self._started[key] = start
        future = self._submit(job)
        try:
            return await future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and task is not None and not task.cancelling():
                # The executor dropped the job (shut down with cancel_futures), not our caller.
                dropped = asyncio.CancelledError("the executor dropped the job")
                raise WorkerDied(dropped) from None
            raise
        finally:
            self._running -= 1
            self._started.pop(key, None)
            self._recent_s.append(time.perf_counter() - start)

    def _submit(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """Hand the job to the executor, replacing an executor that no longer takes work."""
        loop = asyncio.get_running_loop()
        try:
            return loop.run_in_executor(self.executor, _guarded, job)
        except (RuntimeError, BrokenExecutor) as error:  # shut down, or its workers are gone
            if self.respawn is None:
                raise
            log.warning("the executor refused a job (%s); starting a new one", error)
            self.executor = self.respawn()
            return loop.run_in_executor(self.executor, _guarded, job)


def _guarded(job: Callable[[], T]) -> T:
    """Run a job in a worker, turning a BaseException into WorkerDied (an Exception)."""
    try:
        return job()
    except Exception:
        raise
    except BaseException as error:
        raise WorkerDied(error) from error
