"""What the LSTM sees at each step and what it predicts, shared by training and the runtime.

Inputs at step t: the event at t-1, the events one and two bars back (DrumsRNN's lookback),
the position of t in the bar, the style, and whether bar(t) is a fill. Outputs: the event at t,
plus the velocity bucket and roll of every class that hits at t.
"""

from __future__ import annotations

import numpy as np

from engine.music.drums import N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern

NO_EVENT = N_EVENTS
"""Input token for "before the start" (index 512 of the event embedding)."""
LOOKBACK_BARS = (1, 2)
VELOCITY_BUCKETS = 8
BUCKET_WIDTH = 128 // VELOCITY_BUCKETS
N_ROLLS = 4
IGNORE = -1
"""Target label that the loss skips (no hit, or padding)."""
INPUT_NAMES = ("prev", "back1", "back2", "pos", "style", "fill")


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


def step_inputs(events: np.ndarray, t: int) -> tuple[int, int, int]:
    """Return (prev, back1, back2) for step t of a sequence of events."""
    def at(i: int) -> int:
        return int(events[i]) if i >= 0 else NO_EVENT
    return at(t - 1), at(t - STEPS_PER_BAR), at(t - 2 * STEPS_PER_BAR)


def sequence_inputs(events: np.ndarray, style: int, fill: np.ndarray) -> dict[str, np.ndarray]:
    """Return every input of a whole sequence (teacher forcing), each shaped (steps,)."""
    steps = len(events)
    padded = np.concatenate([np.full(2 * STEPS_PER_BAR, NO_EVENT), events])
    base = 2 * STEPS_PER_BAR
    t = np.arange(steps)
    return {
        "prev": padded[base + t - 1],
        "back1": padded[base + t - STEPS_PER_BAR],
        "back2": padded[base + t - 2 * STEPS_PER_BAR],
        "pos": t % STEPS_PER_BAR,
        "style": np.full(steps, style),
        "fill": fill.astype(np.int64),
    }


def sequence_targets(pattern: Pattern) -> dict[str, np.ndarray]:
    """Return the targets of a pattern: event (steps,), velocity and roll (steps, 9)."""
    hits = pattern.onsets
    return {
        "event": pattern.events(),
        "velocity": np.where(hits, velocity_bucket(pattern.velocity), IGNORE),
        "roll": np.where(hits, pattern.roll.astype(np.int64) - 1, IGNORE),
    }
