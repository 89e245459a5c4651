"""How real generated beats look: timing, a classifier two-sample test, style recognition and
trap's tempo conventions.

The classifiers are multinomial logistic regression in NumPy (L2, full-batch Adam, features
standardised on the training fold). A 2-bar window's features are its onsets, velocities and
timing offsets in each of the 32 x 9 cells, plus its hits per class.
"""

from __future__ import annotations

import numpy as np

from engine.data.trap import BACKBEAT_STEPS, HALF_TIME_BACKBEAT
from engine.music.drums import CLOSED_HAT, KICK, N_CLASSES, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern, whole_bars

WINDOW_STEPS = 2 * STEPS_PER_BAR
PROFILE_CLASSES = (KICK, SNARE, CLOSED_HAT)
"""Classes of the mean-offset-by-position profile."""
FOLDS = 5
MAX_PER_CLASS = 2000
"""Windows per side in the two-sample test (a random subset when there are more)."""
L2 = 1e-2
ITERATIONS = 300
LEARNING_RATE = 0.05


def windows(patterns: list[Pattern]) -> list[Pattern]:
    """Cut patterns into bar-aligned 2-bar windows, no overlap."""
    return [p.slice(s, s + WINDOW_STEPS) for p in patterns
            for s in range(0, p.steps - WINDOW_STEPS + 1, WINDOW_STEPS)]


def features(window: Pattern) -> np.ndarray:
    """Onsets, velocities (0-1) and offsets of each cell, and hits per class: (873,)."""
    hits = window.onsets
    return np.concatenate([hits.reshape(-1), window.velocity.reshape(-1) / 127.0,
                           np.where(hits, window.offset, 0).reshape(-1), hits.sum(axis=0) / 8.0])


def feature_matrix(patterns: list[Pattern]) -> np.ndarray:
    """Stack the features of every 2-bar window of the patterns."""
    return np.stack([features(w) for w in windows(patterns)]).astype(np.float32)


class Logistic:
    """Multinomial logistic regression fitted by full-batch Adam."""

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> Logistic:
        """Fit on features (n, d) and labels 0..n_classes-1."""
        self.mean, self.scale = x.mean(axis=0), x.std(axis=0) + 1e-3
        z = (x - self.mean) / self.scale
        self.w = np.zeros((z.shape[1] + 1, n_classes), np.float32)
        z = np.hstack([z, np.ones((len(z), 1), np.float32)])
        target = np.eye(n_classes, dtype=np.float32)[y]
        m = np.zeros_like(self.w)
        v = np.zeros_like(self.w)
        for i in range(1, ITERATIONS + 1):
            p = _softmax(z @ self.w)
            grad = z.T @ (p - target) / len(z) + L2 * self.w
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            self.w -= LEARNING_RATE * (m / (1 - 0.9**i)) / (np.sqrt(v / (1 - 0.999**i)) + 1e-8)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most likely class of each row."""
        z = (x - self.mean) / self.scale
        return np.argmax(z @ self.w[:-1] + self.w[-1], axis=1)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def two_sample_accuracy(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float:
    """Cross-validated accuracy of telling feature rows `a` from `b` (0.5 = indistinguishable).

    Both sides are cut to the same size (at most MAX_PER_CLASS), so chance is 0.5.
    """
    rng = np.random.default_rng(seed)
    n = min(len(a), len(b), MAX_PER_CLASS)
    x = np.concatenate([a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]])
    y = np.repeat([0, 1], n)
    fold = rng.permutation(2 * n) % FOLDS
    right = 0
    for k in range(FOLDS):
        model = Logistic().fit(x[fold != k], y[fold != k], 2)
        right += int((model.predict(x[fold == k]) == y[fold == k]).sum())
    return right / (2 * n)


def style_recognition(train: dict[str, np.ndarray], tests: dict[str, dict[str, np.ndarray]]
                      ) -> dict[str, dict[str, float]]:
    """Train a style classifier on real windows only, then score each test set per style.

    Args:
        train: style -> feature rows of real training windows.
        tests: name (e.g. "real", "generated") -> style -> feature rows.

    Returns:
        name -> style -> share of that style's windows recognised as that style.
    """
    styles = sorted(train)
    x = np.concatenate([train[s] for s in styles])
    y = np.concatenate([np.full(len(train[s]), i) for i, s in enumerate(styles)])
    model = Logistic().fit(x, y, len(styles))
    return {name: {s: float((model.predict(rows) == styles.index(s)).mean())
                   for s, rows in by_style.items() if len(rows)}
            for name, by_style in tests.items()}


def offsets(patterns: list[Pattern]) -> np.ndarray:
    """Every hit's timing offset (steps)."""
    return np.concatenate([p.offset[p.onsets] for p in patterns])


def timing_profile(patterns: list[Pattern]) -> np.ndarray:
    """Mean offset by bar position for kick, snare and closed hat: (3, 16), NaN where none."""
    total, count = _profile_sums(patterns)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _profile_sums(patterns: list[Pattern]) -> tuple[np.ndarray, np.ndarray]:
    """Sum of offsets and number of hits by (profile class, position): (3, 16) each."""
    total = np.zeros((STEPS_PER_BAR, N_CLASSES))
    count = np.zeros((STEPS_PER_BAR, N_CLASSES))
    for p in patterns:
        hits, offset = whole_bars(p.onsets), whole_bars(p.offset)
        total += np.where(hits, offset, 0).sum(axis=0)
        count += hits.sum(axis=0)
    cells = list(PROFILE_CLASSES)
    return total[:, cells].T, count[:, cells].T


def profile_correlation(a: list[Pattern], b: list[Pattern], weighted: bool = False) -> float:
    """Pearson correlation of two timing profiles over the cells both play.

    Args:
        a: one set of beats.
        b: the other.
        weighted: weight each cell by the smaller of its two hit counts, so that a cell
            with a handful of hits (a kick on the 16th after the beat) counts for little.
    """
    (ta, ca), (tb, cb) = _profile_sums(a), _profile_sums(b)
    both = (ca > 0) & (cb > 0)
    x, y = ta[both] / ca[both], tb[both] / cb[both]
    w = np.minimum(ca, cb)[both] if weighted else np.ones(len(x))
    w = w / w.sum()
    dx, dy = x - (w * x).sum(), y - (w * y).sum()
    return float((w * dx * dy).sum() / np.sqrt((w * dx**2).sum() * (w * dy**2).sum()))


def timing(real: list[Pattern], generated: list[Pattern]) -> dict:
    """Offset spread (standard deviation and mean distance from the step) of both, and the
    correlation of their timing profiles, plain and weighted by hits."""
    r, g = offsets(real), offsets(generated)
    return {
        "offset_std_real": float(r.std()), "offset_std_generated": float(g.std()),
        "offset_mean_abs_real": float(np.abs(r).mean()),
        "offset_mean_abs_generated": float(np.abs(g).mean()),
        "timing_profile_correlation": profile_correlation(real, generated),
        "timing_profile_correlation_weighted": profile_correlation(real, generated, True),
    }


def snare_placement(patterns: list[Pattern], slow: bool) -> float:
    """Share of bars with the snare where trap puts it: on beats 2 and 4 at a slow tempo; on
    beat 3 (the half-time backbeat), without both 2 and 4, at a fast one."""
    grid = np.concatenate([whole_bars(p.onsets[:, SNARE]) for p in patterns])
    backbeat = grid[:, BACKBEAT_STEPS].all(axis=1)
    return float((backbeat if slow else grid[:, HALF_TIME_BACKBEAT] & ~backbeat).mean())
