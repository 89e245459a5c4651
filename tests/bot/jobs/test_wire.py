"""What crosses Redis: a real beat and the engine's errors go through as data, and anything
BeatBot did not write (a pickle above all) is refused unread, in one log line."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pytest

from bot.jobs import Card, Ran, WorkerDied
from bot.jobs.wire import REFUSED_JOB, Refused, RemoteError, dumps, load_job, loads
from engine.beat.request import BeatRequest, Edit
from engine.errors import BadValue, TooLong


class Planted:
    """A pickle that touches a file when it is loaded: what someone who can write to Redis
    could put there (with a shell command instead of a file)."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self):
        return Path.touch, (self.canary,)


def test_a_real_beat_comes_back_whole(maker):
    request = BeatRequest(bars=1, seed=3, then=(Edit("vary", 4),), primer=None)
    beat = maker.make(request)

    back = loads(dumps({"r": Ran(beat, 12.5)}))["r"]

    assert isinstance(back, Ran) and back.wait_ms == 12.5
    got = back.result
    assert got.request == beat.request and got.request.then == (Edit("vary", 4),)
    assert got.midi == beat.midi and got.image == beat.image and got.audio == beat.audio
    assert got.kit.name == beat.kit.name and got.kit.pitches == beat.kit.pitches
    assert got.notes == beat.notes and got.timings_ms == beat.timings_ms
    assert np.array_equal(got.pattern.velocity, beat.pattern.velocity)
    assert got.pattern.offset.dtype == np.float32 and got.pattern.bars == beat.pattern.bars


def test_a_directed_beat_with_its_stems_and_follow_material_comes_back_whole(maker):
    plain = maker.make(BeatRequest(bars=1, seed=3))
    request = BeatRequest(bars=1, seed=3, stems=True, mute=("toms",), busy=0.8, loud=0.3,
                          then=(Edit("new", 5, "hats"),))
    beat = maker.make(request)
    follow = maker.validate(BeatRequest(bars=1, seed=3, follow=plain.midi))

    back = loads(dumps({"r": Ran(beat, 1.0), "a": (follow,)}))

    assert back["r"].result.stems == beat.stems and back["r"].result.request == beat.request
    assert back["a"] == [follow] and back["a"][0].follow == plain.midi


def test_a_request_with_a_primer_and_a_card_come_back_whole():
    request = BeatRequest(bpm=90.5, primer=b"MThd\x00\xff", style="trap")
    card = Card(1, 2, None, 3, "prefix", "k" * 32, "2026-12-05T00:00:00+00:00", {"bpm": 90.5})

    args = loads(dumps({"a": (request,), "k": {"card": card}}))

    assert args["a"] == [request] and args["k"]["card"] == card


@pytest.mark.parametrize("error", [
    BadValue("bars", 63, "at most 62"), TooLong(60, 4, 62), WorkerDied(SystemExit(3))])
def test_errors_the_bot_words_come_back_as_themselves(error):
    back = loads(dumps({"r": error}))["r"]

    assert type(back) is type(error) and str(back) == str(error)


def test_any_other_error_comes_back_as_its_name_and_message():
    back = loads(dumps({"r": MemoryError("out of memory")}))["r"]

    assert isinstance(back, RemoteError) and str(back) == "builtins.MemoryError: out of memory"


def test_objects_that_are_not_data_are_not_sent():
    with pytest.raises(TypeError, match="not data"):
        dumps({"a": [object()]})


def test_a_pickle_is_refused_unread_in_one_line(tmp_path, caplog):
    canary = tmp_path / "ran"
    payload = pickle.dumps({"f": "make_beat", "a": (Planted(canary),), "k": {}, "t": 1,
                            "et": 0})

    with caplog.at_level(logging.WARNING), pytest.raises(Refused):
        loads(payload)

    assert not canary.exists()
    (line,) = caplog.records
    assert "BeatBot did not write" in line.getMessage() and line.exc_info is None


def test_a_worker_reads_a_refused_job_as_a_function_nobody_has(tmp_path):
    job = load_job(pickle.dumps({"a": (Planted(tmp_path / "ran"),)}))

    assert job["f"] == REFUSED_JOB and job["a"] == []
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("payload", [
    b"beatbot-msgpack-1:\x81\xa3__t\xa4eval", b"beatbot-msgpack-1:\xc1", b""])
def test_unknown_tags_and_garbage_are_refused(payload):
    with pytest.raises(Refused):
        loads(payload)
