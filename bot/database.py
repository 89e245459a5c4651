"""The request log: one SQLite row per beat request, whatever became of it (aiosqlite, WAL)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)



class Outcome(StrEnum):
    """What became of a request, as the log stores it (bot.errors maps errors to these)."""

    OK = "ok"
    USER_ERROR = "user_error"
    BUSY = "busy"
    COOLDOWN = "cooldown"
    FAILED = "failed"


OUTCOMES: tuple[str, ...] = tuple(Outcome)
_OUTCOME_LIST = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)

MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_id INTEGER NOT NULL,
        source TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{{}}',
        seed INTEGER,
        outcome TEXT NOT NULL
            CHECK (outcome IN ({_OUTCOME_LIST})),
        error TEXT,
        queue_ms REAL,
        generate_ms REAL,
        render_ms REAL,
        encode_ms REAL,
        upload_ms REAL,
        total_ms REAL
    );
    CREATE INDEX requests_user ON requests (user_id, id);
    CREATE INDEX requests_created ON requests (created_at);
    """,
)
"""Schema migrations; `PRAGMA user_version` is how many have run. Only ever append."""

INSERT = (
    "INSERT INTO requests (created_at, guild_id, channel_id, user_id, source, params, seed,"
    " outcome, error, queue_ms, generate_ms, render_ms, encode_ms, upload_ms, total_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
BUSY_TIMEOUT_S = 0.25
"""How long a write waits for another connection's lock before its rows wait in memory."""
CLOSE_RETRIES_S = (0.1, 0.5, 1.0, 2.0)
"""Pauses between the tries `close()` makes to write pending rows before spilling them."""
SPILL_SUFFIX = ".unsaved.jsonl"
"""Appended to the database's file name for rows one run could not write."""


@dataclass
class RequestRecord:
    """One request as it is logged. Times are milliseconds; None where the stage never ran.

    Attributes:
        user_id: who asked.
        guild_id: where (None in DMs).
        channel_id: the channel it came from.
        source: `prefix`, `slash`, or the button pressed (`regenerate`, `variation`, `extend`).
        created_at: when it arrived (UTC).
        params: the request as user keys (see `BeatRequest.params`).
        seed: the seed, once known.
        outcome: what became of it.
        error: the one line the user saw, or an audio error on an otherwise good beat.
    """

    user_id: int
    guild_id: int | None
    channel_id: int | None
    source: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    params: dict[str, object] = field(default_factory=dict)
    seed: int | None = None
    outcome: Outcome = Outcome.FAILED
    error: str | None = None
    queue_ms: float | None = None
    generate_ms: float | None = None
    render_ms: float | None = None
    encode_ms: float | None = None
    upload_ms: float | None = None
    total_ms: float | None = None


@dataclass(frozen=True)
class PastBeat:
    """A beat from someone's history."""

    created_at: datetime
    params: dict[str, object]
    seed: int


@dataclass(frozen=True)
class Stats:
    """What the bot served since a moment (usually midnight UTC).

    Attributes:
        beats: requests answered with a beat.
        requests: requests of any outcome.
        p50_ms: median receive-to-reply time of the beats, or None with no beats.
        top_styles: (style, count), most used first.
    """

    beats: int
    requests: int
    p50_ms: float | None
    top_styles: list[tuple[str, int]]


class Database:
    """The request log. Open with `await Database.open(path)`; close with `close()`.

    Writes never cost a request its answer: rows wait in `pending`, in order, while the file is
    locked by another connection or read-only, and go in with the next write, the next
    `flush()`, or `close()`. Rows still unwritten at `close()` are spilled to a JSON-lines file
    beside the database and loaded back by the next `open()`, so none is lost.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None) -> None:
        self.connection = connection
        self.path = path
        self.pending: list[RequestRecord] = []
        self.outage: str | None = None
        """Why the last write failed, while rows are waiting; None when all is written."""
        self._writing = asyncio.Lock()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self.close_retries_s = CLOSE_RETRIES_S

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (or create) the log at `path` in WAL mode, migrated to the newest schema.

        Rows a previous run could not write (its spill file) are queued and written now.
        """
        connection = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_S)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        database = cls(connection, Path(path))
        await database.migrate()
        await database._load_spill()
        return database

    @property
    def spill_path(self) -> Path | None:
        """Where rows that could not be written are kept between runs."""
        return self.path.with_name(self.path.name + SPILL_SUFFIX) if self.path else None

    async def close(self) -> None:
        """Write what is pending (retrying for a moment), spill the rest, close the connection.

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
        await self.connection.close()

    async def schema_version(self) -> int:
        """Return `PRAGMA user_version`: how many migrations have run."""
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Run the migrations this file has not seen yet, each in its own transaction."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first; the pragma makes the version part of the script.
            await self.connection.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
            )

    async def log(self, record: RequestRecord) -> bool:
        """Queue one request and write everything queued.

        Returns:
            True when it is on disk; False when the database refused the write (locked,
            read-only, ...) and the row waits in `pending` for the next try.
        """
        self.pending.append(record)
        if self._closed:  # a request that outlived the bot: keep it for the next start
            self._spill()
            return False
        return await self.flush()

    async def flush(self) -> bool:
        """Write every pending row in one transaction; True when nothing is left pending."""
        async with self._writing:
            batch = list(self.pending)
            if not batch or self._closed:
                return not self.pending
            try:
                await self._insert(batch)
                done = len(batch)
            except sqlite3.OperationalError as error:  # locked, read-only, disk full, I/O
                await self._rollback()
                self._note_outage(error)
                return False
            except sqlite3.Error:  # a row SQLite will never take: write the others
                await self._rollback()
                done = await self._insert_one_by_one(batch)
            del self.pending[:done]
            if done == len(batch):
                self._note_recovery(done)
            return not self.pending

    async def _insert(self, batch: list[RequestRecord]) -> None:
        await self.connection.executemany(INSERT, [_row(record) for record in batch])
        await self.connection.commit()

    async def _insert_one_by_one(self, batch: list[RequestRecord]) -> int:
        """Write rows singly, dropping (and logging in full) any that SQLite refuses outright.

        Returns:
            How many rows were dealt with before the database stopped taking writes (all of
            them unless it did).
        """
        for done, record in enumerate(batch):
            try:
                await self._insert([record])
            except sqlite3.OperationalError as error:
                await self._rollback()
                self._note_outage(error)
                return done
            except sqlite3.Error:
                await self._rollback()
                log.exception("dropped a request-log row SQLite refuses: %r", record)
        return len(batch)

    async def _rollback(self) -> None:
        try:
            await self.connection.rollback()
        except sqlite3.Error as error:
            log.debug("rollback failed: %s", error)

    def _note_outage(self, error: sqlite3.Error) -> None:
        if self.outage is None:
            log.warning("the request log can't be written (%s); keeping rows in memory", error)
        self.outage = str(error)

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
                raise OSError("the database has no file path")
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
        """Return a user's last `limit` beats (outcome ok), newest first."""
        query = ("SELECT created_at, params, seed FROM requests"
                 f" WHERE user_id = ? AND outcome = '{Outcome.OK}' ORDER BY id DESC LIMIT ?")
        async with self.connection.execute(query, (user_id, limit)) as cursor:
            rows = await cursor.fetchall()
        return [PastBeat(datetime.fromisoformat(at), json.loads(params), seed)
                for at, params, seed in rows]

    async def stats(self, since: datetime) -> Stats:
        """Summarise the requests logged at or after `since` (an aware datetime)."""
        query = ("SELECT outcome, total_ms, json_extract(params, '$.style') FROM requests"
                 " WHERE created_at >= ?")
        async with self.connection.execute(query, (since.astimezone(UTC).isoformat(),)) as cursor:
            rows = await cursor.fetchall()
        beats = [(total, style) for outcome, total, style in rows if outcome == Outcome.OK]
        totals = [total for total, _ in beats if total is not None]
        styles: dict[str, int] = {}
        for _, style in beats:
            styles[str(style)] = styles.get(str(style), 0) + 1
        top = sorted(styles.items(), key=lambda item: (-item[1], item[0]))[:3]
        p50 = statistics.median(totals) if totals else None
        return Stats(len(beats), len(rows), p50, top)


def _row(record: RequestRecord) -> tuple[object, ...]:
    return (record.created_at.isoformat(), record.guild_id, record.channel_id, record.user_id,
            record.source, _json(record.params), record.seed, record.outcome, record.error,
            record.queue_ms, record.generate_ms, record.render_ms, record.encode_ms,
            record.upload_ms, record.total_ms)


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
    """Params as strict JSON (NaN and infinities, which SQLite's JSON can't read, as strings)."""
    def finite(value: object) -> object:
        return str(value) if isinstance(value, float) and not math.isfinite(value) else value
    return json.dumps({key: finite(value) for key, value in params.items()}, default=str,
                      allow_nan=False)
