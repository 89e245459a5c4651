"""The evaluation's figures (engine.training.plots): four PNGs, one per figure, for the real
patterns and each model's, written into a folder that need not exist yet."""

from __future__ import annotations

import numpy as np
import pytest

from engine.music.drums import CLOSED_HAT, KICK, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern

FIGURES = ("timing_profiles", "offsets", "hits_per_bar", "onsets_by_position")
PNG = b"\x89PNG\r\n\x1a\n"


def groove(seed: int, late: float) -> Pattern:
    rng = np.random.default_rng(seed)
    pattern = Pattern.empty(2 * STEPS_PER_BAR)
    for cls, steps in ((KICK, range(0, 32, 8)), (SNARE, range(4, 32, 8)),
                       (CLOSED_HAT, range(0, 32, 2))):
        pattern.velocity[list(steps), cls] = rng.integers(60, 120, len(steps))
        pattern.offset[list(steps), cls] = late + rng.normal(0, 0.05, len(steps))
    return pattern


def test_every_figure_is_written_as_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="plots need the [train] extra")
    from engine.training.plots import write_plots

    patterns = {"real": [groove(i, 0.1) for i in range(4)],
                "lstm": [groove(10 + i, 0.0) for i in range(4)],
                "wavenet": [Pattern.empty(STEPS_PER_BAR)]}  # a model that wrote silence
    folder = tmp_path / "plots" / "new"

    paths = write_plots(patterns, folder)

    assert paths == [folder / f"{name}.png" for name in FIGURES]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, path.name
