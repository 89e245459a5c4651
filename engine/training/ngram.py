"""A position-aware n-gram model of drum events: the baseline the LSTM must beat."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from engine.model.features import NO_EVENT
from engine.music.drums import N_EVENTS, STEPS_PER_BAR


class PositionNgram:
    """P(event | position in bar, previous n-1 events), Witten-Bell interpolated down to
    P(event | position), which is add-one smoothed over all 512 events.

    Args:
        order: 1 uses the position only; n uses it plus the n-1 previous events.
    """

    def __init__(self, order: int) -> None:
        self.order = order
        self.counts: list[dict[tuple, Counter]] = [defaultdict(Counter) for _ in range(order)]

    def fit(self, sequences: list[np.ndarray]) -> PositionNgram:
        """Count events in training sequences of event numbers."""
        for events in sequences:
            for t, history in _histories(events, self.order):
                for k in range(self.order):
                    self.counts[k][history[: k + 1]][int(events[t])] += 1
        self.totals = [{h: (sum(c.values()), len(c)) for h, c in level.items()}
                       for level in self.counts]
        return self

    def probability(self, history: tuple, event: int) -> float:
        """P(event | history), history = (position, previous event, the one before, ...)."""
        level0 = self.counts[0].get(history[:1], Counter())
        total0 = self.totals[0].get(history[:1], (0, 0))[0]
        p = (level0[event] + 1.0) / (total0 + N_EVENTS)
        for k in range(1, self.order):
            key = history[: k + 1]
            total, types = self.totals[k].get(key, (0, 0))
            if total:
                p = (self.counts[k][key][event] + types * p) / (total + types)
        return p

    def bits_per_step(self, sequences: list[np.ndarray]) -> float:
        """Mean negative log2-probability of held-out sequences."""
        bits, steps = 0.0, 0
        for events in sequences:
            for t, history in _histories(events, self.order):
                bits -= np.log2(self.probability(history, int(events[t])))
                steps += 1
        return bits / max(steps, 1)


def _histories(events: np.ndarray, order: int):
    """Yield (t, (position, e[t-1], e[t-2], ...)) with NO_EVENT before the start."""
    padded = [NO_EVENT] * (order - 1) + [int(e) for e in events]
    for t in range(len(events)):
        previous = tuple(reversed(padded[t : t + order - 1]))
        yield t, (t % STEPS_PER_BAR, *previous)


def best_ngram(train: list[np.ndarray], held_out: list[np.ndarray],
               orders: tuple[int, ...] = (1, 2, 3, 4, 5)) -> tuple[int, dict[int, float]]:
    """Fit each order and return the best order with the held-out bits of every order."""
    scores = {n: PositionNgram(n).fit(train).bits_per_step(held_out) for n in orders}
    return min(scores, key=scores.get), scores
