"""`beatbot bench --faults`: the distributed mode under faults, with real parts.

A private Redis and PostgreSQL (the request log), two real `beatbot worker` processes, and
the bot through simcord, on a thread and event loop of its own (so that it can be killed).
For each fault, a fresh bot (and log database) takes `!beat` at RATE requests a second from
USERS users: LEAD_S seconds of calm, the fault, TAIL_S seconds after it ends; then the
harness waits for the last answers. The faults (FAULTS):

- worker_sigkill: one worker killed (SIGKILL) while it makes a beat;
- worker_sigterm_busy: one worker stopped (SIGTERM) while it makes a beat;
- redis_restart_idle: Redis killed and started again (empty) with nothing in flight;
- redis_restart_waiting: the same with jobs waiting in line;
- redis_down: Redis down for `redis_down_s` (30 s), then started again (empty);
- postgres_down: PostgreSQL stopped for `postgres_down_s` (20 s), then started again;
- bot_sigkill: the bot's loop stopped dead (what Redis and the log see of a SIGKILL: no
  close, no log written, no spill file) with jobs in flight, and a new bot started.

A worker the fault killed or stopped is started again afterwards, before the next fault
(that is the fault's own doing); every other worker must have lived through it alone.

Figures, per fault: sent; answered (requests with at least one answer: a beat, or one line);
doubled (with more than one); logged (rows in that fault's log database); longest_wait_s
(a request to its answer); late (answered more than ANSWER_WITHIN_S after the later of
its sending and the fault's end, or never); workers_alive (of those the fault did not touch,
at the end) and workers (how many that is); answers by kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simcord
from pydantic import SecretStr

from bench.load import _outcomes
from bench.postgres import PostgresServer
from bench.servers import RedisServer, WorkerProcess
from bot.app import create_bot
from bot.settings import Settings
from engine.beat.maker import BeatMaker

RATE = 3.0
"""Requests a second."""
USERS = 40
LEAD_S = 3.0
"""Seconds of load before each fault."""
TAIL_S = 4.0
"""Seconds of load after each fault has ended."""
ANSWER_WITHIN_S = 10.0
DRAIN_S = 60.0
"""Longest wait for the last answers and log rows after the load stops."""
BARS = 2
BURST = 6
"""Long beats (BURST_TEXT) sent at once just before a fault that needs jobs in flight or
waiting, so that the fault finds them: 2-bar beats at 3 a second keep two workers idle most
of the time."""
BURST_TEXT = "!beat bars=8"
FAULTS = ("worker_sigkill", "worker_sigterm_busy", "redis_restart_idle",
          "redis_restart_waiting", "redis_down", "postgres_down", "bot_sigkill")
QUEUE_NOTICE = "Queued: "


@dataclass
class Sent:
    """One `!beat`: who sent it, when, and the answers it got (perf_counter seconds)."""

    user_id: int
    sent_at: float
    answers: list[tuple[float, str]] = field(default_factory=list)


class Tally:
    """Watches every simulated Discord the bots post to, for answers to the requests."""

    def __init__(self) -> None:
        self.sent: dict[int, Sent] = {}
        self.lock = threading.Lock()
        self.bot_ids: set[int] = set()

    def __call__(self, event: str, payload: Any) -> None:
        """A backend subscriber: a bot's message that answers a request."""
        if event != "MESSAGE_CREATE" or int(payload["author"]["id"]) not in self.bot_ids:
            return
        content = str(payload.get("content") or "")
        if content.startswith(QUEUE_NOTICE):
            return
        reference = payload.get("message_reference") or {}
        with self.lock:
            request = self.sent.get(int(reference.get("message_id") or 0))
            if request is not None:
                kind = "beat" if payload.get("attachments") else content[:40]
                request.answers.append((time.perf_counter(), kind))


