"""The request log on a real SQLite file and on a real PostgreSQL server (every test runs on
both): migrations, rows, history and stats; and, for SQLite, a log made before Alembic."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.requestlog import Database, RequestRecord
from bot.requestlog.records import OUTCOMES
from bot.requestlog.schema import REQUESTS
from bot.requestlog.store import MIGRATIONS_DIR


def _record(user_id: int = 1, outcome: str = "ok", style: str = "rock", total_ms: float = 100.0,
            seed: int = 7, when: datetime | None = None) -> RequestRecord:
    record = RequestRecord(user_id=user_id, guild_id=10, channel_id=20, source="prefix",
                           params={"bpm": 90.0, "bars": 8, "style": style, "kit": "808",
                                   "seed": seed}, seed=seed, outcome=outcome, total_ms=total_ms)
    if when is not None:
        record.created_at = when
    return record


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


async def _column(database: Database, name: str) -> list[object]:
    """One column of every row, oldest first, read through the database's own engine."""
    async with database.engine.connect() as connection:
        result = await connection.execute(sa.select(REQUESTS.c[name]).order_by(REQUESTS.c.id))
        return list(result.scalars())


async def test_a_new_log_is_migrated_to_the_head(log_target):
    database = await Database.open(log_target)
    try:
        assert await database.schema_version() == _head() == "0002"
    finally:
        await database.close()


async def test_reopening_does_not_migrate_again(log_target):
    first = await Database.open(log_target)
    await first.log(_record())
    await first.close()
    second = await Database.open(log_target)
    try:
        assert await second.schema_version() == _head()
        assert len(await second.history(1)) == 1
    finally:
        await second.close()


async def test_every_outcome_passes_the_check_and_others_do_not(log_target):
    """A new Outcome needs a migration that widens the CHECK; this fails until it has one."""
    database = await Database.open(log_target)
    try:
        for outcome in OUTCOMES:
            assert await database.log(_record(outcome=outcome))
        assert await _column(database, "outcome") == list(OUTCOMES)
    finally:
        await database.close()


async def test_non_finite_params_and_nul_characters_are_stored(log_target):
    database = await Database.open(log_target)
    try:
        record = _record(outcome="user_error")
        record.params = {"bpm": float("nan"), "temp": float("inf"), "style": "ro\0ck"}
        record.error = "`bpm` can't be `\0`"
        assert await database.log(record)
        stats = await database.stats(datetime.now(UTC) - timedelta(hours=1))
        assert stats.requests == 1
        assert await _column(database, "params") == [
            {"bpm": "nan", "temp": "inf", "style": "rock"}]
        assert await _column(database, "error") == ["`bpm` can't be ``"]
    finally:
        await database.close()


async def test_times_come_back_aware_and_equal(log_target):
    database = await Database.open(log_target)
    when = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    try:
        await database.log(_record(when=when))
        (beat,) = await database.history(1)
        assert beat.created_at == when and beat.created_at.tzinfo is not None
    finally:
        await database.close()


async def test_history_is_newest_ok_beats_of_that_user(log_target):
    database = await Database.open(log_target)
    try:
        for seed in range(7):
            await database.log(_record(seed=seed))
        await database.log(_record(seed=99, outcome="user_error"))
        await database.log(_record(user_id=2, seed=50))
        beats = await database.history(1, limit=5)
        assert [beat.seed for beat in beats] == [6, 5, 4, 3, 2]
        assert beats[0].params["style"] == "rock"
    finally:
        await database.close()


async def test_stats_counts_today_p50_and_top_styles(log_target):
    database = await Database.open(log_target)
    now = datetime.now(UTC)
    try:
        for style, total in [("trap", 100), ("trap", 300), ("rock", 200), ("trap", 400)]:
            await database.log(_record(style=style, total_ms=total))
        await database.log(_record(outcome="busy", total_ms=1))
        await database.log(_record(style="rock", when=now - timedelta(days=2)))
        stats = await database.stats(now - timedelta(hours=1))
        assert (stats.beats, stats.requests) == (4, 5)
        assert stats.p50_ms == 250
        assert stats.top_styles == [("trap", 3), ("rock", 1)]
    finally:
        await database.close()


async def test_a_row_the_database_refuses_is_dropped_and_the_others_written(log_target, caplog):
    database = await Database.open(log_target)
    try:
        database.pending.append(_record(seed=1))
        database.pending.append(_record(seed=2, outcome="exploded"))  # fails the CHECK
        assert await database.log(_record(seed=3))
        assert await _column(database, "seed") == [1, 3]
        assert "dropped a request-log row" in caplog.text and database.pending == []
    finally:
        await database.close()


async def test_concurrent_writes_all_land_in_order(log_target):
    database = await Database.open(log_target)
    try:
        await asyncio.gather(*(database.log(_record(seed=n)) for n in range(50)))
        assert await _column(database, "seed") == list(range(50))
    finally:
        await database.close()


async def test_a_row_sent_twice_is_stored_once(log_target):
    """As when a commit went through but its acknowledgement was lost, and it is retried."""
    database = await Database.open(log_target)
    try:
        record = _record(seed=1)
        assert await database.log(record)
        database.pending.append(record)
        assert await database.log(_record(seed=2))
        assert await _column(database, "seed") == [1, 2]
    finally:
        await database.close()


async def test_two_bots_share_one_postgresql_log(postgres_server):
    """Two Database objects (as two bot processes have) write into and read one log."""
    url = postgres_server.create_database("shared")
    first, second = await Database.open(url), await Database.open(url)
    try:
        await asyncio.gather(first.log(_record(user_id=1, seed=1)),
                             second.log(_record(user_id=1, seed=2)))
        assert sorted(beat.seed for beat in await first.history(1)) == [1, 2]
        assert (await second.stats(datetime.now(UTC) - timedelta(hours=1))).beats == 2
    finally:
        await first.close()
        await second.close()


PRE_ALEMBIC_SCHEMA = """
CREATE TABLE requests (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, guild_id INTEGER, channel_id INTEGER,
    user_id INTEGER NOT NULL, source TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}',
    seed INTEGER, outcome TEXT NOT NULL
        CHECK (outcome IN ('ok', 'user_error', 'busy', 'cooldown', 'failed')),
    error TEXT, queue_ms REAL, generate_ms REAL, render_ms REAL, encode_ms REAL,
    upload_ms REAL, total_ms REAL);
CREATE INDEX requests_user ON requests (user_id, id);
CREATE INDEX requests_created ON requests (created_at);
PRAGMA user_version = 1;
"""
"""The log as the bot wrote it before Alembic (its migration 1, counted in user_version)."""


async def test_a_log_from_before_alembic_is_stamped_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(PRE_ALEMBIC_SCHEMA)
        old.execute("INSERT INTO requests (created_at, user_id, source, params, seed, outcome)"
                    " VALUES ('2026-11-30T12:00:00.5+00:00', 1, 'prefix', '{\"style\": \"rock\"}',"
                    " 5, 'ok')")
    database = await Database.open(path)
    try:
        assert await database.schema_version() == _head()
        await database.log(_record(seed=6))
        assert [beat.seed for beat in await database.history(1)] == [6, 5]
        since = datetime(2026, 11, 30, tzinfo=UTC)
        assert (await database.stats(since)).top_styles == [("rock", 2)]
        assert (await _column(database, "request_key"))[0] is None
    finally:
        await database.close()
