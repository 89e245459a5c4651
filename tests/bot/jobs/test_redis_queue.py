"""The distributed back end against real parts: a private redis-server, real `beatbot worker`
subprocesses, and the bot through simcord.

Covered: a beat through the queue (the same MIDI as one made in-process), a worker killed
mid-job (its job is tried once more on another; twice killed, the user gets one line), Redis
stopped or unreachable (one line, logged, the bot lives on), and the limits held in Redis
across two bot instances (each with its own event loop and simcord, sharing one Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import simcord
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, result_key_prefix, retry_key_prefix
from arq.jobs import DeserializationError
from pydantic import SecretStr
from simcord.backend.models.user import User
from simcord.builders import UserHandle

from bench.postgres import free_port
from bench.servers import RedisServer, WorkerProcess
from bot.app import create_bot
from bot.jobs import RedisJobs
from bot.jobs.names import MAKE_JOB, QUEUE_NAME
from bot.jobs.wire import loads
from bot.jobs.worker import announce_end
from engine.beat.request import BeatRequest
from tests.bot.conftest import log_rows
from tests.bot.jobs.test_wire import Planted

QUEUE_DOWN = ("I can't reach my drummers right now (the job queue is down); please try again "
              "in a minute.")
NO_DRUMMERS = "No drummer is on duty right now; please try again in a minute."
FAILED_LINE = ("Your beat could not be made: something broke on my side (it has been logged). "
               "Please try again.")
LONG_BEAT = "!beat bars=32 bpm=50 seed=9"
"""154 s of audio, a second or more of work even on a fast machine: long enough to be killed
mid-job, or to keep the one worker busy while another request comes in."""
IN_PROGRESS = in_progress_key_prefix + "*"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server on a free loopback port; skips (fails in CI) without one."""
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must install it")
        pytest.skip(reason)
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def settings(settings, redis_server):
    """The bot's test settings, with beats going to the private Redis."""
    return settings.model_copy(update={"queue_url": SecretStr(redis_server.url)})


@pytest.fixture
def workers(redis_server, tmp_path) -> Iterator[Callable[[str], WorkerProcess]]:
    """Start `beatbot worker` subprocesses by name; all are stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(redis_server.url, name, tmp_path / f"{name}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
async def queue(redis_server):
    """An asyncio client of the private Redis, to watch the queue."""
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def _claimed(queue, timeout: float = 20.0) -> bytes:
    """Wait until a worker holds a job; its in-progress key."""
    async with asyncio.timeout(timeout):
        while True:
            keys = await queue.keys(IN_PROGRESS)
            if keys:
                return keys[0]
            await asyncio.sleep(0.01)


async def _started(queue, tries: int = 1, timeout: float = 20.0) -> bytes:
    """Wait until a worker runs a job for the `tries`-th time (arq counted the try, so the
    job is past its claim); its in-progress key."""
    async with asyncio.timeout(timeout):
        while True:
            key = await _claimed(queue)
            job_id = key.decode().removeprefix(in_progress_key_prefix)
            if int(await queue.get(retry_key_prefix + job_id) or 0) >= tries:
                return key
            await asyncio.sleep(0.01)


async def _released(queue, key: bytes, timeout: float = 20.0) -> None:
    """Wait until a job's in-progress key is gone (its dead worker's lease ran out)."""
    async with asyncio.timeout(timeout):
        while await queue.exists(key):
            await asyncio.sleep(0.02)


def _beats(channel) -> list:
    """The bot's messages in `channel` that carry a beat."""
    return [m for m in channel.history() if m.attachments]


# --- a beat through the queue -----------------------------------------------------------


async def test_beat_through_the_queue_is_the_same_beat(simcord_env, channel, alice, db_path,
                                                       maker, workers, tmp_path):
    workers("w1")

    await alice.send(channel, "!beat seed=5 bars=2")

    beat = channel.last_message
    assert {a.filename for a in beat.attachments} == {"beat.mp3", "beat.mid", "grid.png"}
    midi = next(a for a in beat.attachments if a.filename == "beat.mid")
    local = maker.make(BeatRequest(bars=2, bpm=120.0, seed=5))
    assert await midi.read() == local.midi  # made in another process, byte for byte the same
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and row["seed"] == 5 and row["render_ms"] > 0
    assert "make_beat" in (tmp_path / "w1.log").read_text()


