"""The request log on a real SQLite file: schema version, WAL, rows, history and stats."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from bot.database import MIGRATIONS, Database, RequestRecord


def _record(user_id: int = 1, outcome: str = "ok", style: str = "rock", total_ms: float = 100.0,
            seed: int = 7, when: datetime | None = None) -> RequestRecord:
    record = RequestRecord(user_id=user_id, guild_id=10, channel_id=20, source="prefix",
                           params={"bpm": 90.0, "bars": 8, "style": style, "kit": "808",
                                   "seed": seed}, seed=seed, outcome=outcome, total_ms=total_ms)
    if when is not None:
        record.created_at = when
    return record


async def test_new_file_is_migrated_and_in_wal_mode(tmp_path):
    database = await Database.open(tmp_path / "log.db")
    try:
        assert await database.schema_version() == len(MIGRATIONS)
        async with database.connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
    finally:
        await database.close()


async def test_reopening_does_not_migrate_again(tmp_path):
    path = tmp_path / "log.db"
    first = await Database.open(path)
    await first.log(_record())
    await first.close()
    second = await Database.open(path)
    try:
        assert await second.schema_version() == len(MIGRATIONS)
        assert len(await second.history(1)) == 1
    finally:
        await second.close()


async def test_non_finite_params_are_stored_as_valid_json(tmp_path):
    database = await Database.open(tmp_path / "log.db")
    try:
        record = _record(outcome="user_error")
        record.params = {"bpm": float("nan"), "temp": float("inf"), "style": "rock"}
        await database.log(record)
        stats = await database.stats(datetime.now(UTC) - timedelta(hours=1))
        assert stats.requests == 1
    finally:
        await database.close()
    with sqlite3.connect(tmp_path / "log.db") as connection:
        (params,) = connection.execute("SELECT params FROM requests").fetchone()
        assert connection.execute("SELECT json_valid(?)", (params,)).fetchone() == (1,)


async def test_history_is_newest_ok_beats_of_that_user(tmp_path):
    database = await Database.open(tmp_path / "log.db")
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


async def test_stats_counts_today_p50_and_top_styles(tmp_path):
    database = await Database.open(tmp_path / "log.db")
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


async def test_a_row_sqlite_refuses_is_dropped_and_the_others_written(tmp_path, caplog):
    database = await Database.open(tmp_path / "log.db")
    try:
        database.pending.append(_record(seed=1))
        database.pending.append(_record(seed=2, outcome="exploded"))  # fails the CHECK
        assert await database.log(_record(seed=3))
        async with database.connection.execute("SELECT seed FROM requests") as cursor:
            assert [row[0] async for row in cursor] == [1, 3]
        assert "dropped a request-log row" in caplog.text and database.pending == []
    finally:
        await database.close()


async def test_concurrent_writes_all_land_in_order(tmp_path):
    database = await Database.open(tmp_path / "log.db")
    try:
        await asyncio.gather(*(database.log(_record(seed=n)) for n in range(50)))
        async with database.connection.execute("SELECT seed FROM requests ORDER BY id") as cursor:
            assert [row[0] async for row in cursor] == list(range(50))
    finally:
        await database.close()
