"""The serving generator: samples beats from the NumPy LSTM (no TensorFlow on this path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.drums import N_CLASSES, STEPS_PER_BAR
from engine.errors import ModelError
from engine.features import (
    BUCKET_WIDTH,
    N_ROLLS,
    NO_EVENT,
    VELOCITY_BUCKETS,
    bucket_velocity,
    fill_flags,
)
from engine.generation import GenerationSpec, Generator
from engine.lstm import DrumLSTM, Heads
from engine.pattern import Pattern
from engine.request import ANY_STYLE

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "default.npz"
EMPTY_BAR_LIMIT = 4
"""A bar still silent at this position (beat 2) may not stay silent: silence is masked."""
VARIATION_KEEP = 0.8
"""Share of steps a variation keeps from the beat it varies."""
BIT_WEIGHTS = 1 << np.arange(N_CLASSES)
GUMBELS = VELOCITY_BUCKETS + N_ROLLS
"""Gumbel noise per class and step: one per velocity bucket and per roll."""


class DrumGenerator:
    """Samples patterns from a loaded DrumLSTM; `generate` batches specs through it.

    Args:
        lstm: the loaded model.
        name: shown in replies and logs.
        prior_weight: weight of the style prior added to the event logits (see
            engine.style_prior); None takes the model's own setting.
    """

    def __init__(self, lstm: DrumLSTM, name: str = "drum-lstm",
                 prior_weight: float | None = None) -> None:
        self.lstm = lstm
        self.name = name
        self.styles = lstm.styles
        default = lstm.meta.get("style_prior_weight", 0.0)
        self.prior_weight = default if prior_weight is None else prior_weight

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec; specs of any length and primer share one batch."""
        return _Batch(self.lstm, specs, self.prior_weight).run()