async def test_a_button_press_goes_through_the_queue_too(simcord_env, channel, alice, db_path,
                                                         workers, tmp_path):
    workers("w1")
    await alice.send(channel, "!beat seed=5 bars=2")
    first = channel.last_message

    await alice.click(first, label="Variation")

    variation = channel.last_message
    assert variation.id != first.id and variation.attachments
    assert "then=vary:" in variation.embeds[0].description  # the recipe names the variation
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok", "ok"]
    assert (tmp_path / "w1.log").read_text().count("make_beat ●") == 2  # both made there


async def test_bad_primer_found_on_the_worker_is_its_own_line(simcord_env, channel, alice,
                                                              db_path, workers):
    workers("w1")

    await alice.send(channel, "!beat bars=63", attachments=[("loop.mid", _two_bar_drums())])

    assert channel.last_message.content.startswith("`bars` can't be `63`: use at most 62")
    assert [r["outcome"] for r in log_rows(db_path)] == ["user_error"]
    assert simcord_env.errors


def _two_bar_drums() -> bytes:
    from tests.bot.conftest import drum_midi

    return drum_midi(bars=2)


# --- only data crosses Redis -------------------------------------------------------------


async def test_a_pickled_job_in_the_queue_is_refused_and_runs_nothing(workers, queue,
                                                                     redis_server, tmp_path):
    worker = workers("w1")
    canary = tmp_path / "ran"
    planter = ArqRedis.from_url(redis_server.url)  # arq's default serializer: pickle
    try:
        await planter.enqueue_job(MAKE_JOB, Planted(canary), _job_id="planted",
                                  _queue_name=QUEUE_NAME)
    finally:
        await planter.aclose()
    async with asyncio.timeout(20):
        while not await queue.exists(result_key_prefix + "planted"):
            await asyncio.sleep(0.02)

    result = loads(await queue.get(result_key_prefix + "planted"))
    assert not canary.exists()
    assert result["s"] is False and "function 'beatbot:refused' not found" in str(result["r"])
    log = (tmp_path / "w1.log").read_text()
    assert log.count("BeatBot did not write") == 1 and "Traceback" not in log
    assert await asyncio.to_thread(worker.alive)


async def test_a_pickled_result_is_refused_by_the_bot_and_runs_nothing(settings, workers, queue,
                                                                      tmp_path, caplog):
    workers("w1")
    canary = tmp_path / "ran"
    jobs = RedisJobs.connect(settings)
    try:
        job = await jobs.redis.enqueue_job(MAKE_JOB, BeatRequest(bars=1), _job_id="swapped",
                                           _queue_name=QUEUE_NAME)
        async with asyncio.timeout(20):
            while not await queue.exists(result_key_prefix + "swapped"):
                await asyncio.sleep(0.02)
        await queue.set(result_key_prefix + "swapped", pickle.dumps({"r": Planted(canary)}))

        with pytest.raises(DeserializationError):
            await job.result(timeout=0)
    finally:
        await jobs.close()

    assert not canary.exists()
    assert [r.getMessage()[:40] for r in caplog.records if "did not write" in r.getMessage()]


# --- workers that die --------------------------------------------------------------------


@pytest.mark.simcord(settle_timeout=40)
async def test_worker_killed_mid_job_is_retried_once_on_another(simcord_env, channel, alice,
                                                                db_path, workers, queue,
                                                                tmp_path):
    first = workers("first")
    request = asyncio.create_task(alice.send(channel, LONG_BEAT))
    key = await _started(queue)
    first.kill()
    workers("second")
    await request

    assert len(_beats(channel)) == 1  # one reply: never lost, never doubled
    assert channel.last_message.attachments
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and row["seed"] == 9
    assert "try=2" in (tmp_path / "second.log").read_text()
    assert not await queue.exists(key) and not await queue.zcard(QUEUE_NAME)


@pytest.mark.simcord(settle_timeout=40)
async def test_worker_stopped_mid_job_hands_it_to_another(simcord_env, channel, alice, db_path,
                                                          workers, queue, tmp_path):
    first = workers("first")
    request = asyncio.create_task(alice.send(channel, LONG_BEAT))
    await _started(queue)
    code = first.stop()  # SIGTERM: arq cancels the job and queues it again
    workers("second")
    await request

    assert len(_beats(channel)) == 1
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok"]
    first_log = (tmp_path / "first.log").read_text()
    assert "cancelled, will be run again" in first_log
    assert code == 0 and "Traceback" not in first_log  # a clean stop, busy or not
    assert "try=2" in (tmp_path / "second.log").read_text()


