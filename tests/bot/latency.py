"""Measure `!beat` receive-to-reply latency through the real bot, engine and simcord.

    .venv/bin/python -m tests.bot.latency --n 50            # default request (8 bars, mp3)
    .venv/bin/python -m tests.bot.latency --n 50 --args "bars=4 style=trap"

Requests are sent one after another (no queueing). Two figures come back: `bot` is what the
bot itself logs as `total_ms` (command start to the reply posted), `wall` is what the test
sees around each send (message in, until the bot has finished, request log included).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import simcord

from bot.app import create_bot
from bot.settings import Settings
from engine.beat.maker import BeatMaker


@dataclass(frozen=True)
class Latency:
    """Milliseconds over `n` requests."""

    n: int
    bot_p50: float
    bot_p90: float
    wall_p50: float
    wall_p90: float
    engine_p50: float

    def __str__(self) -> str:
        return (f"{self.n} requests: p50 {self.bot_p50:.0f} ms (bot-logged receive->reply), "
                f"p90 {self.bot_p90:.0f} ms; harness wall p50 {self.wall_p50:.0f} ms, "
                f"p90 {self.wall_p90:.0f} ms; engine total p50 {self.engine_p50:.0f} ms")


def _quantile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


async def measure(n: int = 50, args: str = "", maker: BeatMaker | None = None,
                  folder: Path | None = None) -> Latency:
    """Send `!beat {args}` `n` times and return the latency figures.

    Args:
        n: how many requests.
        args: the `key=value` text after `!beat`.
        maker: a loaded engine to share; loaded here when None.
        folder: where the request log goes (a temporary folder when None).
    """
    with tempfile.TemporaryDirectory() as scratch:
        database = (folder or Path(scratch)) / "latency.db"
        settings = Settings(_env_file=None, database=database, cooldown_s=0, queue_size=n)
        bot = await create_bot(settings, maker or BeatMaker.load())
        wall = []
        try:
            async with simcord.run(bot, settle_timeout=60, shard_count=1) as env:
                channel = env.create_guild().create_text_channel("beats")
                alice = env.guild.add_member(env.create_user("alice"))
                for _ in range(n):
                    start = time.perf_counter()
                    await alice.send(channel, f"!beat {args}".strip())
                    wall.append((time.perf_counter() - start) * 1000)
                    assert channel.last_message.attachments, channel.last_message.content
        finally:
            await bot.close()
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT total_ms, generate_ms + COALESCE(render_ms, 0) + "
                                      "COALESCE(encode_ms, 0) FROM requests").fetchall()
    totals, engine = [r[0] for r in rows], [r[1] for r in rows]
    return Latency(n, _quantile(totals, 0.5), _quantile(totals, 0.9), _quantile(wall, 0.5),
                   _quantile(wall, 0.9), _quantile(engine, 0.5))


def main(argv: list[str] | None = None) -> int:
    """Command line: print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="requests (default 50)")
    parser.add_argument("--args", default="", help="key=value text after !beat")
    options = parser.parse_args(argv)
    print(asyncio.run(measure(options.n, options.args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
