"""The request log's store: writing rows (waiting in memory through an outage), reading
history and stats, migrations, and the spill file.

SQLAlchemy Core on its async engine, over aiosqlite (the default: a SQLite file in WAL mode)
or asyncpg (`BEATBOT_DATABASE_URL=postgresql://...`: one log shared by every bot process).
One table definition (`schema.py`) and one Alembic migration chain (`migrations/`) serve
both; see docs/database.md for why.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import statistics
import threading
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.requestlog.records import LogUnavailable, Outcome, PastBeat, RequestRecord, Stats
from bot.requestlog.schema import REQUESTS

log = logging.getLogger(__name__)


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"
"""The table as it was before Alembic (PRAGMA user_version 1): such files get this stamp."""
BUSY_TIMEOUT_S = 0.25
"""How long a SQLite write waits for another connection's lock before its rows wait in memory."""
CONNECT_TIMEOUT_S = 3.0
"""How long a PostgreSQL connection attempt may take before the rows wait in memory (a
request's own write is the only one that can wait this long for an unreachable server)."""
COMMAND_TIMEOUT_S = 10.0
"""Longest one write or read (its whole transaction) may take. One timer per call, not
asyncpg's command timeout, which sets one per statement: simcord, the test harness, keeps
every timer the bot sets in a list until its loop settles, and scans it often."""
MIGRATION_LOCK = 0x6265_6174
"""PostgreSQL advisory lock key: bots starting at once migrate one after the other."""
CLOSE_RETRIES_S = (0.1, 0.5, 1.0, 2.0)
"""Pauses between the tries `close()` makes to write pending rows before spilling them."""
THREADS_SETTLE_S = 2.0
"""Longest a failed open waits for the connection threads it started to end."""
SPILL_SUFFIX = ".unsaved.jsonl"
"""Appended to the SQLite file's name for rows one run could not write."""


class LogOpenFailed(Exception):
    """The request log could not be reached or migrated at start-up.

    Args:
        target: the path or URL (its password is never shown).
        cause: what went wrong.
    """

    def __init__(self, target: Path | str, cause: BaseException) -> None:
        super().__init__(f"could not open the request log {describe_target(target)}: "
                         f"{_first_line(cause)}")




