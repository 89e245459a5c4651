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
from engine.model.features import EVENT_HITS, TEMPO_GROUPS, tempo_group
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern, whole_bars

SMOOTHING = 0.5
"""Pseudo-count added to onset and silence counts of every cell."""
TEMPO_SHRINK_BARS = 32.0
"""A style's rates at a tempo group lean on all the data's rates there, as if with this many
bars."""


def onset_counts(patterns: list[Pattern]) -> tuple[np.ndarray, int]:
    """Bars with an onset at each (position, class) (16, 9), and the number of bars."""
    if not patterns:
        return np.zeros((STEPS_PER_BAR, N_CLASSES)), 0
    grid = np.concatenate([whole_bars(p.onsets) for p in patterns])
    return grid.sum(axis=0), len(grid)


def onset_rates(patterns: list[Pattern]) -> np.ndarray:
    """Share of bars with an onset at each (position, class), smoothed: (16, 9)."""
    counts, bars = onset_counts(patterns)
    return (counts + SMOOTHING) / (bars + 2 * SMOOTHING)


def _group_rates(performances: list[Performance], toward: list[np.ndarray] | None = None
                 ) -> list[np.ndarray]:
    """Onset rates of each tempo group, shrunk towards `toward` (one per group), or towards
    the rates of all their tempos; a style rarely played at a tempo stays near neutral."""
    pooled = onset_rates([p.pattern for p in performances])
    out = []
    for group in (0, 1):
        target = pooled if toward is None else toward[group]
        counts, bars = onset_counts([p.pattern for p in performances
                                     if tempo_group(p.bpm) == group])
        out.append((counts + TEMPO_SHRINK_BARS * target) / (bars + TEMPO_SHRINK_BARS))
    return out


def style_prior(performances: list[Performance], styles: tuple[str, ...]) -> np.ndarray:
    """Log-likelihood ratio of every event per style, tempo group and position:
    (styles + 1, 2, 16, 512).

    Each style at each tempo group is compared with all the data at that tempo group, so
    the prior carries what sets a style apart at that tempo (trap's snare on beat 3 at fast
    tempos, on 2 and 4 at slow ones). The last row ("any") is zero. Fills are left out: the
    prior describes a style's groove.
    """
    beats = [p for p in performances if not p.fill]
    overall = _group_rates(beats)
    prior = np.zeros((len(styles) + 1, TEMPO_GROUPS, STEPS_PER_BAR, N_EVENTS), np.float32)
    for index, style in enumerate(styles):
        own = [p for p in beats if p.style == style]
        if own:
            for group, rates in enumerate(_group_rates(own, overall)):
                prior[index, group] = _event_ratio(rates, overall[group])
    return prior


def _event_ratio(rates: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """Sum over classes of log(p_style / p_all) for hits and log((1-p)/(1-p_all)) for rests."""
    hit = np.log(rates / overall)
    rest = np.log((1 - rates) / (1 - overall))
    hits = EVENT_HITS[:N_EVENTS].astype(np.float64)
    return hit @ hits.T + rest @ (1 - hits).T