class BotHost:
    """A bot in simcord on a thread and event loop of its own; `kill()` stops the loop dead.

    Every host builds the same guild, channel and users in the same order, so that they have
    the same ids in each simulated Discord, as they would in the real one; a new host's
    messages never take the ids of requests sent before it.
    """

    def __init__(self, settings: Settings, maker: BeatMaker, tally: Tally) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.settings, self.maker, self.tally = settings, maker, tally
        self.dead = False
        self.call(self._start)

    def call(self, job: Callable[[], Awaitable[Any]], timeout: float = 60) -> Any:
        """Run `job()` on the host's loop and wait for its result."""
        future: Future = asyncio.run_coroutine_threadsafe(job(), self.loop)
        return future.result(timeout=timeout)

    async def _start(self) -> None:
        self.bot = await create_bot(self.settings, self.maker)
        self.env = simcord.Env(self.bot, shard_count=1, settle_timeout=DRAIN_S)
        await self.env.start()
        guild = self.env.create_guild(name="faults")
        self.channel = guild.create_text_channel("beats")
        self.users = [guild.add_member(self.env.create_user(f"drummer{n}")).id
                      for n in range(USERS)]
        with self.tally.lock:  # a new host must not hand out the old requests' ids again
            for message_id in self.tally.sent:
                self.env.backend.reserve_id(message_id)
        self.tally.bot_ids.add(self.bot.user.id)
        self.env.backend.subscribers.append(self.tally)

    def send(self, n: int, text: str = "!beat", timeout: float = 60) -> None:
        """User n sends `text` (without waiting for the answer)."""
        async def post() -> None:
            user = self.users[n % USERS]
            message = self.env.backend.create_message(self.channel.id, user, text)
            with self.tally.lock:
                self.tally.sent[message.id] = Sent(user, time.perf_counter())
        self.call(post, timeout)

    def in_flight(self) -> int:
        """Requests between their arrival and their log row."""
        async def count() -> int:
            cog = self.bot.get_cog("Beats")
            return cog.service.in_flight + len(self.bot.database.pending)
        return self.call(count)

    def kill(self) -> None:
        """Stop the loop dead (as SIGKILL stops the process): nothing is closed or written."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.dead = True

    def close(self) -> None:
        """Stop simcord and close the bot (its log written out), then end the loop."""
        if self.dead:
            return

        async def stop() -> None:
            self.env.errors  # noqa: B018 - refusals are errors to simcord; acknowledged
            await self.env.shutdown()
            await self.bot.close()
        self.call(stop, timeout=DRAIN_S)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Rig:
    """The servers and workers every fault shares."""

    def __init__(self, folder: Path, maker: BeatMaker) -> None:
        self.folder, self.maker = folder, maker
        self.redis = RedisServer(folder / "redis").start()
        self.postgres = PostgresServer().start()
        self.workers = [self._worker(n) for n in range(2)]
        self.databases = 0

    def _worker(self, n: int) -> WorkerProcess:
        return WorkerProcess(self.redis.url, f"w{n}", self.folder / f"w{n}.log").start()

    def settings(self) -> Settings:
        """A bot's settings, with a fresh log database."""
        self.databases += 1
        url = self.postgres.create_database(f"faults{self.databases}")
        return Settings(_env_file=None, queue_url=SecretStr(self.redis.url),
                        database_url=SecretStr(url), database=self.folder / "unused.db",
                        cooldown_s=0, default_bars=BARS, shard_count=1)

    def replace(self, n: int) -> None:
        """Start worker n again (after a fault that killed or stopped it)."""
        self.workers[n] = self._worker(n)

    def close(self) -> None:
        """Stop the workers and Redis."""
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.stop()
        self.redis.stop()
        self.postgres.remove()


def run_faults(faults: tuple[str, ...] = FAULTS, redis_down_s: float = 30.0,
               postgres_down_s: float = 20.0, lead_s: float = LEAD_S,
               tail_s: float = TAIL_S) -> dict[str, Any]:
    """Run each fault once (see the module); the figures by fault. The short version (CI's)
    takes shorter outages and less load around each fault."""
    maker = BeatMaker.load()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        rig = Rig(Path(scratch), maker)
        try:
            for name in faults:
                results[name] = _run(rig, name, (redis_down_s, postgres_down_s),
                                     (lead_s, tail_s))
        finally:
            rig.close()
    return {"rate_per_s": RATE, "users": USERS, "bars": BARS, "answer_within_s":
            ANSWER_WITHIN_S, "faults": results,
            "all_answered_logged_once": all(_clean(r) for r in results.values())}


def _clean(figures: dict[str, Any]) -> bool:
    return (figures["answered"] == figures["sent"] == figures["logged"]
            and figures["doubled"] == 0 and figures["late"] == 0
            and figures["workers_alive"] == figures["workers"])


def _run(rig: Rig, fault: str, outages_s: tuple[float, float],
         around_s: tuple[float, float]) -> dict[str, Any]:
    """One fault under load, on a fresh bot and log database; its figures."""
    settings = rig.settings()
    tally = Tally()
    hosts = [BotHost(settings, rig.maker, tally)]
    load = Load(hosts)
    load.start()
    touched: set[int] = set()
    try:
        time.sleep(around_s[0])
        ended = _inject(rig, fault, hosts, load, touched, *outages_s)
        time.sleep(around_s[1])
    finally:
        load.stop()
    _drain(hosts[-1], tally)
    for host in hosts:
        host.close()
    alive = [w for n, w in enumerate(rig.workers) if n not in touched and _alive(w)]
    figures = _figures(tally, ended, asyncio.run(_outcomes(settings)))
    figures.update(workers_alive=len(alive), workers=len(rig.workers) - len(touched))
    for n in touched:
        rig.replace(n)
    return figures


