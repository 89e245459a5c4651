"""The step grid: events, whole bars, slices."""

import numpy as np

from engine.model.features import EVENT_HITS
from engine.music.drums import N_CLASSES, STEPS_PER_BAR
from engine.music.pattern import Pattern, whole_bars


def _pattern(steps: int) -> Pattern:
    rng = np.random.default_rng(3)
    velocity = (rng.random((steps, N_CLASSES)) < 0.3) * rng.integers(1, 128, (steps, N_CLASSES))
    return Pattern(velocity.astype(np.uint8), np.ones((steps, N_CLASSES), np.uint8),
                   np.zeros((steps, N_CLASSES), np.float32))


def test_each_step_event_names_exactly_the_classes_that_hit():
    pattern = _pattern(40)
    assert (EVENT_HITS[pattern.events()] == pattern.onsets).all()


def test_whole_bars_leave_out_a_partial_last_bar():
    pattern = _pattern(2 * STEPS_PER_BAR + 5)
    bars = whole_bars(pattern.onsets)
    assert bars.shape == (2, STEPS_PER_BAR, N_CLASSES)
    assert (bars[1, 3] == pattern.onsets[STEPS_PER_BAR + 3]).all()
    assert whole_bars(pattern.onsets[:, 0]).shape == (2, STEPS_PER_BAR)


def test_a_slice_and_its_rest_concatenate_back():
    pattern = _pattern(3 * STEPS_PER_BAR)
    cut = STEPS_PER_BAR + 7
    assert pattern.slice(0, cut).concat(pattern.slice(cut, pattern.steps)) == pattern
