"""How far trap's training windows range in hits per bar and mean velocity: the span the busy
and loud knobs of style "trap" are fitted on.

    PYTHONPATH=. .venv/bin/python scripts/trap_ranges.py [--seed 1]

Windows as training cuts them (WINDOW steps, stride STRIDE) from trap_performances, measured
by engine.training.examples.window_levels. Prints the 5%, 50% and 95% quantiles, the mean of
the windows below the 5% quantile and above the 95% one (the knob's ends), and the mean of
all windows.
"""

from __future__ import annotations

import argparse

import numpy as np

from engine.training.examples import window_levels
from engine.training.train import trap_performances

WINDOW, STRIDE = 128, 64
"""Training's window and stride, steps."""
TAILS = (0.05, 0.95)
"""The quantiles whose outer windows stand for busy (loud) 0 and 1."""


def trap_levels(seed: int) -> np.ndarray:
    """(windows, 2): hits per bar and mean velocity of every trap training window."""
    levels = []
    for performance in trap_performances(seed):
        pattern = performance.pattern
        starts = range(0, max(1, pattern.steps - WINDOW + 1), STRIDE)
        levels += [window_levels(pattern.slice(s, s + WINDOW)) for s in starts]
    return np.array(levels)


def ranges(levels: np.ndarray) -> dict[str, dict[str, float]]:
    """Quantiles, tail means and the overall mean of each level."""
    out = {}
    for k, name in enumerate(("hits_per_bar", "velocity")):
        values = levels[:, k]
        low, mid, high = np.quantile(values, (TAILS[0], 0.5, TAILS[1]))
        out[name] = {"q05": low, "q50": mid, "q95": high, "mean": values.mean(),
                     "low_mean": values[values < low].mean(),
                     "high_mean": values[values > high].mean()}
    return out


def main() -> None:
    """Print the ranges of one seed's trap windows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    levels = trap_levels(args.seed)
    print(f"{len(levels)} trap windows (seed {args.seed})")
    for name, row in ranges(levels).items():
        print(f"{name:>12}: " + "  ".join(f"{k} {v:6.1f}" for k, v in row.items()))
    hits, velocity = ranges(levels).values()
    print(f"busy ends: {hits['high_mean'] / hits['low_mean']:.2f}x hits per bar; "
          f"loud ends: {velocity['high_mean'] - velocity['low_mean']:+.1f} velocity")


if __name__ == "__main__":
    main()