async def test_a_cancelled_job_announces_nothing_and_raises_nothing(redis_server):
    """SIGTERM cancels a busy job and arq queues it again: it has not ended, so there is
    nothing to tell the bot. Publishing anyway raised CancelledError out of announce_end on
    Debian's Python 3.11.2 (the image's stand-in base), whose asyncio.timeout took the
    cancel arq had handled for a new one: the worker exited 1 with a traceback."""
    client = aioredis.Redis.from_url(redis_server.url)
    listener = client.pubsub()
    await listener.subscribe("beatbot:done:bot")
    await listener.get_message(timeout=1)  # the subscription's own reply

    async def job() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # as arq: "will be run again"
            await asyncio.sleep(30)
        await announce_end({"redis": client, "reply_to": "beatbot:done:bot", "job_id": "j1"})

    task = asyncio.create_task(job())
    await asyncio.sleep(0.05)
    task.cancel()
    await task
    notice = await listener.get_message(ignore_subscribe_messages=True, timeout=0.5)
    await listener.aclose()
    await client.aclose()

    assert notice is None


@pytest.mark.slow
@pytest.mark.simcord(settle_timeout=60)
async def test_job_whose_workers_die_twice_is_one_line(simcord_env, channel, alice, db_path,
                                                       workers, queue):
    request = asyncio.create_task(alice.send(channel, LONG_BEAT))
    for tries, name in enumerate(("first", "second"), start=1):
        worker = workers(name)
        key = await _started(queue, tries)
        worker.kill()
        await _released(queue, key)
    workers("third")  # finds the job tried twice already, and fails it
    await request

    assert channel.last_message.content == FAILED_LINE
    assert not _beats(channel)
    (row,) = log_rows(db_path)
    assert row["outcome"] == "failed" and "max 2 retries exceeded" in row["error"]
    assert simcord_env.errors


# --- Redis away --------------------------------------------------------------------------


async def test_redis_stopped_is_one_line_logged_and_the_bot_lives_on(
        simcord_env, channel, alice, db_path, workers, redis_server):
    workers("w1")
    await alice.send(channel, "!beat")
    redis_server.stop()

    await alice.send(channel, "!beat")
    down = channel.last_message.content
    await alice.send(channel, "!styles")

    assert down == QUEUE_DOWN
    assert "trap" in channel.last_message.content  # still answering
    rows = log_rows(db_path)
    assert [r["outcome"] for r in rows] == ["ok", "failed"]
    assert rows[1]["error"] == QUEUE_DOWN
    assert simcord_env.errors


@pytest.mark.parametrize("where", ["no server", "no worker"])
async def test_no_queue_or_no_worker_is_one_line(maker, settings, db_path, redis_server, where):
    if where == "no server":
        url = SecretStr(f"redis://127.0.0.1:{free_port()}/0")
        settings = settings.model_copy(update={"queue_url": url})
    bot = await create_bot(settings, maker)
    try:
        async with simcord.run(bot, shard_count=1) as env:
            channel = env.create_guild().create_text_channel("beats")
            alice = env.guild.add_member(env.create_user("alice"))
            await alice.send(channel, "!beat")
            line = channel.last_message.content
            assert env.errors
    finally:
        await bot.close()

    expected = QUEUE_DOWN if where == "no server" else NO_DRUMMERS
    assert line == expected
    (row,) = log_rows(db_path)
    assert row["error"] == expected
    assert row["outcome"] == ("failed" if where == "no server" else "busy")


# --- Redis restarts ----------------------------------------------------------------------