class Database:
    """The request log. Open with `await Database.open(target)`; close with `close()`.

    Writes never cost a request its answer: rows wait in `pending`, in order, while the
    database can't take them (a SQLite file locked by another connection or read-only, a
    PostgreSQL server that is down or unreachable), and go in with the next write, the next
    `flush()`, or `close()`. Rows still unwritten at `close()` are spilled to a JSON-lines
    file and loaded back by the next `open()`, so none is lost.

    Args:
        engine: the async engine.
        spill_path: the JSON-lines file for rows a run could not write, or None.
    """

    def __init__(self, engine: AsyncEngine, spill_path: Path | None = None) -> None:
        self.engine = engine
        self.spill_path = spill_path
        self.pending: list[RequestRecord] = []
        self.outage: str | None = None
        """Why the last write failed, while rows are waiting; None when all is written."""
        self._writing = asyncio.Lock()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self.close_retries_s = CLOSE_RETRIES_S

    @classmethod
    async def open(cls, target: Path | str, spill: Path | None = None) -> Database:
        """Open (or create) the log, migrated to the newest schema, and write the rows a
        previous run could not (its spill file).

        Args:
            target: a SQLite file's path, or a postgresql:// (or sqlite://) URL.
            spill: where unwritten rows wait between runs; beside a SQLite file unless given,
                and only in the application log for a server without one.

        Raises:
            LogOpenFailed: the database can't be reached or migrated (the bot then does not
                start).
        """
        url = sa.make_url(database_url(target))
        if spill is None and url.get_backend_name() == "sqlite" and url.database:
            spill = spill_path(Path(url.database))
        database = cls(_engine(url), spill)
        before = set(threading.enumerate())
        try:
            await database.migrate()
        except Exception as error:
            await database.engine.dispose()
            await _threads_ended(set(threading.enumerate()) - before)
            raise LogOpenFailed(target, error) from error
        await database._load_spill()
        return database

    async def close(self) -> None:
        """Write what is pending (retrying for a moment), spill the rest, close the engine.

        Safe to call more than once, and from two tasks at a time.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        for delay_s in self.close_retries_s:
            if await self.flush():
                break
            await asyncio.sleep(delay_s)
        else:
            await self.flush()
        self._closed = True
        self._spill()
        await self.engine.dispose()

    async def schema_version(self) -> str | None:
        """The Alembic revision the database is at (None before any migration)."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def migrate(self) -> None:
        """Run the migrations the database has not seen yet, in one transaction."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def log(self, record: RequestRecord) -> bool:
        """Queue one request and write everything queued.

        Returns:
            True when it is written. False when the database could not take it now (it
            waits in `pending` for the next try), or while another write is under way:
            that write takes this row too, and a slow server never makes requests queue up.
        """
        self.pending.append(record)
        if self._closed:  # a request that outlived the bot: keep it for the next start
            self._spill()
            return False
        if self._writing.locked():
            return False
        return await self.flush()

    async def flush(self) -> bool:
        """Write every pending row, and those that come in meanwhile; True when none is left."""
        async with self._writing:
            while self.pending and not self._closed:
                batch = list(self.pending)
                done = await self._write(batch)
                del self.pending[:done]
                if done < len(batch):
                    return False
                self._note_recovery(done)
            return not self.pending

    async def _write(self, batch: list[RequestRecord]) -> int:
        """Write a batch in one transaction, or row by row when the database refuses a row.

        Returns:
            How many rows were dealt with (written, or dropped and logged in full as refused)
            before the database stopped taking writes: all of them unless it did.
        """
        try:
            await self._insert(batch)
            return len(batch)
        except Exception as error:
            if _is_outage(error):
                self._note_outage(error)
                return 0
        for done, record in enumerate(batch):
            try:
                await self._insert([record])
            except Exception as error:
                if _is_outage(error):
                    self._note_outage(error)
                    return done
                log.error("dropped a request-log row the database refuses (%s): %r",
                          _first_line(error), record)
        return len(batch)

    async def _insert(self, batch: list[RequestRecord]) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(REQUESTS).on_conflict_do_nothing(index_elements=["request_key"])
        rows = [_row(record) for record in batch]

        async def write() -> None:
            async with self.engine.begin() as connection:
                await connection.execute(insert, rows)
        await _reconnecting(write)

    def _note_outage(self, error: BaseException) -> None:
        if self.outage is None:
            log.warning("the request log can't be written (%s); keeping rows in memory",
                        _first_line(error))
        self.outage = _first_line(error)

    def _note_recovery(self, written: int) -> None:
        if self.outage is not None:
            log.warning("the request log is writable again; wrote %d waiting rows", written)
        self.outage = None
        if self.spill_path and self.spill_path.exists():
            self.spill_path.unlink()

    def _spill(self) -> None:
        """Save rows that could not be written to the spill file (or the log, without one)."""
        if not self.pending:
            return
        lines = [_to_json(record) for record in self.pending]
        try:
            if self.spill_path is None:
                raise OSError("the database has no spill file")
            self.spill_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        except OSError as error:  # the application log is the last resort
            log.error("could not save %d request-log rows (%s): %s", len(lines), error, lines)
            return
        log.error("the request log is unwritable; saved %d rows to %s for the next start",
                  len(lines), self.spill_path)

    async def _load_spill(self) -> None:
        if self.spill_path is None or not self.spill_path.exists():
            return
        lines = self.spill_path.read_text(encoding="utf-8").splitlines()
        self.pending.extend(_from_json(line) for line in lines if line.strip())
        log.info("writing %d request-log rows saved by the last run", len(self.pending))
        await self.flush()

    async def history(self, user_id: int, limit: int = 5) -> list[PastBeat]:
        """Return a user's last `limit` beats (outcome ok), newest first.

        Raises:
            LogUnavailable: the database can't be read now.
        """
        query = (sa.select(REQUESTS.c.created_at, REQUESTS.c.params, REQUESTS.c.seed)
                 .where(REQUESTS.c.user_id == user_id, REQUESTS.c.outcome == Outcome.OK)
                 .order_by(REQUESTS.c.id.desc()).limit(limit))
        return [PastBeat(at, params, seed) for at, params, seed in await self._read(query)]

    async def stats(self, since: datetime) -> Stats:
        """Summarise the requests logged at or after `since` (an aware datetime).

        Raises:
            LogUnavailable: the database can't be read now.
        """
        query = (sa.select(REQUESTS.c.outcome, REQUESTS.c.total_ms,
                           REQUESTS.c.params["style"].as_string())
                 .where(REQUESTS.c.created_at >= since))
        rows = await self._read(query)
        beats = [(total, style) for outcome, total, style in rows if outcome == Outcome.OK]
        totals = [total for total, _ in beats if total is not None]
        styles: dict[str, int] = {}
        for _, style in beats:
            styles[str(style)] = styles.get(str(style), 0) + 1
        top = sorted(styles.items(), key=lambda item: (-item[1], item[0]))[:3]
        p50 = statistics.median(totals) if totals else None
        return Stats(len(beats), len(rows), p50, top)

    async def _read(self, query: sa.Select) -> list[sa.Row]:
        async def read() -> list[sa.Row]:
            async with self.engine.connect() as connection:
                return list((await connection.execute(query)).all())
        try:
            return await _reconnecting(read)
        except Exception as error:
            if not _is_outage(error):
                raise
            log.warning("the request log can't be read (%s)", _first_line(error))
            raise LogUnavailable() from error


async def _threads_ended(threads: set[threading.Thread]) -> None:
    """Wait, with the loop running, until `threads` end (at most THREADS_SETTLE_S).

    aiosqlite lets go of its connection thread after a failed connect without waiting for
    it; should the caller close its event loop first, the thread's last reply finds the loop
    closed and prints `RuntimeError: Event loop is closed` after our one line.
    """
    deadline = time.monotonic() + THREADS_SETTLE_S
    while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


def spill_path(sqlite_file: Path) -> Path:
    """The JSON-lines file beside a SQLite file where rows one run could not write wait."""
    return sqlite_file.with_name(sqlite_file.name + SPILL_SUFFIX)


def describe_target(target: Path | str) -> str:
    """The log's place for people to read: a path, or a URL with its password hidden."""
    text = str(target)
    return sa.make_url(text).render_as_string(hide_password=True) if "://" in text else text


