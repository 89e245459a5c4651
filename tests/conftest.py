"""Shared fixtures: the real engine, and where the Groove data lives."""

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
