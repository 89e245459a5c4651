"""What the LSTM sees at each step and what it predicts, shared by training and the runtime.

Inputs at step t: the event at t-1, the events one and two bars back (DrumsRNN's lookback),
the position of t in the bar, the style, the tempo bucket, and whether bar(t) is a fill.
Outputs: the event at t, plus the velocity bucket, roll and timing-offset bucket of every class
that hits at t. The offset head also sees the event at t and each hit's velocity bucket (they
are decided before it), so timing follows what is played with it and how hard.
"""

from __future__ import annotations

import numpy as np

from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern

NO_EVENT = N_EVENTS
"""Input token for "before the start" (index 512 of the event embedding)."""
EVENT_HITS = (np.arange(N_EVENTS + 1)[:, None] >> np.arange(N_CLASSES)) & 1 > 0
EVENT_HITS[NO_EVENT] = False
"""Which classes hit in each event (bit i = class i), and none for NO_EVENT: (513, 9)."""
LAG_STEPS = {"prev": 1, "lag2": 2, "lag3": 3, "lag4": 4, "lag8": 8,
             "back1": STEPS_PER_BAR, "back2": 2 * STEPS_PER_BAR, "back3": 3 * STEPS_PER_BAR,
             "back4": 4 * STEPS_PER_BAR}
"""Event inputs a model may take, by how many steps back they look. A config names the ones
it uses (`event_lags`); those of a bar or more back are known before the bar starts."""
MAX_LAG = max(LAG_STEPS.values())
VELOCITY_BUCKETS = 8
BUCKET_WIDTH = 128 // VELOCITY_BUCKETS
N_ROLLS = 4
OFFSET_BUCKETS = 16
"""Timing offsets from -0.5 to +0.5 of a step, in 16 buckets of 1/16 step."""
TEMPO_EDGES = (70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 135.0, 150.0, 170.0)
"""Upper bpm of each tempo bucket but the last: 10 buckets, the tempo input of the model."""
N_TEMPOS = len(TEMPO_EDGES) + 1
IGNORE = -1
"""Target label that the loss skips (no hit, or padding)."""
KNOB_SETTINGS = 5
"""Buckets of the busy and loud knobs: a knob value 0-1 picks the nearest of 5 settings."""
KNOB_UNSET = KNOB_SETTINGS
"""The knob input for "as the style plays": no density or loudness asked for."""
KNOB_TOKENS = KNOB_SETTINGS + 1
KNOB_QUANTILES = (0.05, 0.25, 0.75, 0.95)
"""Edges of the knob buckets as quantiles of a style's training windows: the lowest and
highest settings are the style's sparsest (softest) and busiest (loudest) twentieth."""
TAP_NONE = 0
"""The tap input when a beat follows no material."""
TAP_OFFSETS = 4
"""A tap's timing, in 4 buckets of a quarter step."""
TAP_MODES = ("all", "kick_snare")
"""What a tap stands for: every onset of the drums (a riff or a clap track), or only the
kick and snare steps (a bass line locked to them; the rest of the kit plays freely)."""
TAP_TOKENS = 1 + len(TAP_MODES) * (1 + TAP_OFFSETS)
"""Tap inputs: none; per mode, no onset at the step, or an onset in one of 4 offset buckets."""
DRIFT_EDGES = (-0.12, -0.08, -0.05, -0.025, 0.0, 0.025, 0.05, 0.08, 0.12)
"""Buckets of the timing just played (steps from the cells' means), 10 buckets."""
DRIFT_SMOOTHING = 0.5
"""The drift is a running mean over the steps with hits: each step's mean offset from its
cells' means counts this much, what came before the rest (a late stretch stays late)."""
DRIFT_NONE = len(DRIFT_EDGES) + 1
"""The drift input before any hit."""
DRIFT_TOKENS = DRIFT_NONE + 1
CONTEXT_NAMES = ("pos", "style", "fill", "tempo", "busy", "loud", "tap")
"""Inputs known before a step: position, style, fill, tempo, the busy and loud knobs and the
tap of the material followed at that step."""
INPUT_NAMES = (*LAG_STEPS, *CONTEXT_NAMES)
"""Every input sequence_inputs gives; a model takes its event lags and the context."""
HIT_INPUTS = ("now", "now_velocity", "drift")
"""Inputs of the offset head only: the event at t, the velocity bucket of each class, and
the drift (how far off the last hits were played)."""
HEADS = ("event", "velocity", "roll", "offset")


SLOW_BELOW_BPM = 110.0
"""The style prior has two tempo groups: below this tempo (slow) and from it (fast)."""
TEMPO_GROUPS = 2
"""How many tempo groups there are (tempo_group's values)."""


def tempo_group(bpm: float) -> int:
    """0 for a slow tempo, 1 for a fast one (SLOW_BELOW_BPM): the style prior's row."""
    return int(bpm >= SLOW_BELOW_BPM)


def tempo_bucket(bpm: float) -> int:
    """Map a tempo (beats per minute) to its bucket 0-9."""
    return int(np.searchsorted(TEMPO_EDGES, bpm, side="right"))


def offset_bucket(offset: np.ndarray) -> np.ndarray:
    """Map offsets (steps, -0.5..0.5) to buckets 0-15."""
    scaled = np.floor((np.asarray(offset, np.float64) + 0.5) * OFFSET_BUCKETS)
    return np.clip(scaled, 0, OFFSET_BUCKETS - 1).astype(np.int64)


