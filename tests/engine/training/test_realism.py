"""The realism measures on hand-made beats: timing profiles, the two-sample test, style
recognition and trap's snare placement."""

import numpy as np
import pytest

from engine.music.drums import CLOSED_HAT, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training import realism


def _beat(rng, snare_steps=(4, 12), hat_push=-0.1, bars=8, jitter=0.05) -> Pattern:
    """Hats on 8ths pushed early on the beat, snares on `snare_steps`, a little noise."""
    p = Pattern.empty(bars * STEPS_PER_BAR)
    for bar in range(bars):
        base = bar * STEPS_PER_BAR
        for s in range(0, STEPS_PER_BAR, 2):
            p.velocity[base + s, CLOSED_HAT] = rng.integers(60, 100)
            p.offset[base + s, CLOSED_HAT] = (hat_push if s % 4 == 0 else 0.02)
        for s in snare_steps:
            p.velocity[base + s, SNARE] = rng.integers(90, 120)
    p.offset[:] += np.where(p.onsets, rng.normal(0, jitter, p.offset.shape), 0)
    return p


def test_timing_profiles_correlate_when_the_feel_is_the_same():
    rng = np.random.default_rng(0)
    a = [_beat(rng) for _ in range(10)]
    b = [_beat(rng) for _ in range(10)]
    flipped = [_beat(rng, hat_push=0.14) for _ in range(10)]
    assert realism.profile_correlation(a, b) > 0.8
    assert realism.profile_correlation(a, flipped, weighted=True) < 0
    figures = realism.timing(a, b)
    assert figures["offset_std_real"] == pytest.approx(figures["offset_std_generated"], rel=0.2)


def test_the_two_sample_test_is_at_chance_for_one_source_and_high_for_two():
    rng = np.random.default_rng(1)
    same = [realism.feature_matrix([_beat(rng) for _ in range(40)]) for _ in range(2)]
    other = realism.feature_matrix([_beat(rng, snare_steps=(8,)) for _ in range(40)])
    assert realism.two_sample_accuracy(*same) < 0.65
    assert realism.two_sample_accuracy(same[0], other) > 0.95


def test_style_recognition_scores_each_test_set_per_style():
    rng = np.random.default_rng(2)
    def rows(steps):
        return realism.feature_matrix([_beat(rng, snare_steps=steps) for _ in range(20)])
    train = {"rock": rows((4, 12)), "trap": rows((8,))}
    tests = {"real": {"rock": rows((4, 12))}, "generated": {"rock": rows((8,))}}
    scores = realism.style_recognition(train, tests)
    assert scores["real"]["rock"] > 0.9 and scores["generated"]["rock"] < 0.1


def test_snare_placement_follows_the_trap_convention_of_the_tempo():
    rng = np.random.default_rng(3)
    backbeat, half_time = _beat(rng, (4, 12)), _beat(rng, (8,))
    assert realism.snare_placement([backbeat], slow=True) == 1.0
    assert realism.snare_placement([half_time], slow=True) == 0.0
    assert realism.snare_placement([half_time], slow=False) == 1.0
    assert realism.snare_placement([backbeat], slow=False) == 0.0