def database_url(target: Path | str) -> str:
    """The SQLAlchemy URL, with its async driver, for a SQLite path or a database URL."""
    text = str(target)
    if "://" not in text:
        return f"sqlite+aiosqlite:///{text}"
    scheme, rest = text.split("://", 1)
    drivers = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
               "sqlite": "sqlite+aiosqlite"}
    return f"{drivers.get(scheme, scheme)}://{rest}"


def _engine(url: sa.URL) -> AsyncEngine:
    """One connection for SQLite (writes and reads take turns on it, as with sqlite3); a
    small pool for PostgreSQL (a restarted server is reconnected to: see _reconnecting)."""
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, json_serializer=_json, pool_size=1, max_overflow=0,
                                     connect_args={"timeout": BUSY_TIMEOUT_S})
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, json_serializer=_json, pool_size=2, max_overflow=2,
        pool_timeout=CONNECT_TIMEOUT_S,
        connect_args={"timeout": CONNECT_TIMEOUT_S})


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: sa.Connection) -> None:
    """Alembic's upgrade to head; a log made before Alembic is stamped with its revision."""
    from alembic import command
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    if _current_revision(connection) is None and sa.inspect(connection).has_table("requests"):
        command.stamp(config, FIRST_REVISION)
    command.upgrade(config, "head")


async def _reconnecting(work):
    """Run `work()` within COMMAND_TIMEOUT_S; once more if the server dropped the pooled
    connection it used (a restart): SQLAlchemy then empties the pool, so the second try
    connects afresh. This replaces a ping before every use, which cost three round trips
    per request."""
    async def bounded():
        async with asyncio.timeout(COMMAND_TIMEOUT_S):
            return await work()

    try:
        return await bounded()
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return await bounded()


def _is_outage(error: BaseException) -> bool:
    """True when the database can't be used now (down, unreachable, locked, read-only, full);
    False when it refused these particular rows (a CHECK, a value it can't store)."""
    if isinstance(error, exc.IntegrityError | exc.DataError):
        return False
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) or ""
    if sqlstate[:2] in ("22", "23"):  # PostgreSQL's data exception and integrity classes
        return False
    if isinstance(error, exc.StatementError) and not isinstance(error, exc.DBAPIError):
        return False  # a value the driver could not send (an int past 64 bits)
    return isinstance(error, exc.SQLAlchemyError | OSError | TimeoutError)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:200]


_COLUMNS = tuple(column.name for column in REQUESTS.columns if column.name != "id")


def _row(record: RequestRecord) -> dict[str, object]:
    row = {column: getattr(record, column) for column in _COLUMNS}
    row["source"], row["error"] = _text(record.source), _text(record.error)
    return row


def _text(value: str | None) -> str | None:
    """Text as both databases take it: PostgreSQL refuses NUL characters."""
    return value.replace("\0", "") if value else value


def _to_json(record: RequestRecord) -> str:
    fields = dataclasses.asdict(record)
    fields["created_at"] = record.created_at.isoformat()
    fields["params"] = json.loads(_json(record.params))
    return json.dumps(fields)


def _from_json(line: str) -> RequestRecord:
    fields = json.loads(line)
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    return RequestRecord(**fields)


def _json(params: dict[str, object]) -> str:
    """Params as strict JSON that both databases take: NaN and infinities (which SQLite's JSON
    can't read) as strings, and no NUL characters (which PostgreSQL refuses)."""
    def clean(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return _text(value) if isinstance(value, str) else value
    return json.dumps({_text(str(key)): clean(value) for key, value in params.items()},
                      default=lambda value: _text(str(value)), allow_nan=False)
