"""`beatbot bench --load`: the bot under load, through simcord, against the real engine.

50 simulated users send 500 `!beat` requests in bursts (25 requests every second, each user
sending 10 in a shuffled order) to the real bot (its default queue and cooldown, 2 workers,
8-bar beats) with the engine loaded by `BeatMaker.load()`. The harness then checks that every
request got exactly one answer (a beat, busy, or cooldown) and one row in the SQLite log.

Figures:
- sent, answered, logged: requests, those answered (a reply to the request), log rows;
- answers_*: the answers by kind; outcome_*: the log rows by outcome;
- beats_per_s: beats posted per second, from the first request to the last answer;
- latency_ms_p50 / _p99: from a request to its beat (beats only);
- answer_ms_p50 / _p99: from a request to its answer, whatever it was;
- lag_p99_ms / lag_max_ms: event-loop lag, the overshoot of a 10 ms sleep ticking all along
  (50 ms in `--distributed`, where each wake-up takes CPU from the workers);
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simcord

from bot.app import BeatBot, create_bot
from bot.requestlog.records import OUTCOMES
from bot.settings import Settings
from engine.beat.maker import BeatMaker
from engine.music.drums import DEFAULT_BARS

USERS = 50
REQUESTS = 500
WORKERS = 2
BURST_SIZE = 25
BURST_GAP_S = 1.0
"""Seconds between the starts of two bursts."""
TICK_S = 0.010
"""The lag ticker's sleep."""
ANSWER_TIMEOUT_S = 120.0
QUEUE_NOTICE = "Queued: "
"""How a queue notice starts (it replies to the request it is about)."""
"""Longest wait for the last answer and log row after the last burst; past it, the figures
show the requests left unanswered or unlogged."""
ANSWER_KINDS = {"Busy:": "busy", "You already have a beat": "busy", "Slow down:": "cooldown"}
"""How an answer that is not a beat begins, and what kind it is."""


@dataclass
class Request:
    """One `!beat` sent by the harness, and when its answer came (perf_counter seconds)."""

    sent_at: float
    answered_at: float | None = None
    kind: str | None = None
    answers: int = 0


@dataclass
class Answers:
    """Watches the simulated Discord for the bot's replies to the harness's requests."""

    bot_id: int
    requests: dict[int, Request] = field(default_factory=dict)
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: str, payload: Any) -> None:
        """A backend subscriber: note a MESSAGE_CREATE by the bot that replies to a request."""
        if event != "MESSAGE_CREATE" or int(payload["author"]["id"]) != self.bot_id:
            return
        reference = payload.get("message_reference") or {}
        request = self.requests.get(int(reference.get("message_id") or 0))
        if request is None or str(payload.get("content") or "").startswith(QUEUE_NOTICE):
            return  # not a reply to a request, or a queue notice (a reply, but not an answer)
        request.answers += 1
        if request.answered_at is None:
            request.answered_at = time.perf_counter()
            request.kind = _kind(payload)
        if all(r.answered_at is not None for r in self.requests.values()):
            self.complete.set()


def _kind(payload: dict) -> str:
    if payload.get("attachments"):
        return "beat"
    content = payload.get("content") or ""
    return next((kind for start, kind in ANSWER_KINDS.items() if content.startswith(start)),
                "other")


def run_load(users: int = USERS, requests: int = REQUESTS, workers: int = WORKERS,
             bars: int = DEFAULT_BARS, **options: Any) -> dict:
    """Run the load benchmark in a fresh event loop and return its figures (see the module)."""
    return asyncio.run(measure_load(users, requests, workers, bars, **options))


async def measure_load(users: int = USERS, requests: int = REQUESTS, workers: int = WORKERS,
                       bars: int = DEFAULT_BARS, burst_size: int = BURST_SIZE,
                       burst_gap_s: float = BURST_GAP_S, seed: int = 0,
                       maker: BeatMaker | None = None, tick_s: float = TICK_S,
                       **settings: Any) -> dict:
    """Send the bursts to a fresh bot and measure it.

    Args:
        users: simulated users.
        requests: `!beat` messages in all, shared out evenly among the users.
        workers: beats made at once.
        bars: the bot's default beat length.
        burst_size: requests per burst.
        burst_gap_s: seconds from one burst to the next.
        seed: shuffles who sends when.
        maker: a loaded engine to share (loaded here when None).
        tick_s: the lag ticker's sleep.
        settings: other bot Settings fields (the bot's defaults otherwise).
    """
    maker = maker or await asyncio.to_thread(BeatMaker.load)
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "load.db"
        config = Settings(_env_file=None, database=database, workers=workers,
                          default_bars=bars, **settings)
        bot = await create_bot(config, maker)
        lags: list[float] = []
        try:
            answers, elapsed_s = await _drive(bot, users, requests, burst_size, burst_gap_s,
                                              seed, lags, tick_s)
        finally:
            await bot.close()  # writes the request log out
        outcomes = await _outcomes(config)
    return _figures(config, answers, outcomes, elapsed_s, lags, users, burst_size, burst_gap_s)


