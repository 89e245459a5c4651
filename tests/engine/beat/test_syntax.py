"""The `key=value` text (engine.beat.syntax): every key read, invisible characters ignored,
bad text one line, and replay lines that read back to the same request."""

from __future__ import annotations

import pytest

from engine.beat.request import BeatRequest, Edit
from engine.beat.syntax import (
    bad_value,
    canonical,
    clean,
    convert,
    parse_edits,
    parse_request,
    replay_text,
    scan,
)
from engine.errors import BadInput, BadValue

STYLES, KITS = ("rock", "trap"), ("808", "acoustic")


def test_text_reads_every_key():
    request = parse_request("bpm=85 bars=4 temp=0.5 style=Trap kit=808 seed=7 fills=4 "
                            "swing=30 humanize=0.2 format=ogg")
    assert (request.bpm, request.bars, request.temperature, request.style, request.seed,
            request.fills, request.swing, request.humanize, request.audio_format) == (
        85.0, 4, 0.5, "trap", 7, 4, 30.0, 0.2, "ogg")


@pytest.mark.parametrize(("text", "error", "words"), [
    ("bpm = 85", BadInput, "no spaces around"),
    ("bpm=85 foo=3", BadInput, "foo is not a key"),
    ("bpm=85 tempo=90", BadInput, "set twice"),
    ("hello", BadInput, "isn't a setting"),
    ("bpm=", BadInput, "needs a value"),
    ("bpm=fast", BadValue, "bpm can't be fast"),
    ("bars=2.5", BadValue, "whole number"),
    ("seed=" + "9" * 5000, BadValue, "seed can't be"),
    ("temp=nan", BadValue, "temp can't be nan"),
    ("bmp=85", BadInput, "did you mean bpm"),
])
def test_bad_text_gets_one_line(text, error, words):
    with pytest.raises(error) as raised:
        parse_request(text)
    line = str(raised.value)
    assert words in line and "\n" not in line and len(line) <= 200


@pytest.mark.parametrize(("text", "meant"), [
    ("bpm=85\u200b", "bpm=85"),  # zero-width space
    ("\ufeffbars=2", "bars=2"),  # byte-order mark
    ("swing\u00ad=30", "swing=30"),  # soft hyphen
    ("bpm=85\u00a0bars=2", "bpm=85 bars=2"),  # no-break space
    ("bpm=85\u2009bars=2\tseed=1", "bpm=85 bars=2 seed=1"),  # thin space, tab
])
def test_clean_drops_invisible_characters_and_plains_every_space(text, meant):
    assert clean(text) == meant


def test_scan_gives_main_keys_and_lowers_names_only():
    pairs = scan("Tempo=85 STYLE=Trap kit=AcOustic seed=7")
    assert pairs == [("bpm", "85"), ("style", "trap"), ("kit", "acoustic"), ("seed", "7")]


@pytest.mark.parametrize(("words", "command", "hint"), [
    ({"trap": "style"}, "!beat", "did you mean style=trap?"),
    ({}, "!beat", "write key=value, like !beat bpm=85 style=trap."),
    ({}, "beatbot beat", "write key=value, like beatbot beat bpm=85 style=trap."),
])
def test_a_bare_word_gets_a_hint_for_the_command_in_use(words, command, hint):
    with pytest.raises(BadInput) as raised:
        scan("Trap", words, command)
    assert str(raised.value) == f"Trap isn't a setting: {hint}"


@pytest.mark.parametrize(("key", "text", "value"), [
    ("bars", "4.0", 4), ("swing", "30%", 30.0), ("bpm", " 85 ", 85.0), ("fills", "4", 4),
    ("format", "OGG", "ogg"), ("then", "vary:7,extend:9", (Edit("vary", 7), Edit("extend", 9))),
    ("temperature", "0.5", 0.5),
])
def test_convert_reads_the_forms_people_type(key, text, value):
    assert convert(key, text) == value


@pytest.mark.parametrize(("key", "text", "plain"), [
    ("bars", "4.0", "4"), ("swing", "30%", "30"), ("bpm", "85.5", "85.5"), ("style", "Trap",
                                                                           "Trap"),
])
def test_canonical_gives_the_plain_form(key, text, plain):
    assert canonical(key, text) == plain


@pytest.mark.parametrize("text", ["vary", "vary:7;extend:9", "vary:", "vary:12345678901"])
def test_edits_that_are_not_action_seed_pairs_are_refused(text):
    with pytest.raises(BadValue) as raised:
        parse_edits(text)
    assert raised.value.field == "then" and "edits like vary:7,extend:9" in str(raised.value)


@pytest.mark.parametrize(("key", "text", "allowed"), [
    ("bpm", "500", "a number from 40 to 300"),
    ("bpm", "fast", "a number from 40 to 300"),
    ("bars", "2.5", "a whole number from 1 to 64"),
    ("fills", "3", "0, 2, 4 or 8"),
])
def test_bad_value_names_what_the_key_allows(key, text, allowed):
    error = bad_value(key, text)
    assert (error.field, error.value, error.allowed) == (key, text, allowed)


@pytest.mark.parametrize("text", [
    "bpm=85 bars=4 style=trap kit=808 seed=7",
    "bpm=97.25 bars=2 temp=0.7 style=rock kit=acoustic seed=1 fills=4 swing=12.5 humanize=0.3",
    "bpm=120 bars=1 style=any kit=auto seed=4294967295 groove=0 format=wav then=vary:3,extend:5",
])
def test_a_replay_line_reads_back_to_the_same_request(text):
    request = parse_request(text).validated(STYLES, KITS)

    line = replay_text(request.params())

    assert parse_request(line).validated(STYLES, KITS) == request
    for key in ("bpm=", "bars=", "style=", "kit=", "seed="):
        assert key in line


def test_a_replay_line_leaves_out_keys_at_their_default():
    line = replay_text(BeatRequest(seed=3).validated(STYLES, KITS).params())
    assert line == "bpm=90 bars=8 style=any kit=auto seed=3"


def test_a_float_keeps_every_digit_it_needs():
    line = replay_text({"bpm": 0.1 + 0.2 + 99.7, "swing": 1 / 3})
    assert line == f"bpm=100 swing={1 / 3!r}"
