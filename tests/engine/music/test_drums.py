"""The drum classes and the pitch map."""

import pytest

from engine.music.drums import (
    CLASS_PITCHES,
    CLASSES,
    OUTPUT_PITCHES,
    PITCH_TO_CLASS,
    class_of,
)


def test_every_gm_percussion_pitch_has_a_class():
    assert [p for p in range(35, 82) if class_of(p) is None] == []


@pytest.mark.parametrize(("pitch", "name"), [
    (36, "kick"), (35, "kick"), (38, "snare"), (40, "snare"), (37, "snare"), (39, "snare"),
    (42, "closed_hat"), (44, "closed_hat"), (22, "closed_hat"), (46, "open_hat"),
    (26, "open_hat"), (43, "low_tom"), (58, "low_tom"), (45, "low_tom"), (47, "mid_tom"),
    (48, "mid_tom"), (50, "high_tom"), (49, "crash"), (55, "crash"), (57, "crash"),
    (52, "crash"), (51, "ride"), (53, "ride"), (59, "ride"),
])
def test_groove_and_gm_pitches_map_to_their_class(pitch, name):
    assert CLASSES[class_of(pitch)] == name


def test_pitches_outside_the_map_are_none():
    assert class_of(0) is None and class_of(127) is None


def test_each_pitch_is_in_one_class_only():
    listed = [p for ps in CLASS_PITCHES.values() for p in ps]
    assert len(listed) == len(set(listed)) == len(PITCH_TO_CLASS)


def test_output_pitches_map_back_to_their_own_class():
    assert [class_of(p) for p in OUTPUT_PITCHES] == list(range(len(CLASSES)))