class _Batch:
    """One batched sampling run. Every row draws its random numbers up front from its own
    seed, so a beat does not depend on what else shares its batch."""

    def __init__(self, lstm: DrumLSTM, specs: list[GenerationSpec], prior_weight: float) -> None:
        self.lstm, self.specs = lstm, specs
        self.fixed = np.array([s.primer.steps if s.primer is not None else 0 for s in specs])
        self.total = self.fixed + np.array([s.steps for s in specs])
        steps = int(self.total.max())
        self.events = np.zeros((len(specs), steps), np.int64)
        self.velocity = np.zeros((len(specs), steps, N_CLASSES), np.uint8)
        self.roll = np.ones((len(specs), steps, N_CLASSES), np.uint8)
        self.style = np.array([lstm.styles.index(s.style) if s.style in lstm.styles
                               else len(lstm.styles) for s in specs])
        self.fill = np.stack([np.pad(fill_flags(t, s.fills), (0, steps - t))
                              for t, s in zip(self.total, specs, strict=True)])
        rngs = [np.random.default_rng(s.seed) for s in specs]
        self.uniforms = np.stack([rng.random((steps, 2 + N_CLASSES)) for rng in rngs])
        self.gumbel = np.stack([rng.gumbel(size=(steps, N_CLASSES, GUMBELS)) for rng in rngs])
        self.gumbel = self.gumbel.astype(np.float32)
        self.inverse_t = np.array([1.0 / s.temperature for s in specs], np.float32)
        self.event_bias = prior_weight * lstm.style_prior[self.style]
        self.kept = np.zeros((len(specs), steps), bool)
        for row, spec in enumerate(specs):
            if spec.primer is not None:
                self._place(row, 0, spec.primer, 0, spec.primer.steps)
            if spec.guide is not None:
                self._keep_guide(row, spec.guide)

    def run(self) -> list[Pattern]:
        state = self.lstm.initial_state(len(self.specs))
        context = self.lstm.context(self.style)
        rows = np.arange(len(self.specs))
        for t in range(self.events.shape[1]):
            ctx = context[rows, t % STEPS_PER_BAR, self.fill[:, t]]
            heads, state = self.lstm.step_events(*self._fed_back(t), ctx, state)
            free = (t >= self.fixed) & (t < self.total) & ~self.kept[:, t]
            if free.any():
                self._choose(t, heads, free)
        return [Pattern(self.velocity[r, :n].copy(), self.roll[r, :n].copy())
                for r, n in enumerate(self.total)]

    def _fed_back(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the events one step, one bar and two bars back (NO_EVENT before the start)."""
        def back(k: int) -> np.ndarray:
            return self.events[:, t - k] if t >= k else np.full(len(self.specs), NO_EVENT)
        return back(1), back(STEPS_PER_BAR), back(2 * STEPS_PER_BAR)

    def _choose(self, t: int, heads: Heads, free: np.ndarray) -> None:
        """Sample the event, then the velocity and roll of each class that hits."""
        logits = (heads.event + self.event_bias[:, t % STEPS_PER_BAR]) * self.inverse_t[:, None]
        cumulative = _cumulative(logits)
        self._mask_silence(t, cumulative)
        event = _pick(cumulative, self.uniforms[:, t, 0])
        hits = (event[:, None] & BIT_WEIGHTS) > 0
        # Velocity and roll by the Gumbel-max trick: argmax(logits / T + Gumbel noise).
        noise = self.gumbel[:, t]
        scale = self.inverse_t[:, None, None]
        bucket = np.argmax(heads.velocity * scale + noise[..., :VELOCITY_BUCKETS], axis=-1)
        roll = np.argmax(heads.roll * scale + noise[..., VELOCITY_BUCKETS:], axis=-1)
        offset = (self.uniforms[:, t, 2:] * BUCKET_WIDTH).astype(np.int64)
        velocity = np.where(hits, bucket_velocity(bucket, offset), 0)
        self.events[free, t] = event[free]
        self.velocity[free, t] = velocity[free]
        self.roll[free, t] = np.where(hits, roll + 1, 1)[free]

    def _mask_silence(self, t: int, cumulative: np.ndarray) -> None:
        """Never leave a bar empty: once a bar is silent up to beat 2, silence is not allowed."""
        pos = t % STEPS_PER_BAR
        if pos >= EMPTY_BAR_LIMIT:
            silent = ~self.events[:, t - pos : t].any(axis=1)
            cumulative[silent] -= cumulative[silent, :1]

    def _keep_guide(self, row: int, guide: Pattern) -> None:
        """For a variation, copy most steps of the guide beat; the model fills the rest."""
        steps = min(guide.steps, int(self.total[row]))
        keep = self.uniforms[row, :steps, 1] < VARIATION_KEEP
        keep[: self.fixed[row]] = False
        self.kept[row, :steps] = keep
        for t in np.flatnonzero(keep):
            self._place(row, t, guide, t, t + 1)

    def _place(self, row: int, at: int, source: Pattern, start: int, stop: int) -> None:
        n = stop - start
        self.velocity[row, at : at + n] = source.velocity[start:stop]
        self.roll[row, at : at + n] = source.roll[start:stop]
        self.events[row, at : at + n] = source.slice(start, stop).events()


def _cumulative(logits: np.ndarray) -> np.ndarray:
    """Unnormalised cumulative softmax along the last axis."""
    return np.cumsum(np.exp(logits - logits.max(axis=-1, keepdims=True)), axis=-1)


def _pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw an index along the last axis of unnormalised cumulative weights, one uniform
    number (same shape as `cumulative` without its last axis) per draw."""
    below = cumulative <= (u * cumulative[..., -1])[..., None]
    return np.minimum(below.sum(axis=-1), cumulative.shape[-1] - 1)


def load_generator(model_path: Path | None = None) -> Generator:
    """Load the model at `model_path`, or the shipped default.

    Raises:
        ModelError: the file is missing or corrupt.
    """
    path = Path(model_path) if model_path else DEFAULT_MODEL
    if model_path is None and not path.exists():
        from engine.placeholder import PlaceholderGenerator

        return PlaceholderGenerator()
    return DrumGenerator(DrumLSTM.load(path), name=f"drum-lstm ({path.stem})")


__all__ = ["ANY_STYLE", "DEFAULT_MODEL", "DrumGenerator", "ModelError", "load_generator"]
