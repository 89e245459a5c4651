"""Shared fixtures: the real engine, where the Groove data lives, and a private PostgreSQL
server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.beat.maker import BeatMaker

GROOVE_DIR = Path(
    os.environ.get("BEATBOT_GROOVE", Path(__file__).resolve().parents[2] / "shared/data/groove")
)
REQUIRE_GROOVE = os.environ.get("BEATBOT_REQUIRE_GROOVE") == "1"


@pytest.fixture(scope="session")
def groove_dir() -> Path:
    """The Groove MIDI Dataset folder; skips (fails under CI) when it is absent."""
    if not (GROOVE_DIR / "info.csv").exists():
        reason = f"Groove MIDI Dataset not found at {GROOVE_DIR} (set BEATBOT_GROOVE)"
        if REQUIRE_GROOVE:
            pytest.fail(reason + "; BEATBOT_REQUIRE_GROOVE=1 forbids skipping")
        pytest.skip(reason)
    return GROOVE_DIR


@pytest.fixture(scope="session")
def maker() -> BeatMaker:
    """The real engine, loaded once for the whole session (as the bot does at start-up)."""
    return BeatMaker.load()


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL server for the session; skips (fails under CI) without one."""
    from bench.postgres import PostgresServer, postgres_bin

    if postgres_bin() is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must install it")
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture
def no_token_env(monkeypatch, tmp_path):
    """No Discord token in the environment, and a working folder with no stray `.env`."""
    for name in ("DISCORD_TOKEN", "BEATBOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
