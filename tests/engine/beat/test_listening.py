"""The listening keys through the engine: busy and loud, and follow (material of any
instrument), validated, made, and replayed byte for byte."""

from dataclasses import replace

import numpy as np
import pytest

from engine.beat.request import FIELD, PRIMER_MAX_BYTES, BeatRequest, Edit
from engine.beat.syntax import parse_request
from engine.errors import BadInput, BadMaterial, BadValue
from engine.music.drums import KICK, SNARE
from tests.midi_fixtures import drum_file

STYLES = ("funk", "rock", "trap")


def bass_line(bars: int = 2) -> bytes:
    """A bass line on channel 1: root on 1, a push before 3, a note on 3 and 4."""
    hits = [(4 * bar + beat, 40, 90) for bar in range(bars) for beat in (0.0, 1.75, 2.0, 3.0)]
    return drum_file(hits, channel=0, track_name="Bass", length_beats=4 * bars)


@pytest.mark.parametrize(("key", "value"), [("busy", 0.0), ("busy", 1.0), ("loud", 0.25)])
def test_knobs_take_numbers_from_0_to_1(key, value):
    request = BeatRequest(**{key: value}).validated(STYLES, ())
    assert getattr(request, key) == value


@pytest.mark.parametrize(("key", "value"), [("busy", 1.5), ("loud", -0.1), ("busy", "x")])
def test_knobs_out_of_range_are_refused_in_one_line(key, value):
    with pytest.raises(BadValue) as refused:
        BeatRequest(**{key: value}).validated(STYLES, ())
    assert refused.value.field == key and "from 0 to 1" in str(refused.value)


def test_knobs_default_to_as_the_style_plays():
    request = BeatRequest().validated(STYLES, ())
    assert request.busy is None and request.loud is None
    assert FIELD["busy"].default is None and FIELD["loud"].default is None


def test_the_knobs_and_follow_are_typed_keys():
    request = parse_request("busy=0.8 loud=0.3 follow=yes")
    assert (request.busy, request.loud, request.follow_attached) == (0.8, 0.3, True)


def test_follow_yes_takes_the_attached_file_as_material():
    data = bass_line()
    request = BeatRequest(primer=data, follow_attached=True).validated(STYLES, ())
    assert request.follow == data and request.primer is None
    assert request.params()["follow"] == "yes" and request.params()["follow_bytes"] == len(data)


def test_follow_yes_without_a_file_is_one_line():
    with pytest.raises(BadInput) as refused:
        BeatRequest(follow_attached=True).validated(STYLES, ())
    assert "attach one" in str(refused.value) and "\n" not in str(refused.value)


def test_a_primer_and_material_together_are_refused():
    with pytest.raises(BadInput):
        BeatRequest(primer=bass_line(), follow=bass_line()).validated(STYLES, ())


def test_material_past_the_size_limit_is_refused():
    with pytest.raises(BadValue) as refused:
        BeatRequest(follow=b"x" * (PRIMER_MAX_BYTES + 1)).validated(STYLES, ())
    assert refused.value.field == "follow"


def test_a_beat_follows_a_bass_line_for_its_length(maker):
    beat = maker.make(BeatRequest(follow=bass_line(3), style="rock", seed=4))

    assert beat.pattern.steps == 3 * 16
    assert "follow your file's rhythm for its 3 bars" in beat.remarks[0]
    played = beat.pattern.onsets[:, [KICK, SNARE]].any(axis=1).reshape(3, 16)
    assert played[:, [0, 7, 8, 12]].mean() >= 0.75  # kick and snare on the notes


@pytest.mark.parametrize("data", [b"not midi", drum_file([], channel=0, length_beats=4)])
def test_material_that_cannot_be_followed_is_one_line(maker, data):
    with pytest.raises(BadMaterial) as refused:
        maker.make(BeatRequest(follow=data))
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("recipe", [
    {"busy": 0.9, "loud": 0.1},
    {"follow": "bass"},
    {"follow": "bass", "busy": 0.2, "then": (Edit("vary", 7), Edit("new", 3, "hats"),
                                             Edit("extend", 9))},
])
def test_recipes_replay_byte_for_byte(maker, recipe):
    if recipe.get("follow") == "bass":
        recipe = {**recipe, "follow": bass_line(2)}
    request = BeatRequest(style="funk", seed=11, bars=2, **recipe)

    first, again = maker.make(request), maker.make(replace(request))

    assert first.midi == again.midi
    assert first.pattern.velocity.tobytes() == again.pattern.velocity.tobytes()


def test_busy_and_loud_change_the_beat(maker):
    plain = maker.make(BeatRequest(style="rock", seed=2, bars=4)).pattern
    busy = maker.make(BeatRequest(style="rock", seed=2, bars=4, busy=1.0)).pattern
    loud = maker.make(BeatRequest(style="rock", seed=2, bars=4, loud=1.0)).pattern
    assert not np.array_equal(plain.velocity, busy.velocity)
    assert not np.array_equal(plain.velocity, loud.velocity)
