"""PNG figures of an evaluation: timing profiles, offset and hit histograms, real against
generated (matplotlib, from the train extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.music.drums import CLASSES, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training import realism
from engine.training.evaluate import hits_per_bar, position_histogram


def write_plots(patterns: dict[str, list[Pattern]], folder: Path) -> list[Path]:
    """Write every figure for named pattern sets ("real" first, then models) into `folder`.

    Returns:
        The PNG paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in (("timing_profiles", _timing_profiles), ("offsets", _offsets),
                       ("hits_per_bar", _hits_per_bar), ("onsets_by_position", _positions)):
        fig = draw(plt, patterns)
        fig.tight_layout()
        paths.append(folder / f"{name}.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    return paths


def _timing_profiles(plt, patterns):
    """Mean offset by position, one panel per profile class."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
    profiles = {name: realism.timing_profile(p) for name, p in patterns.items()}
    for row, (ax, cls) in enumerate(zip(axes, realism.PROFILE_CLASSES, strict=True)):
        for name, profile in profiles.items():
            ax.plot(np.arange(STEPS_PER_BAR), profile[row], marker="o", label=name)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(f"{CLASSES[cls]}: mean offset by 16th")
        ax.set_xlabel("16th step in the bar")
        ax.set_xticks(range(0, STEPS_PER_BAR, 2))
    axes[0].set_ylabel("offset (steps, + is late)")
    axes[0].legend()
    return fig


def _offsets(plt, patterns):
    """Histogram of every hit's offset."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bins = np.linspace(-0.5, 0.5, 33)
    for name, p in patterns.items():
        values = realism.offsets(p)
        ax.hist(values, bins=bins, density=True, histtype="step", lw=1.5,
                label=f"{name} (std {values.std():.3f})")
    ax.set_xlabel("offset from the 16th step (steps)")
    ax.set_ylabel("density")
    ax.legend()
    return fig


def _hits_per_bar(plt, patterns):
    """Hits per bar of each class, side by side."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(patterns)
    for k, (name, p) in enumerate(patterns.items()):
        ax.bar(np.arange(len(CLASSES)) + k * width, hits_per_bar(p), width, label=name)
    ax.set_xticks(np.arange(len(CLASSES)) + 0.4 - width / 2, CLASSES, rotation=30)
    ax.set_ylabel("hits per bar")
    ax.legend()
    return fig


def _positions(plt, patterns):
    """Share of onsets at each 16th, for kick, snare and closed hat."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, cls in zip(axes, realism.PROFILE_CLASSES, strict=True):
        for name, p in patterns.items():
            ax.plot(np.arange(STEPS_PER_BAR), position_histogram(p)[:, cls], marker="o",
                    label=name)
        ax.set_title(f"{CLASSES[cls]}: onsets by 16th")
        ax.set_xticks(range(0, STEPS_PER_BAR, 2))
    axes[0].legend()
    return fig
