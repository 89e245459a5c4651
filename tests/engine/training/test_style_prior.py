"""The style prior (engine.training.style_prior): counted onset rates, and a log-likelihood
ratio that favours what sets a style apart, at its tempo, and leaves "any" at zero."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.dataset import Performance
from engine.music.drums import CLOSED_HAT, KICK, N_EVENTS, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training.style_prior import SMOOTHING, onset_counts, onset_rates, style_prior


def bar(kicks=(0, 8), snares=(4, 12), hats=tuple(range(0, 16, 2)), bars=1) -> Pattern:
    pattern = Pattern.empty(bars * STEPS_PER_BAR)
    for cls, steps in ((KICK, kicks), (SNARE, snares), (CLOSED_HAT, hats)):
        for b in range(bars):
            pattern.velocity[[b * STEPS_PER_BAR + s for s in steps], cls] = 100
    return pattern


def played(style: str, pattern: Pattern, bpm: float = 90.0, fill: bool = False) -> Performance:
    return Performance(f"{style}.mid", pattern, style, "train", fill, bpm)


def test_counts_are_bars_with_an_onset_at_each_cell():
    counts, bars = onset_counts([bar(bars=2), bar(kicks=(0,))])

    assert bars == 3 and counts.shape == (STEPS_PER_BAR, 9)
    assert (counts[0, KICK], counts[8, KICK], counts[4, SNARE], counts[1, KICK]) == (3, 2, 3, 0)
    assert onset_counts([]) == (pytest.approx(np.zeros((STEPS_PER_BAR, 9))), 0)


def test_rates_are_smoothed_shares():
    rates = onset_rates([bar(), bar(kicks=(0,))])

    assert rates[8, KICK] == pytest.approx((1 + SMOOTHING) / (2 + 2 * SMOOTHING))
    assert rates[1, KICK] == pytest.approx(SMOOTHING / 3) and rates.max() < 1


def _event(*classes: int) -> int:
    return sum(1 << cls for cls in classes)


def test_a_style_is_pushed_towards_what_sets_it_apart_and_any_is_zero():
    rock, trap = bar(snares=(4, 12)), bar(snares=(8,), kicks=(0, 3, 6))
    data = [played("rock", rock)] * 20 + [played("trap", trap)] * 20

    prior = style_prior(data, ("rock", "trap"))

    assert prior.shape == (3, 2, STEPS_PER_BAR, N_EVENTS) and prior.dtype == np.float32
    rock_slow, trap_slow = prior[0, 0], prior[1, 0]
    assert rock_slow[4, _event(SNARE, CLOSED_HAT)] > 0 > trap_slow[4, _event(SNARE, CLOSED_HAT)]
    assert trap_slow[8, _event(KICK, SNARE, CLOSED_HAT)] < trap_slow[8, _event(SNARE, CLOSED_HAT)]
    assert trap_slow[3, _event(KICK)] > 0 > rock_slow[3, _event(KICK)]
    assert not prior[2].any()  # "any"


def test_fills_and_styles_without_beats_add_nothing():
    data = [played("rock", bar()), played("rock", bar(snares=()), fill=True),
            played("funk", bar(kicks=()), fill=True)]

    prior = style_prior(data, ("rock", "funk"))

    assert not prior[1].any()  # funk: fills only
    np.testing.assert_allclose(prior[0, 1], 0, atol=1e-6)  # no beat at a fast tempo
    assert np.abs(prior[0, 0]).max() > 0


def test_a_style_never_played_fast_stays_near_neutral_there():
    slow = [played("rock", bar(snares=(4, 12)), 80.0)] * 30
    fast = [played("trap", bar(snares=(8,)), 140.0)] * 30

    prior = style_prior(slow + fast, ("rock", "trap"))

    assert np.abs(prior[0, 1]).max() < np.abs(prior[0, 0]).max() / 2
