"""What the request log holds (bot.requestlog.records): the outcomes, a row's defaults, and the
line a reader gets while the log is down."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.requestlog.records import (
    OUTCOMES,
    LogUnavailable,
    Outcome,
    PastBeat,
    RequestRecord,
    Stats,
)


def test_outcomes_are_the_words_the_log_stores():
    assert OUTCOMES == ("ok", "user_error", "busy", "cooldown", "failed")
    assert Outcome("user_error") is Outcome.USER_ERROR and Outcome.BUSY == "busy"


def test_a_new_record_is_failed_until_told_otherwise_with_no_stage_timed():
    before = datetime.now(UTC)

    record = RequestRecord(user_id=1, guild_id=None, channel_id=2, source="slash")

    assert record.outcome is Outcome.FAILED and record.seed is None and record.error is None
    assert before <= record.created_at <= datetime.now(UTC)
    assert record.created_at.utcoffset() == timedelta(0)
    timings = [f.name for f in dataclasses.fields(record) if f.name.endswith("_ms")]
    assert timings == ["queue_ms", "generate_ms", "render_ms", "encode_ms", "upload_ms",
                       "total_ms"]
    assert all(getattr(record, name) is None for name in timings)


def test_each_record_has_its_own_key_and_params():
    first, second = (RequestRecord(user_id=1, guild_id=None, channel_id=None, source="prefix")
                     for _ in range(2))

    first.params["bpm"] = 90.0

    assert first.request_key != second.request_key and len(first.request_key) == 32
    assert second.params == {}


@pytest.mark.parametrize("read", [
    PastBeat(datetime(2026, 1, 1, tzinfo=UTC), {"seed": 7}, 7),
    Stats(beats=1, requests=2, p50_ms=None, top_styles=[]),
])
def test_what_reads_give_back_is_frozen(read):
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.seed = 8


def test_an_unavailable_log_says_beats_still_work():
    line = str(LogUnavailable())
    assert "can't be read right now" in line and "beats still work" in line and "\n" not in line
