"""The request log: one SQLite row per beat request, whatever became of it (aiosqlite, WAL)."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import aiosqlite

Outcome = Literal["ok", "user_error", "busy", "cooldown", "failed"]
OUTCOMES: tuple[str, ...] = ("ok", "user_error", "busy", "cooldown", "failed")

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_id INTEGER NOT NULL,
        source TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        seed INTEGER,
        outcome TEXT NOT NULL
            CHECK (outcome IN ('ok', 'user_error', 'busy', 'cooldown', 'failed')),
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
    outcome: Outcome = "failed"
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
    """The request log. Open with `await Database.open(path)`; close with `close()`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (or create) the log at `path` in WAL mode, migrated to the newest schema."""
        connection = await aiosqlite.connect(path)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        database = cls(connection)
        await database.migrate()
        return database

    async def close(self) -> None:
        """Close the connection."""
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

    async def log(self, record: RequestRecord) -> None:
        """Write one request."""
        await self.connection.execute(
            "INSERT INTO requests (created_at, guild_id, channel_id, user_id, source, params,"
            " seed, outcome, error, queue_ms, generate_ms, render_ms, encode_ms, upload_ms,"
            " total_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.created_at.isoformat(), record.guild_id, record.channel_id, record.user_id,
             record.source, _json(record.params), record.seed, record.outcome,
             record.error, record.queue_ms, record.generate_ms, record.render_ms,
             record.encode_ms, record.upload_ms, record.total_ms),
        )
        await self.connection.commit()

    async def history(self, user_id: int, limit: int = 5) -> list[PastBeat]:
        """Return a user's last `limit` beats (outcome ok), newest first."""
        query = ("SELECT created_at, params, seed FROM requests"
                 " WHERE user_id = ? AND outcome = 'ok' ORDER BY id DESC LIMIT ?")
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
        beats = [(total, style) for outcome, total, style in rows if outcome == "ok"]
        totals = [total for total, _ in beats if total is not None]
        styles: dict[str, int] = {}
        for _, style in beats:
            styles[str(style)] = styles.get(str(style), 0) + 1
        top = sorted(styles.items(), key=lambda item: (-item[1], item[0]))[:3]
        p50 = statistics.median(totals) if totals else None
        return Stats(len(beats), len(rows), p50, top)


def _json(params: dict[str, object]) -> str:
    """Params as strict JSON (NaN and infinities, which SQLite's JSON can't read, as strings)."""
    def finite(value: object) -> object:
        return str(value) if isinstance(value, float) and not math.isfinite(value) else value
    return json.dumps({key: finite(value) for key, value in params.items()}, default=str,
                      allow_nan=False)