def bucket_offset(bucket: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Map buckets back to offsets; `place` (0-1) puts the value inside its bucket."""
    return ((bucket + place) / OFFSET_BUCKETS - 0.5).astype(np.float32)


def velocity_bucket(velocity: np.ndarray) -> np.ndarray:
    """Map velocities 1-127 to buckets 0-7."""
    return np.clip((velocity.astype(np.int64) - 1) // BUCKET_WIDTH, 0, VELOCITY_BUCKETS - 1)


def bucket_velocity(bucket: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Map buckets back to velocities; `offset` (0-15) places the value inside its bucket."""
    return np.minimum(bucket * BUCKET_WIDTH + 1 + offset, 127).astype(np.uint8)


def fill_flags(steps: int, fill_every: int, offset_bars: int = 0) -> np.ndarray:
    """Flag the steps of the last bar of every `fill_every` bars (none when 0)."""
    bars = np.arange(steps) // STEPS_PER_BAR + offset_bars
    if not fill_every:
        return np.zeros(steps, np.int64)
    return ((bars + 1) % fill_every == 0).astype(np.int64)


def knob_bucket(value: float | None) -> int:
    """The model's busy or loud input for a knob value 0-1, or KNOB_UNSET for None."""
    if value is None:
        return KNOB_UNSET
    return int(np.clip(np.rint(value * (KNOB_SETTINGS - 1)), 0, KNOB_SETTINGS - 1))


def tap_tokens(onsets: np.ndarray, offsets: np.ndarray, mode: str) -> np.ndarray:
    """The tap input of each step of some material.

    Args:
        onsets: (steps,) bool, where the material has an onset.
        offsets: (steps,) its timing from the step (-0.5..0.5), where it has one.
        mode: a TAP_MODES name.
    """
    base = 1 + TAP_MODES.index(mode) * (1 + TAP_OFFSETS)
    timing = np.clip(np.floor((np.asarray(offsets) + 0.5) * TAP_OFFSETS), 0, TAP_OFFSETS - 1)
    return np.where(onsets, base + 1 + timing.astype(np.int64), base).astype(np.int64)


def drift_bucket(residual: np.ndarray) -> np.ndarray:
    """Map mean offsets from the cells' means (steps) to drift buckets 0-7."""
    return np.searchsorted(DRIFT_EDGES, residual, side="right").astype(np.int64)


def next_drift(drift: float | None, step_mean: float) -> float:
    """The running drift after a step whose hits sat `step_mean` from their cells' means."""
    if drift is None:
        return step_mean
    return (1 - DRIFT_SMOOTHING) * drift + DRIFT_SMOOTHING * step_mean


def drift_inputs(pattern: Pattern, offset_mean: np.ndarray) -> np.ndarray:
    """The drift input of each step: the bucket of the running drift (next_drift) over the
    steps with hits before it (DRIFT_NONE before the first hit).

    Args:
        pattern: the beat.
        offset_mean: (16, 9) mean offset of each (position, class) cell, steps.
    """
    hits = pattern.onsets
    residual = pattern.offset - offset_mean[np.arange(pattern.steps) % STEPS_PER_BAR]
    count = hits.sum(axis=1)
    mean = np.where(hits, residual, 0).sum(axis=1) / np.maximum(count, 1)
    out = np.full(pattern.steps, DRIFT_NONE, np.int64)
    drift = None
    for t in range(pattern.steps):
        if drift is not None:
            out[t] = drift_bucket(drift)
        if count[t]:
            drift = next_drift(drift, float(mean[t]))
    return out


def model_inputs(event_lags: tuple[str, ...]) -> tuple[str, ...]:
    """The input names of a model with these event lags, the offset head's included."""
    return (*event_lags, *CONTEXT_NAMES, *HIT_INPUTS)


def sequence_inputs(events: np.ndarray, style: int, fill: np.ndarray,
                    tempo: int = 0) -> dict[str, np.ndarray]:
    """Return every input of a whole sequence (teacher forcing), each shaped (steps,), with
    the knobs unset and no material to follow.

    Args:
        events: event numbers of the steps.
        style: style index.
        fill: the fill flag of every step.
        tempo: tempo bucket (tempo_bucket).
    """
    steps = len(events)
    padded = np.concatenate([np.full(MAX_LAG, NO_EVENT), events])
    t = np.arange(steps)
    return {
        **{name: padded[MAX_LAG + t - lag] for name, lag in LAG_STEPS.items()},
        "pos": t % STEPS_PER_BAR,
        "style": np.full(steps, style),
        "fill": fill.astype(np.int64),
        "tempo": np.full(steps, tempo),
        "busy": np.full(steps, KNOB_UNSET),
        "loud": np.full(steps, KNOB_UNSET),
        "tap": np.full(steps, TAP_NONE),
    }


def sequence_targets(pattern: Pattern) -> dict[str, np.ndarray]:
    """Return the targets of a pattern: event (steps,), velocity, roll and offset (steps, 9)."""
    hits = pattern.onsets
    return {
        "event": pattern.events(),
        "velocity": np.where(hits, velocity_bucket(pattern.velocity), IGNORE),
        "roll": np.where(hits, pattern.roll.astype(np.int64) - 1, IGNORE),
        "offset": np.where(hits, offset_bucket(pattern.offset), IGNORE),
    }


def hit_inputs(targets: dict[str, np.ndarray], drift: np.ndarray | None = None
               ) -> dict[str, np.ndarray]:
    """The offset head's inputs from the targets: the event and velocity buckets at t, and
    the drift (drift_inputs; DRIFT_NONE throughout when not given)."""
    steps = len(targets["event"])
    return {"now": np.maximum(targets["event"], 0),
            "now_velocity": np.maximum(targets["velocity"], 0),
            "drift": np.full(steps, DRIFT_NONE, np.int64) if drift is None else drift}
