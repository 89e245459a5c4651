"""The style prior: how much more (or less) likely each event is at each bar position in a
style than in the data as a whole, learned by counting.

At sampling time it is added to the LSTM's event logits, weighted (classifier guidance with a
naive-Bayes style classifier over onsets). The LSTM alone blurs neighbouring styles
together. This pushes each beat towards what sets its style apart, and costs one table
lookup per step.
"""

from __future__ import annotations

import numpy as np

from engine.data.dataset import Performance
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern

SMOOTHING = 0.5
"""Pseudo-count added to onset and silence counts of every cell."""
EVENT_BITS = ((np.arange(N_EVENTS)[:, None] >> np.arange(N_CLASSES)) & 1).astype(np.float64)


def onset_rates(patterns: list[Pattern]) -> np.ndarray:
    """Share of bars with an onset at each (position, class), smoothed: (16, 9)."""
    bars = [p.onsets[: p.steps // STEPS_PER_BAR * STEPS_PER_BAR] for p in patterns]
    grid = np.concatenate(bars).reshape(-1, STEPS_PER_BAR, N_CLASSES)
    return (grid.sum(axis=0) + SMOOTHING) / (len(grid) + 2 * SMOOTHING)


def style_prior(performances: list[Performance], styles: tuple[str, ...]) -> np.ndarray:
    """Log-likelihood ratio of every event per style and position: (styles + 1, 16, 512).

    The last row ("any") is zero. Fills are left out: the prior describes a style's groove.
    """
    beats = [p for p in performances if not p.fill]
    overall = onset_rates([p.pattern for p in beats])
    prior = np.zeros((len(styles) + 1, STEPS_PER_BAR, N_EVENTS), np.float32)
    for index, style in enumerate(styles):
        own = [p.pattern for p in beats if p.style == style]
        if own:
            prior[index] = _event_ratio(onset_rates(own), overall)
    return prior


def _event_ratio(rates: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """Sum over classes of log(p_style / p_all) for hits and log((1-p)/(1-p_all)) for rests."""
    hit = np.log(rates / overall)
    rest = np.log((1 - rates) / (1 - overall))
    return hit @ EVENT_BITS.T + rest @ (1 - EVENT_BITS).T