async def _drive(bot: BeatBot, users: int, requests: int, burst_size: int, burst_gap_s: float,
                 seed: int, lags: list[float], tick_s: float) -> tuple[Answers, float]:
    """Attach the bot to simcord, send the bursts, wait for every answer and log row."""
    env = simcord.Env(bot, settle_timeout=ANSWER_TIMEOUT_S, shard_count=1)
    await env.start()
    stop = asyncio.Event()
    ticker = asyncio.create_task(_tick(lags, stop, tick_s))
    try:
        channel = env.create_guild().create_text_channel("load")
        members = [env.guild.add_member(env.create_user(f"drummer{n}")) for n in range(users)]
        answers = Answers(bot.user.id)
        env.backend.subscribers.append(answers)
        start = time.perf_counter()
        for burst in _bursts(members, requests, burst_size, seed):
            burst_start = time.perf_counter()
            for member in burst:
                message = env.backend.create_message(channel.id, member.id, "!beat")
                answers.requests[message.id] = Request(time.perf_counter())
                await asyncio.sleep(0)  # the gateway hands over one message at a time
            await asyncio.sleep(max(0.0, burst_gap_s - (time.perf_counter() - burst_start)))
        with contextlib.suppress(TimeoutError):  # the figures then show what is missing
            await asyncio.wait_for(_finished(answers, bot), ANSWER_TIMEOUT_S)
        elapsed_s = time.perf_counter() - start
        env.errors  # noqa: B018 - busy and cooldown refusals are errors to simcord; acknowledged
    finally:
        stop.set()
        await ticker
        await env.shutdown()
    return answers, elapsed_s


def _bursts(members: list, requests: int, size: int, seed: int) -> Iterator[list]:
    """Each member sends requests // len(members) (the first few one more), shuffled."""
    senders = [members[n % len(members)] for n in range(requests)]
    random.Random(seed).shuffle(senders)
    for first in range(0, requests, size):
        yield senders[first:first + size]


async def _tick(lags: list[float], stop: asyncio.Event, tick_s: float) -> None:
    """Sleep tick_s again and again, noting how late each wake-up is (ms)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(tick_s)
        lags.append((time.perf_counter() - start - tick_s) * 1000)


async def _finished(answers: Answers, bot: BeatBot) -> None:
    """Wait for every answer, then until no request is between its answer and its log row."""
    await answers.complete.wait()
    service = bot.beats
    while service.in_flight:
        await asyncio.sleep(0.05)


async def _outcomes(config: Settings) -> dict[str, int]:
    """Log rows by outcome, read straight from the SQLite file or the PostgreSQL database."""
    query = "SELECT outcome, COUNT(*) FROM requests GROUP BY outcome"
    if config.database_url is not None:
        import asyncpg

        connection = await asyncpg.connect(config.database_url.get_secret_value())
        try:
            found = {row[0]: row[1] for row in await connection.fetch(query)}
        finally:
            await connection.close()
    else:
        with sqlite3.connect(config.database) as connection:
            found = dict(connection.execute(query).fetchall())
    return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}


def _figures(config: Settings, answers: Answers, outcomes: dict[str, int], elapsed_s: float,
             lags: list[float], users: int, burst_size: int, burst_gap_s: float) -> dict:
    requests = list(answers.requests.values())
    answered = [r for r in requests if r.answered_at is not None]
    beats = [r for r in answered if r.kind == "beat"]
    kinds = [r.kind for r in answered]
    figures: dict[str, Any] = {
        "users": users, "sent": len(requests), "answered": len(answered),
        "answered_twice": sum(r.answers > 1 for r in requests),
        "logged": sum(outcomes.values()),
        "workers": config.workers, "queue_size": config.queue_size,
        "cooldown": f"{config.cooldown_rate} per {config.cooldown_s:g} s",
        "bars": config.default_bars, "bpm": config.default_bpm,
        "burst": f"{burst_size} every {burst_gap_s:g} s",
        "elapsed_s": elapsed_s,
        "beats_per_s": len(beats) / elapsed_s if elapsed_s else 0.0,
        "latency_ms_p50": _ms(beats, 0.50), "latency_ms_p99": _ms(beats, 0.99),
        "answer_ms_p50": _ms(answered, 0.50), "answer_ms_p99": _ms(answered, 0.99),
        "lag_p50_ms": _quantile(lags, 0.50), "lag_p99_ms": _quantile(lags, 0.99),
        "lag_max_ms": max(lags, default=0.0), "lag_ticks": len(lags),
    }
    for kind in ("beat", "busy", "cooldown", "other"):
        figures[f"answers_{kind}"] = kinds.count(kind)
    for outcome, count in outcomes.items():
        figures[f"outcome_{outcome}"] = count
    return figures


def _ms(requests: list[Request], q: float) -> float:
    return _quantile([(r.answered_at - r.sent_at) * 1000 for r in requests
                      if r.answered_at is not None], q)


def _quantile(values: list[float], q: float) -> float:
    """The q-quantile (inclusive method); 0 for no values."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
