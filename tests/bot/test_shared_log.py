"""The bot on a shared PostgreSQL log (a private server of this test's own), through simcord:
the server stops mid-run and comes back, or is down when the bot stops. Users still get
their beats, nothing crashes, and every request is written once when the server is back."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest
from pydantic import SecretStr

from bench.postgres import PostgresServer, postgres_bin
from bot.app import LOG_RETRY_S
from bot.requestlog import Database, LogUnavailable, RequestRecord

pytestmark = pytest.mark.skipif(postgres_bin() is None and not __import__("os").environ.get(
    "CI"), reason="PostgreSQL is not installed (apt-get install postgresql)")


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A private server that this test may stop and start (restarts keep port and data)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture
def log_url(postgres) -> str:
    return postgres.create_database("beatbot")


@pytest.fixture
def settings(settings, log_url):
    """The bot's test settings, with the request log on the private server."""
    return settings.model_copy(update={"database_url": SecretStr(log_url)})


async def _rows(url: str) -> list[tuple[int | None, str]]:
    """(seed, outcome) of every row, oldest first, read with a plain asyncpg connection."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT seed, outcome FROM requests ORDER BY id")
    finally:
        await connection.close()
    return [(row["seed"], row["outcome"]) for row in rows]


async def test_the_log_server_stopping_mid_run_costs_no_beat_and_no_row(
        simcord_env, channel, alice, postgres, log_url):
    database = simcord_env.bot.database
    await alice.send(channel, "!beat seed=1")
    postgres.stop()
    await alice.send(channel, "!beat seed=2")
    served = channel.last_message
    await alice.send(channel, "!beat bpm=fast")
    refused = channel.last_message
    await alice.send(channel, "!history")
    history = channel.last_message
    assert {a.filename for a in served.attachments} == {"beat.mp3", "beat.mid", "grid.png"}
    assert refused.content.startswith("`bpm` can't be `fast`")
    assert history.content == str(LogUnavailable())
    assert len(database.pending) == 2 and database.outage
    assert len(simcord_env.errors) == 2  # the bad bpm and the unreadable log, both answered

    await simcord_env.advance_time(LOG_RETRY_S)  # still down: the retry keeps them waiting
    assert len(database.pending) == 2
    postgres.start()
    await simcord_env.advance_time(LOG_RETRY_S)  # back: the retry loop writes them

    assert await _rows(log_url) == [(1, "ok"), (2, "ok"), (None, "user_error")]
    assert database.pending == [] and database.outage is None
    await alice.send(channel, "!history")
    assert channel.last_message.content.startswith("Your last 2 beats")


async def test_a_crashed_server_is_reconnected_to_on_the_next_write(
        simcord_env, channel, alice, postgres, log_url):
    """An immediate stop (as a crash) leaves the pool's connections dead; the next write
    notices, reconnects to the restarted server, and writes."""
    await alice.send(channel, "!beat seed=1")
    postgres.stop("immediate")
    postgres.start()
    await alice.send(channel, "!beat seed=2")

    assert await _rows(log_url) == [(1, "ok"), (2, "ok")]
    assert simcord_env.bot.database.pending == []


async def test_rows_unwritten_when_the_bot_stops_wait_in_the_spill_file(postgres, log_url,
                                                                       tmp_path, caplog):
    spill = tmp_path / "beatbot.db.unsaved.jsonl"
    database = await Database.open(log_url, spill)
    database.close_retries_s = ()  # one last try, no waiting
    postgres.stop()
    records = [RequestRecord(user_id=1, guild_id=1, channel_id=2, source="prefix", seed=seed,
                             outcome="ok") for seed in (7, 8)]
    for record in records:
        assert not await database.log(record)
    await database.close()
    assert len(spill.read_text().splitlines()) == 2 and "saved 2 rows" in caplog.text

    postgres.start()
    reopened = await Database.open(log_url, spill)
    await reopened.close()

    assert await _rows(log_url) == [(7, "ok"), (8, "ok")]
    assert not spill.exists()
