"""Fixtures for bot tests: the real engine (loaded once), the real bot in simcord, real SQLite.

Per-test settings go through the `bot_settings` marker, e.g.
`@pytest.mark.bot_settings(cooldown_s=30)`.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import BeatBot, create_bot
from bot.settings import Settings
from engine.beat.maker import BeatMaker
from tests.midi_fixtures import drum_file

FAST = {"default_bars": 1, "default_bpm": 120.0}
"""Test beats are one bar, so each takes a fraction of a second to make."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bot_settings(**fields): override bot Settings fields")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "beatbot.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def log_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's request log lives: a SQLite file, or a new database on the session's
    private PostgreSQL server (its URL)."""
    if request.param == "sqlite":
        return tmp_path / "log.db"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"log_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def settings(request: pytest.FixtureRequest, db_path: Path) -> Settings:
    """Settings for one test: fast beats, no cooldown, plus the test's `bot_settings` marker."""
    fields: dict[str, Any] = {"database": db_path, "workers": 2, "queue_size": 4,
                              "cooldown_s": 0, **FAST}
    marker = request.node.get_closest_marker("bot_settings")
    if marker:
        fields.update(marker.kwargs)
    return Settings(_env_file=None, **fields)


@pytest.fixture
async def simcord_bot(settings: Settings, maker: BeatMaker) -> AsyncIterator[BeatBot]:
    """The bot, built by the same factory the entry point uses (simcord's plugin runs it).

    simcord detaches the bot without closing it, so the fixture closes it (and with it the
    database and the executor) afterwards.
    """
    bot = await create_bot(settings, maker)
    yield bot
    await bot.close()


@pytest.fixture
def channel(simcord_env):
    return simcord_env.create_guild(name="studio").create_text_channel("beats")


@pytest.fixture
def alice(simcord_env, channel):
    return simcord_env.guild.add_member(simcord_env.create_user("alice"))


@pytest.fixture
def bob(simcord_env, channel):
    return simcord_env.guild.add_member(simcord_env.create_user("bob"))


def log_rows(path: Path) -> list[dict[str, Any]]:
    """Every request-log row, oldest first, read straight from the SQLite file."""
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM requests ORDER BY id")]


def drum_midi(bars: int = 2, bpm: float = 100.0) -> bytes:
    """A small real drum MIDI file: kick on 1 and 3, snare on 2 and 4, on channel 10."""
    hits = [(beat, 36 if beat % 2 == 0 else 38, 100) for beat in range(4 * bars)]
    return drum_file(hits, file_type=0, tempos=[(0.0, bpm)], meter=None)
