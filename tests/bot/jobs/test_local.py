"""JobQueue on a real thread pool: results, wait times, places in line, refusal when full."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.errors import QueueFull
from bot.jobs import JobQueue


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_runs_job_off_the_loop(executor):
    queue = JobQueue(executor, workers=1, max_waiting=0)
    ran = await queue.run(threading.get_ident)
    assert ran.result != threading.get_ident()
    assert ran.wait_ms >= 0
    assert (queue.running, queue.waiting) == (0, 0)


async def test_waiting_jobs_learn_their_place_and_full_line_is_refused(executor):
    queue = JobQueue(executor, workers=1, max_waiting=2)
    gate = threading.Event()
    places: list[int] = []

    async def note(place: int) -> None:
        places.append(place)

    first = asyncio.create_task(queue.run(gate.wait, note))
    await _settle()
    second = asyncio.create_task(queue.run(lambda: "second", note))
    await _settle()
    third = asyncio.create_task(queue.run(lambda: "third", note))
    await _settle()
    with pytest.raises(QueueFull) as refused:
        await queue.run(lambda: "fourth", note)
    assert refused.value.retry_after_s >= 1
    assert "Try again in" in str(refused.value)
    assert places == [1, 2] and (queue.running, queue.waiting) == (1, 2)

    gate.set()
    results = await asyncio.gather(first, second, third)
    assert [r.result for r in results] == [True, "second", "third"]
    assert results[2].wait_ms >= results[0].wait_ms
    assert (queue.running, queue.waiting) == (0, 0)


async def test_failed_job_frees_its_worker(executor):
    queue = JobQueue(executor, workers=1, max_waiting=0)

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        await queue.run(boom)
    assert (await queue.run(lambda: 5)).result == 5