def _inject(rig: Rig, fault: str, hosts: list[BotHost], load: Load, touched: set[int],
            redis_down_s: float, postgres_down_s: float) -> float:
    """Bring the fault about, and end it; when it ended (perf_counter)."""
    if fault in ("worker_sigkill", "worker_sigterm_busy", "redis_restart_waiting",
                 "bot_sigkill"):
        load.burst(BURST)
    if fault in ("worker_sigkill", "worker_sigterm_busy"):
        _until(lambda: _busy(rig) >= 2, 10)  # both busy: worker 0 has a job
        touched.add(0)
        rig.workers[0].kill() if fault == "worker_sigkill" else rig.workers[0].stop()
    elif fault == "redis_restart_idle":
        load.pause()
        _until(lambda: not hosts[-1].in_flight(), 30)
        rig.redis.kill()
        rig.redis.start()
        load.resume()
    elif fault == "redis_restart_waiting":
        _until(lambda: _queued(rig) >= 2, 10)
        rig.redis.kill()
        rig.redis.start()
    elif fault == "redis_down":
        rig.redis.kill()
        time.sleep(redis_down_s)
        rig.redis.start()
    elif fault == "postgres_down":
        rig.postgres.stop()
        time.sleep(postgres_down_s)
        rig.postgres.start()
    elif fault == "bot_sigkill":
        _until(lambda: _queued(rig) >= 3, 10)
        hosts[-1].kill()
        hosts.append(BotHost(hosts[-1].settings, rig.maker, hosts[-1].tally))
    else:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
    return time.perf_counter()


class Load:
    """Sends RATE requests a second to the newest live host, on a thread, until stopped."""

    def __init__(self, hosts: list[BotHost]) -> None:
        self.hosts = hosts
        self.running = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.lock = threading.Lock()
        self.n = 0

    def start(self) -> None:
        """Start sending requests."""
        self.running.set()
        self.thread.start()

    def pause(self) -> None:
        """Stop sending for a while."""
        self.running.clear()

    def resume(self) -> None:
        """Send again."""
        self.running.set()

    def stop(self) -> None:
        """Stop sending for good."""
        self.stopped.set()
        self.running.set()
        self.thread.join(30)

    def burst(self, count: int) -> None:
        """`count` long beats at once, from users the steady load is not using just now."""
        for _ in range(count):
            self.hosts[-1].send(self._next(), BURST_TEXT)

    def _next(self) -> int:
        with self.lock:
            self.n += 1
            return self.n

    def _send(self) -> None:
        while not self.stopped.is_set():
            self.running.wait()
            host = self.hosts[-1]
            if not host.dead and not self.stopped.is_set():
                with contextlib.suppress(Exception):  # the host died under us: the next one
                    host.send(self._next(), timeout=1)
            time.sleep(1 / RATE)


def _drain(host: BotHost, tally: Tally) -> None:
    """Wait until every request has an answer and the live bot has nothing left to log."""
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        with tally.lock:
            unanswered = sum(not r.answers for r in tally.sent.values())
        if not unanswered and not host.in_flight():
            return
        time.sleep(0.2)


def _figures(tally: Tally, ended: float, outcomes: dict[str, int]) -> dict[str, Any]:
    requests = list(tally.sent.values())
    answered = [r for r in requests if r.answers]
    waits = [r.answers[0][0] - r.sent_at for r in answered]
    late = [r for r in requests if not r.answers
            or r.answers[0][0] - max(r.sent_at, ended) > ANSWER_WITHIN_S]
    kinds: dict[str, int] = {}
    for request in answered:
        kind = request.answers[0][1]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"sent": len(requests), "answered": len(answered),
            "doubled": sum(len(r.answers) > 1 for r in requests),
            "logged": sum(outcomes.values()), "outcomes": outcomes,
            "longest_wait_s": round(max(waits, default=0.0), 2), "late": len(late),
            "answers": kinds}


def _until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)


def _busy(rig: Rig) -> int:
    """Jobs in the workers' hands."""
    with rig.redis.client() as client:
        return len(client.keys("arq:in-progress:*"))


def _queued(rig: Rig) -> int:
    from bot.jobs.names import QUEUE_NAME

    with rig.redis.client() as client:
        return int(client.zcard(QUEUE_NAME))


def _alive(worker: WorkerProcess) -> bool:
    try:
        return worker.alive()
    except Exception:
        return False