async def _until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until a blocking `check()` is true (it runs on a thread)."""
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(check):
            await asyncio.sleep(0.05)


async def test_idle_worker_rides_out_a_quick_redis_restart(simcord_env, channel, alice, db_path,
                                                            workers, redis_server, tmp_path):
    worker = workers("w1")
    redis_server.kill()
    await asyncio.sleep(0.07)  # a 70 ms restart; the new Redis is empty
    redis_server.start()

    await _until(worker.alive)  # raises if the worker exited
    await alice.send(channel, "!beat bars=2")

    assert channel.last_message.attachments
    assert worker.process.poll() is None
    assert "the job queue can't be reached" in (tmp_path / "w1.log").read_text()
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok"]


@pytest.mark.simcord(settle_timeout=40)
async def test_redis_restart_with_jobs_waiting_is_answered_at_the_next_look(
        simcord_env, channel, alice, bob, db_path, workers, queue, redis_server):
    workers("w1")
    making = asyncio.create_task(alice.send(channel, LONG_BEAT))
    await _started(queue)
    simcord_env.backend.create_message(channel.id, bob.id, "!beat bars=2")  # no wait for it
    async with asyncio.timeout(10):
        while await queue.zcard(QUEUE_NAME) < 2:  # bob's job waits behind alice's
            await asyncio.sleep(0.01)

    redis_server.kill()
    redis_server.start()  # empty: bob's job is gone; alice's is still on the worker
    restarted = time.perf_counter()
    await making

    assert time.perf_counter() - restarted < 10  # the next look, not the 156 s timeout
    answers = [m for m in channel.history() if m.author.bot and m.reference]
    to_bob = [m.content for m in answers if m.reference.message_id != answers[-1].id
              and not m.attachments]
    assert QUEUE_DOWN in to_bob
    assert len(_beats(channel)) <= 1  # alice: her beat (the worker kept it), or one line
    rows = log_rows(db_path)
    assert len(rows) == 2 and {"BeatTimedOut"}.isdisjoint(r["error"] or "" for r in rows)
    assert [r["error"] for r in rows if r["user_id"] == bob.id] == [QUEUE_DOWN]
    assert simcord_env.errors


# --- limits across two bot instances ------------------------------------------------------


class OtherBot:
    """A second bot instance on its own thread and event loop, with its own simcord, sharing
    the first one's Redis. Its `alice` has the same user id as the first bot's."""

    def __init__(self, settings, maker, alice_id: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.settings, self.maker, self.alice_id = settings, maker, alice_id
        self.call(self._start)

    def call(self, job: Callable[[OtherBot], Awaitable[Any]]) -> Any:
        """Run `job(self)` on the other bot's loop and wait for its result (blocking)."""
        future: Future = asyncio.run_coroutine_threadsafe(job(self), self.loop)
        return future.result(timeout=60)

    async def _start(self, _: OtherBot) -> None:
        self.bot = await create_bot(self.settings, self.maker)
        self.env = simcord.Env(self.bot, shard_count=1, settle_timeout=20)
        await self.env.start()
        self.channel = self.env.create_guild().create_text_channel("beats")
        self.alice = self._member(self.alice_id, "alice")
        self.carol = self._member(self.alice_id + 1000, "carol")  # nobody in the first bot

    def _member(self, user_id: int, name: str):
        """A member with a chosen id (both simcords hand out the same ids on their own)."""
        user = User(id=user_id, name=name)
        self.env.backend.users[user.id] = user
        return self.env.guild.add_member(UserHandle(self.env, user))

    def kill(self) -> None:
        """Stop its event loop dead, as SIGKILL stops a process: no close, no cleanup, no
        log row, no spill file; Redis stops hearing from it."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.dead = True

    def close(self) -> None:
        """Stop its simcord, close the bot, and end its loop."""
        if getattr(self, "dead", False):
            return

        async def stop(_: OtherBot) -> None:
            self.env.errors  # noqa: B018 - refusals are errors to simcord; acknowledged
            await self.env.shutdown()
            await self.bot.close()

        self.call(stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def other_bot(settings, maker, alice) -> Iterator[OtherBot]:
    other = OtherBot(settings.model_copy(update={"database": settings.database.with_name(
        "other.db")}), maker, alice.id)
    yield other
    other.close()


async def _send_on(other: OtherBot, text: str, sender: str = "alice") -> str:
    """Alice (or carol) sends `text` to the other bot; its last message there."""
    async def send(bot: OtherBot) -> str:
        await getattr(bot, sender).send(bot.channel, text)
        return bot.channel.last_message.content

    return await asyncio.to_thread(other.call, send)


@pytest.mark.bot_settings(cooldown_s=60, cooldown_rate=1)
async def test_cooldown_holds_across_bots(simcord_env, channel, alice, db_path, workers,
                                          other_bot):
    workers("w1")

    await alice.send(channel, "!beat")
    refused = await _send_on(other_bot, "!beat")

    assert channel.last_message.attachments
    assert refused.startswith("Slow down: you can ask again in ")
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok"]
    assert [r["outcome"] for r in log_rows(other_bot.settings.database)] == ["cooldown"]


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.bot_settings(queue_size=0)
async def test_one_in_flight_and_a_full_line_hold_across_bots(simcord_env, channel, alice, bob,
                                                              db_path, workers, queue,
                                                              other_bot):
    workers("w1")
    request = asyncio.create_task(alice.send(channel, LONG_BEAT))
    await _claimed(queue)  # alice's beat is on the one worker: no place is left in line

    twice = await _send_on(other_bot, "!beat")  # alice again, through the other bot
    await request
    await bob.send(channel, LONG_BEAT)

    assert twice.startswith("You already have a beat cooking")
    assert len(_beats(channel)) == 2
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok", "ok"]
    assert [r["outcome"] for r in log_rows(other_bot.settings.database)] == ["busy"]


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.bot_settings(queue_size=0)
async def test_busy_holds_across_bots(simcord_env, channel, bob, db_path, workers, queue,
                                      other_bot):
    workers("w1")
    request = asyncio.create_task(bob.send(channel, LONG_BEAT))
    await _claimed(queue)

    busy = await _send_on(other_bot, "!beat")
    await request

    assert busy.startswith("Busy: every drummer is playing. Try again in ")
    assert [r["outcome"] for r in log_rows(other_bot.settings.database)] == ["busy"]


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.bot_settings(queue_size=2)
async def test_queue_position_holds_across_bots(simcord_env, channel, alice, db_path, workers,
                                                queue, other_bot):
    workers("w1")
    request = asyncio.create_task(alice.send(channel, LONG_BEAT))
    await _claimed(queue)

    await _send_on(other_bot, "!beat", sender="carol")  # waits behind alice's, on the other bot
    await request

    posts = [r.json.get("content") for r in other_bot.env.http_requests
             if r.method == "POST" and r.path.endswith("/messages") and r.json]
    assert "Queued: position 1. Your beat starts when a drummer is free." in posts
    assert other_bot.channel.last_message.attachments
    assert [r["outcome"] for r in log_rows(other_bot.settings.database)] == ["ok"]
    assert row_queue_ms(other_bot.settings.database) > 0


@pytest.mark.simcord(settle_timeout=40)
async def test_a_dead_bots_job_is_answered_by_a_live_bot_and_its_mark_dies_with_it(
        simcord_env, channel, alice, db_path, workers, queue, other_bot):
    workers("w1")
    assert other_bot.channel.id == channel.id  # both simcords hand out the same ids
    asyncio.run_coroutine_threadsafe(other_bot.alice.send(other_bot.channel, LONG_BEAT),
                                     other_bot.loop)
    await _started(queue)
    await asyncio.to_thread(other_bot.kill)  # with alice's beat on the worker
    killed = time.perf_counter()

    async with asyncio.timeout(30):  # this bot adopts the job, and posts the beat here
        while not _beats(channel):
            await asyncio.sleep(0.1)
    adopted_after_s = time.perf_counter() - killed
    await alice.send(channel, "!beat")  # the dead bot's in-flight mark counts for nothing

    (orphan, fresh) = _beats(channel)
    assert orphan.embeds[0].title.endswith("alice") and "seed=9" in orphan.embeds[0].description
    assert fresh.attachments and not fresh.content
    assert adopted_after_s < 15  # the dead bot's TTL, a look, and the rest of the beat
    rows = log_rows(db_path)
    assert [(r["outcome"], r["seed"]) for r in rows] == [("ok", 9), ("ok", rows[1]["seed"])]
    assert rows[0]["source"] == "prefix" and rows[0]["render_ms"] > 0
    assert not log_rows(other_bot.settings.database)  # the dead bot wrote nothing
    assert not await queue.keys("beatbot:cards:*")  # every card answered


def row_queue_ms(database: Path) -> float:
    """The queue wait of the only request in a log."""
    (row,) = log_rows(database)
    return row["queue_ms"]
