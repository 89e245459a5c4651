"""The sampler: what a generator is asked for, and the serving generator that samples beats
from the NumPy LSTM (no TensorFlow on this path).

Three things steer the LSTM's own distribution, each fitted on the training split:
- style guidance (classifier-free guidance): each row also runs as style "any", and the
  event logits move past the styled ones, away from the plain ones, so a whole beat keeps
  to its style rather than drifting to the neighbouring one the LSTM blurs it with;
- the event bias table: the style prior, with the calibration's onset corrections;
- per-cell velocity and timing shifts from the calibration (engine.training.calibration).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.model.features import (
    BUCKET_WIDTH,
    DRIFT_NONE,
    EVENT_HITS,
    KNOB_UNSET,
    LAG_STEPS,
    MAX_LAG,
    NO_EVENT,
    OFFSET_BUCKETS,
    TAP_MODES,
    TAP_NONE,
    VELOCITY_BUCKETS,
    bucket_offset,
    bucket_velocity,
    drift_bucket,
    fill_flags,
    knob_bucket,
    next_drift,
    tap_tokens,
    tempo_bucket,
    tempo_group,
)
from engine.model.lstm import DrumLSTM
from engine.music.drums import DEFAULT_BPM, N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern, Rhythm

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "default.npz"
EMPTY_BAR_LIMIT = 4
"""A bar still silent at this position (beat 2) may not stay silent: silence is masked."""
VARIATION_KEEP = 0.8
"""Share of steps a variation keeps from the beat it varies."""
VELOCITY_OF = bucket_velocity(np.arange(VELOCITY_BUCKETS)[:, None],
                              np.arange(BUCKET_WIDTH)[None, :])
"""Velocity of (bucket, place inside the bucket): (8, 16)."""
OFFSET_LIMIT = 0.5 - 0.5 / OFFSET_BUCKETS
"""Shifted offsets stay half a bucket inside half a step, so a hit reads back on its step."""
LOOKBACK = MAX_LAG
EVENT_NUMBERS = np.arange(N_EVENTS)
"""Every event number, for masking the events that disagree with kept drums."""
CLASS_BITS = 1 << np.arange(N_CLASSES)
"""The bit of each drum class in an event number."""
DRAWS = 2 + 3 * N_CLASSES
"""Uniform numbers per step: the event, a variation's keep, and per class the velocity, the
roll and the timing offset."""
KNOB_PLAIN_LANE = (1, 1, 2, 3, 3, KNOB_UNSET)
"""The knob bucket the guidance's plain lane plays for each knob bucket (and unset): the
extreme settings one step nearer the middle, so guidance adds their last step again; the
others the same. Chosen on the tuning slice among three: the plain lane "as the style plays"
overshot (rock 7 to 31 hits a bar), the same buckets as the styled lane fell short of
doubling (rock 12.8 to 22.2)."""
ALL_ONSETS_FROM = 9.0
"""Material with at least this many onset steps a bar (of the bars it plays in) is followed
onset for onset (a riff, a hat-like line: tap mode "all"); sparser material is taken as the
kick and snare steps, with the rest of the kit free (a bass line, a clap track). Real beats
have 12 onset steps a bar, their kick and snare 6 (Groove training split)."""


def follow_mode(rhythm: Rhythm) -> str:
    """How a rhythm is followed when the spec does not say: onset for onset when it plays
    at least ALL_ONSETS_FROM onset steps a bar (over the bars it plays in), else as the kick
    and snare steps."""
    bars = rhythm.onsets[: rhythm.bars * STEPS_PER_BAR]
    bars = np.pad(bars, (0, rhythm.bars * STEPS_PER_BAR - len(bars))).reshape(-1, STEPS_PER_BAR)
    playing = bars.sum(axis=1)
    playing = playing[playing > 0]
    dense = playing.size > 0 and playing.mean() >= ALL_ONSETS_FROM
    return TAP_MODES[0] if dense else TAP_MODES[1]


@dataclass(frozen=True)
class GenerationSpec:
    """One pattern to write.

    Attributes:
        steps: new 16th steps to write (after the primer).
        style: a style the generator knows, or "any".
        temperature: sampling temperature (>0).
        seed: seed of the sampler; equal specs give equal patterns.
        fills: a fill in the last bar of every `fills` bars (0 for none).
        primer: a pattern to continue; the result starts with it.
        guide: a pattern to vary; the result keeps most of its steps.
        bpm: the tempo the beat is for (the model's tempo input).
        keep: a pattern whose `keep_classes` the result plays exactly (hits, velocities,
            rolls and timing), from step 0 for its length; at each of those steps the event
            is drawn from the model's own distribution restricted to the events that agree
            with the kept drums there (renormalised), and the other drums' velocity, roll
            and timing come from the model. With a primer, `keep` counts from the primer's
            first step (the primer's own steps stay whole). Not with a guide.
        keep_classes: the drum classes of `keep` that are kept.
        busy: how busy, 0 (the style's sparsest playing) to 1 (its busiest); None plays as
            the style does.
        loud: how hard, 0 (the style's softest) to 1 (its hardest); None as the style does.
        follow: a rhythm the drums follow (Tap2Drum), from step 0 for its length; steps
            past it follow none.
        follow_mode: how (engine.model.features.TAP_MODES): "all" plays on its onset steps
            and only there, "kick_snare" puts the kick and snare on them and lets the rest of
            the kit play; "" chooses by its density (follow_mode).
    """

    steps: int
    style: str
    temperature: float
    seed: int
    fills: int = 0
    primer: Pattern | None = None
    guide: Pattern | None = None
    bpm: float = DEFAULT_BPM
    keep: Pattern | None = None
    keep_classes: tuple[int, ...] = ()
    busy: float | None = None
    loud: float | None = None
    follow: Rhythm | None = None
    follow_mode: str = ""

    def __post_init__(self) -> None:
        if self.keep is not None and self.guide is not None:
            raise ValueError("a spec keeps drums of a pattern or varies a guide, not both")


class Generator(Protocol):
    """Writes patterns. Loaded once and shared; `generate` must be thread-safe."""

    name: str
    styles: tuple[str, ...]

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec (batched where the generator can)."""
        ...


class DrumGenerator:
    """Samples patterns from a loaded DrumLSTM; `generate` batches specs through it.

    Args:
        lstm: the loaded model.
        name: shown in replies and logs.
        prior_weight: weight of the style prior added to the event logits (see
            engine.training.style_prior); None takes the model's own setting.
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
        self.offset = np.zeros((batch, steps, N_CLASSES), np.float32)
        self.style = np.array([lstm.styles.index(s.style) if s.style in lstm.styles
                               else len(lstm.styles) for s in specs])
        self.fill = np.stack([np.pad(fill_flags(t, s.fills), (0, steps - t))
                              for t, s in zip(self.total, specs, strict=True)])
        rngs = [np.random.default_rng(s.seed) for s in specs]
        uniforms = np.stack([rng.random((steps, DRAWS)) for rng in rngs])
        self.event_draw, self.keep_draw = uniforms[..., 0], uniforms[..., 1]
        self.hit_draws = uniforms[..., 2:].reshape(batch, steps, 3, N_CLASSES)
        temperature = np.array([s.temperature for s in specs], np.float32)
        self.inverse_t = None if (temperature == 1).all() else (1 / temperature)[:, None]
        # Event-head bias per row and bar position, with the style prior folded in.
        self.groups = np.array([tempo_group(s.bpm) for s in specs])
        self.event_bias = lstm.event_b + prior_weight * lstm.style_prior[self.style, self.groups]
        self.hidden = np.zeros((batch, steps, lstm.hidden), np.float32)
        steps_now = np.arange(steps)
        self.free = (steps_now >= fixed[:, None]) & (steps_now < self.total[:, None])
        # Kept drums: which classes are held at each step, and the event bits they force.
        self.held = np.zeros((batch, steps, N_CLASSES), bool)
        for row, spec in enumerate(specs):
            if spec.primer is not None:
                self._place(row, 0, spec.primer, 0, spec.primer.steps)
            if spec.guide is not None:
                self._keep_guide(row, spec.guide)
            if spec.keep is not None:
                self._hold(row, spec.keep, spec.keep_classes)
        self.held_bits = self.held.astype(np.int64) @ CLASS_BITS
        self.held_events = (self.velocity > 0).astype(np.int64) @ CLASS_BITS & self.held_bits
        self.bar_busy = np.zeros(batch, bool)
        tempo = np.array([tempo_bucket(s.bpm) for s in specs])
        busy = np.array([knob_bucket(s.busy) for s in specs])
        loud = np.array([knob_bucket(s.loud) for s in specs])
        self.loud = loud
        self.tap = np.full((batch, steps), TAP_NONE, np.int64)
        for row, spec in enumerate(specs):
            if spec.follow is not None:
                n = min(spec.follow.steps, steps)
                mode = spec.follow_mode or follow_mode(spec.follow)
                self.tap[row, :n] = tap_tokens(spec.follow.onsets, spec.follow.offsets, mode)[:n]
        # Style guidance runs a second lane per row with style "any": the event logits become
        # styled + guidance * (styled - any). The prior goes on the styled lane, scaled so
        # that it adds once to the combination.
        self.guidance = float(lstm.meta.get("style_guidance", 0.0))
        self.drift_gain = float(lstm.meta.get("drift_gain", 1.0))
        own = lstm.meta.get("style_guidance_by_style", {})
        strength = np.array([own.get(s.style, self.guidance) for s in specs], np.float32)
        if self.guidance:
            self.lanes: slice | np.ndarray = np.concatenate([np.arange(batch)] * 2)
            any_style = np.full(batch, len(lstm.styles))
            # The plain lane plays the extreme knob settings a step nearer the middle
            # (KNOB_PLAIN_LANE): the guidance that holds a beat to its style holds it to its
            # busy and loud settings too.
            plain = np.array(lstm.meta.get("knob_plain_lane", KNOB_PLAIN_LANE))
            self.context = lstm.context(np.concatenate([self.style, any_style]),
                                        np.concatenate([tempo, tempo]),
                                        np.concatenate([busy, plain[busy]]),
                                        np.concatenate([loud, plain[loud]]))
            prior = self.event_bias - lstm.event_b
            self.event_bias = np.concatenate(
                [lstm.event_b + prior / (1 + strength[:, None, None]),
                 np.broadcast_to(lstm.event_b, prior.shape)])
        else:
            self.lanes = slice(None)
            self.context = lstm.context(self.style, tempo, busy, loud)
        self.strength = strength[:, None]

    def run(self) -> list[Pattern]:
        batch = len(self.specs)
        lanes = self.lanes[:, None] if self.guidance else self.lanes
        near_columns = LOOKBACK - self.lstm.near_back  # history columns of step 0's near lags
        state = self.lstm.initial_state(len(self.context))
        any_free = self.free.any(axis=0).tolist()
        self.all_free = self.free.all(axis=0).tolist()
        self.any_held = self.held_bits.any(axis=0).tolist()
        for t in range(self.velocity.shape[1]):
            pos = t % STEPS_PER_BAR
            if pos == 0:
                ahead = self._bar_ahead(t)
                self.bar_busy[:] = False
            logits, state = self.lstm.step_events(
                self.history[lanes, near_columns + t], ahead[:, pos], state,
                self.event_bias[:, pos], h_out=None if self.guidance else self.hidden[:, t])
            if self.guidance:
                self.hidden[:, t] = state[0][:batch]
                styled = logits[:batch]
                styled *= 1 + self.strength
                styled -= self.strength * logits[batch:]
                logits = styled
            if any_free[t]:
                if self.inverse_t is not None:
                    logits *= self.inverse_t
                self._choose(t, logits)
            np.logical_or(self.bar_busy, self.history[:, LOOKBACK + t], out=self.bar_busy)
        self._hits()
        return [Pattern(self.velocity[r, :n].copy(), self.roll[r, :n].copy(),
                        self.offset[r, :n].copy()) for r, n in enumerate(self.total)]

    def _bar_ahead(self, start: int) -> np.ndarray:
        """Gate input known before a bar starts: context plus the events a bar or more back
        (all decided by then), for its 16 steps: (lanes, 16, 4*hidden)."""
        steps = np.arange(start, min(start + STEPS_PER_BAR, self.velocity.shape[1]))
        history = self.history[self.lanes]
        back = {k: history[:, LOOKBACK + steps - LAG_STEPS[k]] for k in self.lstm.bar_lags}
        rows = np.arange(len(self.context))[:, None]
        ctx = self.context[rows, steps % STEPS_PER_BAR, self.fill[self.lanes][:, steps]]
        ctx += self.lstm.tables["tap"][self.tap[self.lanes][:, steps]]
        return ctx + self.lstm.lookback(back)

    def _choose(self, t: int, logits: np.ndarray) -> None:
        """Sample the event of one step (inverse CDF with one uniform number per row)."""
        if t % STEPS_PER_BAR >= EMPTY_BAR_LIMIT and not self.bar_busy.all():
            logits[~self.bar_busy, 0] = -np.inf  # never leave a bar empty
        if self.any_held[t]:
            # Only the events that play the kept drums as they are: the model's conditional
            # given them (the softmax below renormalises). At least one class is free at a
            # held step (see _hold), so some event other than silence always remains.
            clash = EVENT_NUMBERS & self.held_bits[:, t, None] != self.held_events[:, t, None]
            logits[clash] = -np.inf
        weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
        cumulative = np.cumsum(weights, axis=-1, out=weights)
        draw = self.event_draw[:, t, None] * cumulative[:, -1:]
        event = np.minimum((cumulative <= draw).sum(axis=-1), logits.shape[-1] - 1)
        if self.all_free[t]:
            self.history[:, LOOKBACK + t] = event
        else:
            free = self.free[:, t]
            self.history[free, LOOKBACK + t] = event[free]

    def _hits(self) -> None:
        """Sample velocity, roll and timing of every sampled hit at once: they never feed
        back, so they wait for the events. The offset head sees the event and the velocity
        bucket. Each is one uniform number through the inverse CDF; where it falls inside
        its bucket places the velocity or offset inside the bucket. Only hit cells are
        computed."""
        hits = EVENT_HITS[self.history[:, LOOKBACK:]] & self.free[..., None] & ~self.held
        row, step, cls = np.nonzero(hits)
        h = self.hidden[row, step]
        cells = np.arange(len(cls))
        velocity, roll = self.lstm.hit_heads(h, self.style[row], self.loud[row])
        draws = self.hit_draws[row, step, :, cls]
        bucket, place = inverse_cdf(self._tempered(velocity[cells, cls], row), draws[:, 0])
        rolls, _ = inverse_cdf(self._tempered(roll[cells, cls], row), draws[:, 1])
        inside = np.minimum(place * BUCKET_WIDTH, BUCKET_WIDTH - 1).astype(np.int64)
        cell = (self.style[row], self.groups[row], step % STEPS_PER_BAR, cls)
        velocity = VELOCITY_OF[bucket, inside] + self.lstm.velocity_shift[cell]
        self.velocity[row, step, cls] = np.clip(np.rint(velocity), 1, 127)
        self.roll[row, step, cls] = rolls + 1
        logits = self.lstm.offset_cells(h, self.history[row, LOOKBACK + step], cls, bucket,
                                        self.tap[row, step])
        # Every drift the cell may follow: (cells, drift, 16), each drawn with the cell's
        # own uniform number; _drift then walks the beat and takes the one it follows.
        # The calibration's sharpness narrows the head's own spread; the drift it follows
        # is scaled by the model's drift gain (sharpened in full, a late stretch runs away).
        logits *= self.lstm.offset_sharpness[self.style[row], self.groups[row]][:, None]
        drift = self.lstm.drift_table[:, cls].swapaxes(0, 1) * self.drift_gain
        logits = logits[:, None] + drift
        logits = self._tempered(logits, row)
        offset_bucket, offset_place = inverse_cdf(logits, draws[:, 2, None])
        offset = bucket_offset(offset_bucket, offset_place) + self.lstm.offset_shift[cell][:, None]
        offset = np.clip(offset, -OFFSET_LIMIT, OFFSET_LIMIT)
        chosen = self._drift(row, step, cls, offset, hits)
        self.offset[row, step, cls] = offset[np.arange(len(cls)), chosen]

    def _drift(self, row: np.ndarray, step: np.ndarray, cls: np.ndarray, offset: np.ndarray,
               drawn: np.ndarray) -> np.ndarray:
        """Walk each beat's hits in time: every drawn hit plays the offset it drew under the
        drift of the last step with hits (how far from their cells' means those sat), so a
        late stretch stays late. Hits the sampler did not draw (a primer's, kept drums) set
        the drift with their own timing.

        Args:
            row: the row of each drawn cell (cells in row, then step order: np.nonzero's).
            step: the step of each drawn cell.
            cls: the drum class of each drawn cell.
            offset: (cells, drift tokens) the offset each cell drew under each drift.
            drawn: (batch, steps, 9) which cells were drawn.

        Returns:
            The drift token each drawn cell followed.
        """
        if not self.lstm.listens:
            return np.zeros(len(cls), np.int64)
        mean = self.lstm.offset_mean
        fixed = EVENT_HITS[self.history[:, LOOKBACK:]] & ~drawn
        f_row, f_step, f_cls = np.nonzero(fixed)
        f_res = (self.offset[f_row, f_step, f_cls]
                 - mean[self.style[f_row], f_step % STEPS_PER_BAR, f_cls]).tolist()
        residual = (offset - mean[self.style[row], step % STEPS_PER_BAR, cls][:, None]).tolist()
        by_step: dict[tuple[int, int], list] = {}
        for i, key in enumerate(zip(row.tolist(), step.tolist(), strict=True)):
            by_step.setdefault(key, [[], []])[0].append(i)
        for i, key in enumerate(zip(f_row.tolist(), f_step.tolist(), strict=True)):
            by_step.setdefault(key, [[], []])[1].append(f_res[i])
        chosen = np.zeros(len(cls), np.int64)
        drift: dict[int, float] = {}
        for (r, _), (cells, known) in sorted(by_step.items()):
            token = int(drift_bucket(drift[r])) if r in drift else DRIFT_NONE
            values = known + [residual[i][token] for i in cells]
            chosen[cells] = token
            drift[r] = next_drift(drift.get(r), sum(values) / len(values))
        return chosen

    def _tempered(self, logits: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Logits of hit cells (n, ..., K) at the temperature of each cell's row."""
        if self.inverse_t is not None:
            logits *= self.inverse_t[row].reshape(-1, *[1] * (logits.ndim - 1))
        return logits

    def _keep_guide(self, row: int, guide: Pattern) -> None:
        """For a variation, copy most steps of the guide beat; the model fills the rest."""
        steps = min(guide.steps, int(self.total[row]))
        keep = self.keep_draw[row, :steps] < VARIATION_KEEP
        keep &= self.free[row, :steps]
        self.free[row, :steps] &= ~keep
        for t in np.flatnonzero(keep):
            self._place(row, t, guide, t, t + 1)

    def _hold(self, row: int, keep: Pattern, classes: tuple[int, ...]) -> None:
        """Copy the kept classes of `keep` exactly (hits, velocity, roll, timing) and hold
        them, so the sampler writes only the other classes at those steps. Keeping every
        class leaves nothing to sample: those steps are placed whole."""
        steps = min(keep.steps, int(self.total[row]))
        if len(set(classes)) == N_CLASSES:
            self._place(row, 0, keep, 0, steps)
            self.free[row, :steps] = False
            return
        cols = list(classes)
        self.held[row][:steps, cols] = True
        self.velocity[row][:steps, cols] = keep.velocity[:steps, cols]
        self.roll[row][:steps, cols] = keep.roll[:steps, cols]
        self.offset[row][:steps, cols] = keep.offset[:steps, cols]

    def _place(self, row: int, at: int, source: Pattern, start: int, stop: int) -> None:
        n = stop - start
        self.velocity[row, at : at + n] = source.velocity[start:stop]
        self.roll[row, at : at + n] = source.roll[start:stop]
        self.offset[row, at : at + n] = source.offset[start:stop]
        self.history[row, LOOKBACK + at : LOOKBACK + at + n] = source.slice(start, stop).events()


def inverse_cdf(logits: np.ndarray, draw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample softmax(logits) over the last axis with one uniform number per row.

    Returns:
        The chosen index, and where the draw fell inside that choice's share (0-1), itself a
        uniform number independent of the choice.
    """
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(weights, axis=-1)
    point = draw[..., None] * cumulative[..., -1:]
    index = np.minimum((cumulative <= point).sum(axis=-1), logits.shape[-1] - 1)
    upper = np.take_along_axis(cumulative, index[..., None], axis=-1)[..., 0]
    share = np.take_along_axis(weights, index[..., None], axis=-1)[..., 0]
    place = 1 - (upper - point[..., 0]) / share
    return index, np.clip(place, 0.0, 1.0 - 1e-6)


def load_generator(model_path: Path | None = None) -> Generator:
    """Load the model at `model_path`, or the shipped default.

    Raises:
        ModelError: the file is missing or corrupt.
    """
    path = Path(model_path) if model_path else DEFAULT_MODEL
    return DrumGenerator(DrumLSTM.load(path), name=f"drum-lstm ({path.stem})")
