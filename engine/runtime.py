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
EVENT_HITS = (np.arange(2**N_CLASSES)[:, None] >> np.arange(N_CLASSES)) & 1 > 0
"""Which classes hit in each event: (512, 9) bool."""
LOOKBACK = 2 * STEPS_PER_BAR
FED_BACK = LOOKBACK - np.array([1, STEPS_PER_BAR, 2 * STEPS_PER_BAR])
"""Columns of the padded history fed back at step t: t-1, t-16, t-32 (plus LOOKBACK)."""
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
        batch = len(specs)
        fixed = np.array([s.primer.steps if s.primer is not None else 0 for s in specs])
        self.total = fixed + np.array([s.steps for s in specs])
        steps = int(self.total.max())
        # Events with two bars of NO_EVENT in front, so every look back is one index.
        self.history = np.full((batch, LOOKBACK + steps), NO_EVENT, np.int64)
        self.velocity = np.zeros((batch, steps, N_CLASSES), np.uint8)
        self.roll = np.ones((batch, steps, N_CLASSES), np.uint8)
        self.style = np.array([lstm.styles.index(s.style) if s.style in lstm.styles
                               else len(lstm.styles) for s in specs])
        self.fill = np.stack([np.pad(fill_flags(t, s.fills), (0, steps - t))
                              for t, s in zip(self.total, specs, strict=True)])
        rngs = [np.random.default_rng(s.seed) for s in specs]
        uniforms = np.stack([rng.random((steps, 1 + N_CLASSES)) for rng in rngs])
        self.keep_draw = uniforms[..., 0]
        self.offset = (uniforms[..., 1:] * BUCKET_WIDTH).astype(np.int64)
        self.event_noise = np.stack([rng.gumbel(size=(steps, lstm.n_events))
                                     for rng in rngs]).astype(np.float32)
        self.gumbel = np.stack([rng.gumbel(size=(steps, N_CLASSES, GUMBELS))
                                for rng in rngs]).astype(np.float32)
        temperature = np.array([s.temperature for s in specs], np.float32)
        self.inverse_t = None if (temperature == 1).all() else (1 / temperature)[:, None]
        # Head bias per row and bar position, with the style prior added to the event logits.
        self.head_bias = np.repeat(lstm.head_b[None, None], STEPS_PER_BAR, axis=1)
        self.head_bias = self.head_bias + np.zeros((batch, 1, 1), np.float32)
        self.head_bias[..., : lstm.n_events] += prior_weight * lstm.style_prior[self.style]
        steps_now = np.arange(steps)
        self.free = (steps_now >= fixed[:, None]) & (steps_now < self.total[:, None])
        for row, spec in enumerate(specs):
            if spec.primer is not None:
                self._place(row, 0, spec.primer, 0, spec.primer.steps)
            if spec.guide is not None:
                self._keep_guide(row, spec.guide)
        self.bar_busy = np.zeros(batch, bool)
        self.all_free = self.free.all(axis=0)

    def run(self) -> list[Pattern]:
        state = self.lstm.initial_state(len(self.specs))
        context = self.lstm.context(self.style)
        rows = np.arange(len(self.specs))
        for t in range(self.velocity.shape[1]):
            pos = t % STEPS_PER_BAR
            ctx = context[rows, pos, self.fill[:, t]]
            out, state = self.lstm.step_events(self.history[:, t + FED_BACK], ctx, state,
                                               self.head_bias[:, pos])
            free = self.free[:, t]
            if free.any():
                if self.inverse_t is not None:
                    out *= self.inverse_t
                self._choose(t, self.lstm.split_heads(out), free)
        return [Pattern(self.velocity[r, :n].copy(), self.roll[r, :n].copy())
                for r, n in enumerate(self.total)]

    def _choose(self, t: int, heads: Heads, free: np.ndarray) -> None:
        """Sample the event, then the velocity and roll of each class that hits.

        All by the Gumbel-max trick: argmax(logits / T + Gumbel noise) is a draw from
        softmax(logits / T), and the noise was drawn up front from each row's seed.
        """
        logits = heads.event
        self._mask_silence(t, logits)
        event = np.argmax(logits + self.event_noise[:, t], axis=-1)
        hits = EVENT_HITS[event]
        self.bar_busy |= event > 0
        noise = self.gumbel[:, t]
        bucket = np.argmax(heads.velocity + noise[..., :VELOCITY_BUCKETS], axis=-1)
        rolls = np.argmax(heads.roll + noise[..., VELOCITY_BUCKETS:], axis=-1) + 1
        chosen = (event, np.where(hits, bucket_velocity(bucket, self.offset[:, t]), 0),
                  np.where(hits, rolls, 1))
        targets = (self.history[:, LOOKBACK + t], self.velocity[:, t], self.roll[:, t])
        every = self.all_free[t]
        for target, value in zip(targets, chosen, strict=True):
            if every:
                target[...] = value
            else:
                target[free] = value[free]

    def _mask_silence(self, t: int, logits: np.ndarray) -> None:
        """Never leave a bar empty: once a bar is silent up to beat 2, silence is not allowed."""
        pos = t % STEPS_PER_BAR
        if pos == 0:
            self.bar_busy[:] = False
        elif pos >= EMPTY_BAR_LIMIT and not self.bar_busy.all():
            logits[~self.bar_busy, 0] = -np.inf

    def _keep_guide(self, row: int, guide: Pattern) -> None:
        """For a variation, copy most steps of the guide beat; the model fills the rest."""
        steps = min(guide.steps, int(self.total[row]))
        keep = self.keep_draw[row, :steps] < VARIATION_KEEP
        keep &= self.free[row, :steps]
        self.free[row, :steps] &= ~keep
        for t in np.flatnonzero(keep):
            self._place(row, t, guide, t, t + 1)

    def _place(self, row: int, at: int, source: Pattern, start: int, stop: int) -> None:
        n = stop - start
        self.velocity[row, at : at + n] = source.velocity[start:stop]
        self.roll[row, at : at + n] = source.roll[start:stop]
        self.history[row, LOOKBACK + at : LOOKBACK + at + n] = source.slice(start, stop).events()


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
