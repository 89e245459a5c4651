"""What the LSTM sees and predicts (engine.model.features): buckets at their edges, inputs that
look back the right number of steps, and targets only where a class hits."""

from __future__ import annotations

import numpy as np
import pytest

from engine.model.features import (
    EVENT_HITS,
    IGNORE,
    INPUT_NAMES,
    LAG_STEPS,
    N_TEMPOS,
    NO_EVENT,
    OFFSET_BUCKETS,
    SLOW_BELOW_BPM,
    bucket_offset,
    bucket_velocity,
    fill_flags,
    hit_inputs,
    model_inputs,
    offset_bucket,
    sequence_inputs,
    sequence_targets,
    tempo_bucket,
    tempo_group,
    velocity_bucket,
)
from engine.music.drums import KICK, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern


@pytest.mark.parametrize(("bpm", "bucket"), [
    (40, 0), (69.9, 0), (70, 1), (89.99, 2), (90, 3), (120, 6), (134.9, 6), (135, 7),
    (169.9, 8), (170, 9), (300, 9),
])
def test_tempo_buckets_start_at_each_edge(bpm, bucket):
    assert tempo_bucket(bpm) == bucket < N_TEMPOS


@pytest.mark.parametrize(("bpm", "group"), [
    (40, 0), (SLOW_BELOW_BPM - 0.01, 0), (SLOW_BELOW_BPM, 1), (300, 1)])
def test_tempo_groups_split_slow_from_fast(bpm, group):
    assert tempo_group(bpm) == group


@pytest.mark.parametrize(("offset", "bucket"), [
    (-0.5, 0), (-0.9, 0), (-0.4375, 1), (-0.01, 7), (0.0, 8), (0.06, 8), (0.0625, 9),
    (0.49, 15), (0.5, 15), (0.9, 15),
])
def test_offset_buckets_are_sixteenths_of_a_step_clipped_at_the_ends(offset, bucket):
    assert offset_bucket(np.array([offset]))[0] == bucket


def test_an_offset_comes_back_inside_its_bucket():
    offsets = np.linspace(-0.5, 0.49, 200)
    buckets = offset_bucket(offsets)
    for place in (0.0, 0.5, 0.999):
        np.testing.assert_array_equal(offset_bucket(bucket_offset(buckets, place)), buckets)
    assert np.abs(bucket_offset(buckets, 0.5) - offsets).max() <= 0.5 / OFFSET_BUCKETS


@pytest.mark.parametrize(("velocity", "bucket"), [
    (1, 0), (16, 0), (17, 1), (64, 3), (65, 4), (112, 6), (113, 7), (127, 7)])
def test_velocity_buckets_are_16_wide(velocity, bucket):
    assert velocity_bucket(np.array([velocity], np.uint8))[0] == bucket


def test_a_velocity_comes_back_inside_its_bucket_and_never_past_127():
    buckets = np.arange(8)
    assert list(bucket_velocity(buckets, np.zeros(8, np.int64))) == list(range(1, 128, 16))
    assert bucket_velocity(np.array([7]), np.array([15]))[0] == 127
    for offset in range(16):
        back = bucket_velocity(buckets, np.full(8, offset))
        np.testing.assert_array_equal(velocity_bucket(back), buckets)


@pytest.mark.parametrize(("every", "offset_bars", "fill_bars"), [
    (0, 0, []), (2, 0, [1, 3]), (4, 0, [3]), (8, 0, []), (4, 1, [2]), (2, 1, [0, 2]),
])
def test_fills_are_the_last_bar_of_every_group(every, offset_bars, fill_bars):
    flags = fill_flags(4 * STEPS_PER_BAR, every, offset_bars)

    bars = flags.reshape(4, STEPS_PER_BAR)
    assert [bar for bar in range(4) if bars[bar].all()] == fill_bars
    assert all(bars[bar].all() or not bars[bar].any() for bar in range(4))


def test_event_hits_are_the_bits_of_each_event():
    assert EVENT_HITS.shape == (NO_EVENT + 1, 9)
    assert not EVENT_HITS[0].any() and not EVENT_HITS[NO_EVENT].any()
    assert list(np.flatnonzero(EVENT_HITS[0b101])) == [0, 2]
    assert EVENT_HITS[NO_EVENT - 1].all()


def test_each_input_looks_back_its_lag_with_no_event_before_the_start():
    events = np.arange(3 * STEPS_PER_BAR) + 100

    inputs = sequence_inputs(events, style=2, fill=fill_flags(len(events), 2), tempo=5)

    assert set(inputs) == set(INPUT_NAMES)
    for name, lag in LAG_STEPS.items():
        expected = [events[t - lag] if t >= lag else NO_EVENT for t in range(len(events))]
        assert list(inputs[name]) == expected, name
    assert list(inputs["pos"][:18]) == [*range(16), 0, 1]
    assert set(inputs["style"]) == {2} and set(inputs["tempo"]) == {5}
    assert list(inputs["fill"][::STEPS_PER_BAR]) == [0, 1, 0]


def test_a_model_takes_its_lags_the_context_and_the_offset_heads_inputs():
    assert model_inputs(("prev", "back1")) == (
        "prev", "back1", "pos", "style", "fill", "tempo", "busy", "loud", "tap", "now",
        "now_velocity", "drift")


def test_targets_are_set_only_where_a_class_hits():
    pattern = Pattern.empty(4)
    pattern.velocity[0, KICK] = 100
    pattern.velocity[2, [KICK, SNARE]] = (20, 127)
    pattern.roll[2, SNARE] = 3
    pattern.offset[2, SNARE] = -0.2

    targets = sequence_targets(pattern)

    assert list(targets["event"]) == [1 << KICK, 0, (1 << KICK) | (1 << SNARE), 0]
    assert targets["velocity"][0, KICK] == 6 and targets["velocity"][2, SNARE] == 7
    assert targets["roll"][2, SNARE] == 2 and targets["roll"][0, KICK] == 0
    assert targets["offset"][2, SNARE] == offset_bucket(np.array([-0.2]))[0] == 4
    hits = pattern.onsets
    for head in ("velocity", "roll", "offset"):
        assert (targets[head][~hits] == IGNORE).all() and (targets[head][hits] >= 0).all()


def test_the_offset_heads_inputs_hide_the_ignore_label():
    pattern = Pattern.empty(2)
    pattern.velocity[1, SNARE] = 90

    inputs = hit_inputs(sequence_targets(pattern))

    assert list(inputs["now"]) == [0, 1 << SNARE]
    assert inputs["now_velocity"].min() == 0 and inputs["now_velocity"][1, SNARE] == 5
