"""The engine's errors (engine.errors): they carry data, a front end chooses how the user's
text is quoted, echoed text is bounded and safe, and they cross the job queue pickled."""

from __future__ import annotations

import pickle

import pytest

from engine.errors import (
    SHOWN_LIMIT,
    BadInput,
    BadPrimer,
    BadValue,
    EngineError,
    ModelError,
    RenderError,
    TooLong,
    plain_quote,
    shown,
)


@pytest.mark.parametrize(("value", "text"), [
    (85.0, "85"), (0.5, "0.5"), (7, "7"), ("a  b\n\tc", "a b c"), ("`rm`", "ˋrmˋ"),
    ("x" * SHOWN_LIMIT, "x" * SHOWN_LIMIT), ("x" * (SHOWN_LIMIT + 1), "x" * 39 + "…"),
])
def test_shown_text_is_one_bounded_line_without_backticks(value, text):
    assert shown(value) == plain_quote(value) == text
    assert len(shown(value)) <= SHOWN_LIMIT


def test_a_bad_value_is_worded_from_its_data_with_any_quoting():
    error = BadValue("bpm", 500.0, "a number from 40 to 300")

    assert (error.field, error.value, error.allowed) == ("bpm", 500.0, "a number from 40 to 300")
    assert str(error) == "bpm can't be 500: use a number from 40 to 300."
    assert error.line(lambda piece: f"`{piece}`") == (
        "`bpm` can't be `500.0`: use a number from 40 to 300.")


def test_bad_input_fills_its_template_with_quoted_pieces():
    error = BadInput("{} is set twice ({} and {}); give it once.", "bpm", "bpm=80", "tempo=90")

    assert str(error) == "bpm is set twice (bpm=80 and tempo=90); give it once."
    assert error.line(lambda piece: f"«{piece}»").startswith("«bpm» is set twice («bpm=80»")


def test_too_long_says_how_long_and_the_limit():
    error = TooLong(62, 4, 64)
    assert (error.bars, error.adding, error.limit) == (62, 4, 64)
    assert str(error) == ("the beat is 62 bars; extending it adds 4 and 64 is the longest a "
                          "beat can be")


@pytest.mark.parametrize("error", [
    BadValue("seed", -1, "a whole number from 0 to 4294967295"),
    BadInput("{} is not a key: did you mean {}?", "bmp", "bpm"),
    TooLong(64, 4, 64),
    BadPrimer("no drums"), ModelError("missing"), RenderError("no synth"),
])
def test_every_error_crosses_the_queue_pickled_and_is_an_engine_error(error):
    crossed = pickle.loads(pickle.dumps(error))

    assert isinstance(crossed, EngineError) and type(crossed) is type(error)
    assert str(crossed) == str(error) and vars(crossed) == vars(error)
