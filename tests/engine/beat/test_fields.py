"""How a key is typed and limited (engine.beat.fields): each kind reads the text people type,
checks the range, and words what it allows the way people write it."""

from __future__ import annotations

import pytest

from engine.beat.fields import MAX_DIGITS, Name, Number, OneOf, loose_choice
from engine.errors import BadValue

BPM = Number(40, 300)
BARS = Number(1, 64, whole=True)
SWING = Number(0, 75, unit="%")
SEED = Number(0, 2**32 - 1, whole=True)
FILLS = OneOf((0, 2, 4, 8))
FORMAT = OneOf(("mp3", "ogg", "wav"))
STYLE = Name("any", "a style the model plays, or any")


@pytest.mark.parametrize(("kind", "allowed", "words"), [
    (BPM, "40-300", "a number from 40 to 300"),
    (Number(0.1, 2), "0.1-2", "a number from 0.1 to 2"),
    (BARS, "1-64", "a whole number from 1 to 64"),
    (SWING, "0-75 (%)", "a number from 0 to 75"),
    (SEED, "0-4294967295", "a whole number from 0 to 4294967295"),
])
def test_numbers_word_their_range_as_people_write_it(kind, allowed, words):
    assert (kind.allowed, kind.words) == (allowed, words)


@pytest.mark.parametrize(("kind", "allowed"), [
    (FILLS, "0, 2, 4 or 8"), (FORMAT, "mp3, ogg or wav"), (OneOf(("a", "b")), "a or b"),
    (STYLE, "a style the model plays, or any"),
])
def test_sets_and_names_word_what_they_allow(kind, allowed):
    assert kind.allowed == allowed


@pytest.mark.parametrize(("kind", "text", "value"), [
    (BPM, "85", 85.0), (BPM, "85.5", 85.5), (BPM, ".5", 0.5), (BPM, "+90", 90.0),
    (BARS, "4", 4), (BARS, "4.0", 4), (BARS, "4.", 4), (SWING, "30%", 30.0),
    (FILLS, "4", 4), (FILLS, "3", 3),  # read, then refused by check
    (FORMAT, "OGG", "ogg"), (STYLE, "Hip-Hop", "hip-hop"),
])
def test_read_takes_the_forms_people_type(kind, text, value):
    read = kind.read("key", text)
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize(("kind", "text"), [
    (BPM, "fast"), (BPM, "1e3"), (BPM, "1_000"), (BPM, "８５"), (BPM, "²"), (BPM, "inf"),
    (BPM, "nan"), (BPM, "85%"), (BARS, "2.5"), (BARS, "9" * (MAX_DIGITS + 1)),
    (FILLS, "four"), (FILLS, "4.5"),
])
def test_read_refuses_anything_else_naming_what_is_allowed(kind, text):
    with pytest.raises(BadValue) as raised:
        kind.read("key", text)
    assert (raised.value.field, raised.value.value) == ("key", text)
    assert raised.value.allowed == getattr(kind, "words", kind.allowed)


@pytest.mark.parametrize(("kind", "value", "kept"), [
    (BPM, 40, 40.0), (BPM, 300.0, 300.0), (BARS, 64, 64), (SEED, 2**32 - 1, 2**32 - 1),
    (FILLS, 8, 8), (FORMAT, " WAV ", "wav"),
])
def test_check_keeps_values_in_range_in_the_kinds_type(kind, value, kept):
    checked = kind.check("key", value)
    assert checked == kept and type(checked) is type(kept)


@pytest.mark.parametrize(("kind", "value"), [
    (BPM, 39.99), (BPM, 300.01), (BPM, float("nan")), (BPM, float("-inf")), (BPM, True),
    (BPM, "85"), (BARS, 2.5), (BARS, 0), (SEED, 2**32), (FILLS, 3), (FILLS, True),
    (FORMAT, "flac"),
])
def test_check_refuses_values_out_of_range_or_of_the_wrong_type(kind, value):
    with pytest.raises(BadValue):
        kind.check("key", value)


@pytest.mark.parametrize(("value", "found"), [
    ("Hip Hop", "hip-hop"), ("hiphop", "hip-hop"), ("HIP_HOP", "hip-hop"), (" trap ", "trap"),
    ("ANY", "any"), ("drum.and.bass", "drum and bass"),
])
def test_names_match_loosely(value, found):
    assert STYLE.check("style", value, ("hip-hop", "trap", "drum and bass")) == found
    assert loose_choice("style", value, ("any", "hip-hop", "trap", "drum and bass")) == found


def test_an_unknown_name_lists_every_choice():
    with pytest.raises(BadValue) as raised:
        STYLE.check("style", "polka", ("rock", "trap"))
    assert str(raised.value) == "style can't be polka: use one of any, rock, trap."
