"""Where beats are made: the job back ends and what they share.

`LocalJobs` (the default) makes beats on this process's thread pool; `RedisJobs` sends them
through Redis to `beatbot worker` processes (`bot.jobs.worker`, that process's entry point,
which only the command line imports). Both offer `BeatJobs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.jobs.base import BeatJobs, Card, OnQueued, Ran, WorkerDied
from bot.jobs.local import JobQueue, LocalJobs

if TYPE_CHECKING:
    from bot.jobs.redis_queue import RedisJobs

__all__ = ["BeatJobs", "Card", "JobQueue", "LocalJobs", "OnQueued", "Ran", "RedisJobs",
           "WorkerDied"]


def __getattr__(name: str) -> object:
    """`RedisJobs` on first use: redis and arq are loaded only by a bot that has a queue."""
    if name == "RedisJobs":
        from bot.jobs.redis_queue import RedisJobs
        return RedisJobs
    raise AttributeError(name)
