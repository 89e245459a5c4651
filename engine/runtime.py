"""The serving generator: samples beats from the NumPy LSTM (no TensorFlow on this path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.errors import ModelError
from engine.features import BUCKET_WIDTH, NO_EVENT, bucket_velocity, fill_flags
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
    """The state of one batched sampling run."""

    def __init__(self, lstm: DrumLSTM, specs: list[GenerationSpec], prior_weight: float) -> None:
        self.lstm, self.specs, self.prior_weight = lstm, specs, prior_weight
        self.rngs = [np.random.default_rng(s.seed) for s in specs]
        self.fixed = [s.primer.steps if s.primer is not None else 0 for s in specs]
        self.total = [f + s.steps for f, s in zip(self.fixed, specs, strict=True)]
        steps = max(self.total)
        self.events = np.zeros((len(specs), steps), np.int64)
        self.velocity = np.zeros((len(specs), steps, N_CLASSES), np.uint8)
        self.roll = np.ones((len(specs), steps, N_CLASSES), np.uint8)
        self.style = np.array([lstm.styles.index(s.style) if s.style in lstm.styles
                               else len(lstm.styles) for s in specs])
        self.fill = np.stack([np.pad(fill_flags(t, s.fills), (0, steps - t))
                              for t, s in zip(self.total, specs, strict=True)])
        self.no_event = np.full(len(specs), NO_EVENT)
        self.temperature = np.array([s.temperature for s in specs], np.float32)[:, None]
        for row, spec in enumerate(specs):
            if spec.primer is not None:
                self._place(row, 0, spec.primer, 0, spec.primer.steps)

    def run(self) -> list[Pattern]:
        state = self.lstm.initial_state(len(self.specs))
        context = self.lstm.context(self.style)
        rows = np.arange(len(self.specs))
        for t in range(self.events.shape[1]):
            ctx = context[rows, t % STEPS_PER_BAR, self.fill[:, t]]
            heads, state = self.lstm.step_events(*self._fed_back(t), ctx, state)
            self._choose(t, heads)
        return [Pattern(self.velocity[r, :n].copy(), self.roll[r, :n].copy())
                for r, n in enumerate(self.total)]

    def _fed_back(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the events one step, one bar and two bars back (NO_EVENT before the start)."""
        def back(k: int) -> np.ndarray:
            return self.events[:, t - k] if t >= k else self.no_event
        return back(1), back(STEPS_PER_BAR), back(2 * STEPS_PER_BAR)

    def _choose(self, t: int, heads: Heads) -> None:
        logits = heads.event
        if self.prior_weight:
            prior = self.lstm.style_prior[self.style, t % STEPS_PER_BAR]
            logits = logits + self.prior_weight * prior
        cumulative = _cumulative(logits / self.temperature)
        self._mask_silence(t, cumulative)
        for row, rng in enumerate(self.rngs):
            if t < self.fixed[row] or t >= self.total[row] or self._keep_guide(row, t, rng):
                continue
            event = int(np.searchsorted(cumulative[row], rng.random() * cumulative[row, -1],
                                        side="right"))
            self.events[row, t] = event = min(event, N_EVENTS - 1)
            hits = np.flatnonzero(event & BIT_WEIGHTS)
            if hits.size:
                self._hit(row, t, hits, heads, rng)

    def _hit(self, row: int, t: int, hits: np.ndarray, heads: Heads,
             rng: np.random.Generator) -> None:
        """Sample velocity and roll of the classes that hit (one draw of uniforms for all)."""
        temperature = self.temperature[row]
        k = hits.size
        u = rng.random(3 * k)
        bucket = _pick(heads.velocity[row, hits] / temperature, u[:k])
        roll = _pick(heads.roll[row, hits] / temperature, u[k : 2 * k]) + 1
        offset = (u[2 * k :] * BUCKET_WIDTH).astype(np.int64)
        self.velocity[row, t, hits] = bucket_velocity(bucket, offset)
        self.roll[row, t, hits] = roll

    def _mask_silence(self, t: int, cumulative: np.ndarray) -> None:
        """Never leave a bar empty: once a bar is silent up to beat 2, silence is not allowed."""
        pos = t % STEPS_PER_BAR
        if pos >= EMPTY_BAR_LIMIT:
            silent = ~self.events[:, t - pos : t].any(axis=1)
            cumulative[silent] -= cumulative[silent, :1]

    def _keep_guide(self, row: int, t: int, rng: np.random.Generator) -> bool:
        """For a variation, copy most steps of the guide beat instead of sampling them."""
        guide = self.specs[row].guide
        if guide is None or t >= guide.steps or rng.random() >= VARIATION_KEEP:
            return False
        self._place(row, t, guide, t, t + 1)
        return True

    def _place(self, row: int, at: int, source: Pattern, start: int, stop: int) -> None:
        n = stop - start
        self.velocity[row, at : at + n] = source.velocity[start:stop]
        self.roll[row, at : at + n] = source.roll[start:stop]
        self.events[row, at : at + n] = source.slice(start, stop).events()


def _cumulative(logits: np.ndarray) -> np.ndarray:
    """Unnormalised cumulative softmax along the last axis."""
    return np.cumsum(np.exp(logits - logits.max(axis=-1, keepdims=True)), axis=-1)


def _pick(logits: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw one index per row of logits, given one uniform number per row."""
    cumulative = _cumulative(logits)
    below = cumulative <= u[:, None] * cumulative[:, -1:]
    return np.minimum(below.sum(axis=1), logits.shape[-1] - 1)


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
