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
CONTEXT_NAMES = ("pos", "style", "fill", "tempo")
INPUT_NAMES = (*LAG_STEPS, *CONTEXT_NAMES)
"""Every input sequence_inputs gives; a model takes its event lags and the context."""
HIT_INPUTS = ("now", "now_velocity")
"""Inputs of the offset head only: the event at t and the velocity bucket of each class."""
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


def model_inputs(event_lags: tuple[str, ...]) -> tuple[str, ...]:
    """The input names of a model with these event lags, the offset head's included."""
    return (*event_lags, *CONTEXT_NAMES, *HIT_INPUTS)


def sequence_inputs(events: np.ndarray, style: int, fill: np.ndarray,
                    tempo: int = 0) -> dict[str, np.ndarray]:
    """Return every input of a whole sequence (teacher forcing), each shaped (steps,).

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


def hit_inputs(targets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The offset head's inputs from the targets: the event and velocity buckets at t."""
    return {"now": np.maximum(targets["event"], 0),
            "now_velocity": np.maximum(targets["velocity"], 0)}
