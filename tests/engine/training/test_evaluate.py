"""Evaluation measures on hand-made patterns, the n-gram baseline, and the style prior."""

import numpy as np
import pytest

from engine.data.dataset import Performance
from engine.music.drums import STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training.evaluate import (
    _window_set,
    consistency,
    copied_fraction,
    empty_bar_fraction,
    histogram_distance,
    hits_per_bar,
)
from engine.training.ngram import PositionNgram
from engine.training.style_prior import style_prior


def _bars(*grids: list[int]) -> Pattern:
    """One bar per list of kick steps."""
    p = Pattern.empty(len(grids) * STEPS_PER_BAR)
    for bar, steps in enumerate(grids):
        for s in steps:
            p.velocity[bar * STEPS_PER_BAR + s, 0] = 100
    return p


def _snares(*steps: int, bars: int = 128) -> Pattern:
    p = Pattern.empty(bars * STEPS_PER_BAR)
    for bar in range(bars):
        for s in steps:
            p.velocity[bar * STEPS_PER_BAR + s, 1] = 100
    return p


def test_consistency_is_one_for_repeated_bars_and_lower_for_changes():
    assert consistency([_bars([0, 8], [0, 8], [0, 8])]) == 1.0
    assert consistency([_bars([0, 8], [0, 10])]) == pytest.approx(1 - 2 / 144)


def test_empty_bars_and_hits_per_bar():
    beat = _bars([0, 4, 8], [], [0])
    assert empty_bar_fraction([beat]) == pytest.approx(1 / 3)
    assert hits_per_bar([beat])[0] == pytest.approx(4 / 3)


def test_copied_windows_are_found_only_when_exact():
    train = [_bars([0, 8], [0, 6, 8], [0])]
    windows = _window_set(train)
    assert copied_fraction([_bars([0, 8], [0, 6, 8])], windows) == 1.0
    assert copied_fraction([_bars([0, 8], [0, 7, 8])], windows) == 0.0


def test_histogram_distance_is_zero_for_the_same_data_and_positive_otherwise():
    a, b = _bars([0, 8]), _bars([4, 12])
    assert histogram_distance([a], [a]) == 0.0
    assert histogram_distance([a], [b]) == pytest.approx(1.0)


def test_ngram_probabilities_sum_to_one_and_higher_orders_learn_more():
    seq = np.array([1, 0, 5, 0] * 64)
    for order in (1, 2, 3):
        model = PositionNgram(order).fit([seq])
        total = sum(model.probability((0, 0, 5)[: order], e) for e in range(512))
        assert total == pytest.approx(1.0)
    assert PositionNgram(3).fit([seq]).bits_per_step([seq]) < \
        PositionNgram(1).fit([seq]).bits_per_step([np.array([1, 0, 0, 5] * 64)])


def test_style_prior_favours_what_sets_a_style_apart():
    four = Performance("a", _bars(*[[0, 4, 8, 12]] * 4), "disco", "train", False, 120)
    half = Performance("b", _bars(*[[0]] * 4), "trap", "train", False, 140)
    prior = style_prior([four, half], ("disco", "trap"))
    kick = 1  # the event with only the kick
    assert prior[0, 1, 4, kick] > 0 > prior[1, 1, 4, kick]
    assert not prior[2].any()  # "any" is neutral


def test_style_prior_follows_a_style_across_tempo_groups():
    snare = 2  # the event with only the snare
    fast = Performance("a", _snares(8), "trap", "train", False, 150)
    slow = Performance("b", _snares(4, 12), "trap", "train", False, 80)
    rock = [Performance(f"r{b}", _snares(4, 12), "rock", "train", False, b) for b in (80, 150)]
    prior = style_prior([fast, slow, *rock], ("rock", "trap"))
    slow_group, fast_group = 0, 1
    assert prior[1, fast_group, 8, snare] > prior[1, slow_group, 8, snare]
    assert prior[1, fast_group, 4, snare] < prior[1, slow_group, 4, snare]
