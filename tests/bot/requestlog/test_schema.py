"""The request log's table as the queries see it (bot.requestlog.schema): it matches what the
migrations make, on SQLite and PostgreSQL, and times are stored in UTC and come back aware."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.requestlog import Database
from bot.requestlog.schema import METADATA, REQUESTS, UtcTime

BERLIN, NEW_YORK = timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))


async def test_the_table_matches_what_the_migrations_make(log_target):
    database = await Database.open(log_target)
    try:
        async with database.engine.connect() as connection:
            columns, unique = await connection.run_sync(_inspected)
    finally:
        await database.close()

    assert columns == {column.name: column.nullable for column in REQUESTS.columns}
    assert ["request_key"] in unique


def _inspected(connection: sa.Connection) -> tuple[dict[str, bool], list[list[str]]]:
    inspector = sa.inspect(connection)
    columns = {c["name"]: c["nullable"] for c in inspector.get_columns("requests")}
    unique = [u["column_names"] for u in inspector.get_unique_constraints("requests")]
    unique += [i["column_names"] for i in inspector.get_indexes("requests") if i["unique"]]
    return columns, unique


@pytest.fixture
def sqlite_file(tmp_path):
    """A real SQLite file with the table made from the schema itself."""
    path = tmp_path / "schema.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    METADATA.create_all(engine)
    yield path, engine
    engine.dispose()


@pytest.mark.parametrize(("given", "stored"), [
    (datetime(2026, 3, 1, 0, 30, tzinfo=BERLIN), "2026-02-28T23:30:00+00:00"),
    (datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=NEW_YORK), "2026-03-01T17:00:00.250000+00:00"),
    (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "2026-03-01T12:00:00+00:00"),
])
def test_sqlite_keeps_times_as_utc_text_that_come_back_aware_and_equal(sqlite_file, given,
                                                                       stored):
    path, engine = sqlite_file
    with engine.begin() as connection:
        connection.execute(REQUESTS.insert().values(created_at=given, user_id=1, source="prefix",
                                                    params={}, outcome="ok"))
        back = connection.execute(sa.select(REQUESTS.c.created_at)).scalar_one()
    with sqlite3.connect(path) as raw:
        (text,) = raw.execute("SELECT created_at FROM requests").fetchone()

    assert text == stored
    assert back == given and back.utcoffset() == timedelta(0)


def test_utc_text_sorts_as_the_times_do(sqlite_file):
    path, engine = sqlite_file
    times = [datetime(2026, 3, 1, 12, 0, tzinfo=NEW_YORK),  # 17:00 UTC: the latest
             datetime(2026, 3, 1, 16, 0, tzinfo=BERLIN),  # 15:00 UTC
             datetime(2026, 3, 1, 16, 30, tzinfo=UTC)]
    with engine.begin() as connection:
        for user_id, when in enumerate(times):
            connection.execute(REQUESTS.insert().values(
                created_at=when, user_id=user_id, source="prefix", params={}, outcome="ok"))
        by_text = connection.execute(
            sa.select(REQUESTS.c.user_id).order_by(REQUESTS.c.created_at)).scalars().all()

    assert by_text == [1, 2, 0]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_no_time_stays_none(dialect):
    from sqlalchemy.dialects import postgresql, sqlite

    chosen = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect]
    kind = UtcTime()

    assert kind.process_bind_param(None, chosen) is None
    assert kind.process_result_value(None, chosen) is None
    assert isinstance(kind.load_dialect_impl(chosen), sa.Text) == (dialect == "sqlite")
