"""A rule-based stand-in generator, used only until a trained model is present."""

from __future__ import annotations

import numpy as np

from engine.drums import CLOSED_HAT, CRASH, KICK, SNARE, STEPS_PER_BAR
from engine.generation import GenerationSpec
from engine.pattern import Pattern


class PlaceholderGenerator:
    """A backbeat with seeded kick and hat variations. Not a model: it says so in its name."""

    name = "placeholder (rule-based, no trained model yet)"
    styles: tuple[str, ...] = ("rock", "hiphop", "trap")

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec."""
        return [self._one(spec) for spec in specs]

    def _one(self, spec: GenerationSpec) -> Pattern:
        rng = np.random.default_rng(spec.seed)
        new = Pattern.empty(spec.steps)
        for step in range(spec.steps):
            pos = step % STEPS_PER_BAR
            if pos % 2 == 0 or rng.random() < 0.2 * spec.temperature:
                new.velocity[step, CLOSED_HAT] = 90 if pos % 4 == 0 else 60
            if pos in (4, 12):
                new.velocity[step, SNARE] = 110
            if pos in (0, 8) or rng.random() < 0.1 * spec.temperature:
                new.velocity[step, KICK] = 105
        new.velocity[0, CRASH] = 100
        return spec.primer.concat(new) if spec.primer is not None else new
