"""The n-gram baseline (engine.training.ngram): a proper distribution at every history, 9 bits
a step knowing nothing, and fewer with the events before when they predict the next."""

from __future__ import annotations

import numpy as np
import pytest

from engine.model.features import NO_EVENT
from engine.music.drums import N_EVENTS, STEPS_PER_BAR
from engine.training.ngram import PositionNgram, best_ngram

ROCK = np.array([1, 0, 4, 0, 3, 0, 4, 0] * 2)
"""One bar of events: kick, hat, kick+snare, hat, ... (bit numbers, not GM pitches)."""


def bars_of(pattern: np.ndarray, count: int) -> list[np.ndarray]:
    return [np.tile(pattern, count)]


def test_knowing_nothing_is_nine_bits_a_step():
    model = PositionNgram(1).fit([])
    assert model.bits_per_step(bars_of(ROCK, 2)) == pytest.approx(np.log2(N_EVENTS))


@pytest.mark.parametrize("order", [1, 2, 4])
@pytest.mark.parametrize("history", [(0,), (5, 0, 3, 4), (15, NO_EVENT, NO_EVENT, NO_EVENT),
                                     (2, 511, 7, 9)])
def test_every_history_gives_a_distribution(order, history):
    model = PositionNgram(order).fit(bars_of(ROCK, 3) + [np.arange(48) % N_EVENTS])

    total = sum(model.probability(history[:order], event) for event in range(N_EVENTS))

    assert total == pytest.approx(1.0)


def test_position_alone_learns_a_fixed_bar():
    model = PositionNgram(1).fit(bars_of(ROCK, 8))

    # 8 bars, one hit of event 4 at step 2 in each, add-one smoothed over 512 events
    assert model.probability((2,), 4) == pytest.approx(9 / (8 + N_EVENTS))
    assert model.probability((2,), 1) == pytest.approx(1 / (8 + N_EVENTS))
    assert model.bits_per_step(bars_of(ROCK, 2)) < np.log2(N_EVENTS) - 1


def test_the_events_before_help_when_position_alone_cannot_tell():
    # Two bars that differ only in what follows step 0: position alone is a coin toss there.
    a = np.array([1, 2] + [0] * (STEPS_PER_BAR - 2))
    b = np.array([8, 16] + [0] * (STEPS_PER_BAR - 2))
    train = [np.concatenate([a, b] * 10)]

    order, scores = best_ngram(train, [np.concatenate([a, b])], orders=(1, 2))

    assert order == 2 and scores[2] < scores[1] - 0.5
