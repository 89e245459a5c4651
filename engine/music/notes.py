"""Turn a pattern into timed notes: rolls expanded, swing and humanize applied.

The same notes feed the MIDI writer and the renderer, so what you hear is what the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.music.drums import OUTPUT_PITCHES, STEPS_PER_BEAT, TICKS_PER_STEP
from engine.music.pattern import Pattern

NOTE_TICKS = TICKS_PER_STEP // 2
"""Written note length: a 32nd note, so no two hits of one class overlap."""
HUMANIZE_MS = 12.0
"""Timing spread (standard deviation, ms) at humanize=1."""
HUMANIZE_VELOCITY = 10.0
"""Velocity spread (standard deviation) at humanize=1."""
ROLL_FADE = 0.8
"""Velocity factor of each later hit in a roll, which gives rolls their shape."""


@dataclass(frozen=True, order=True)
class Note:
    """One drum hit.

    Attributes:
        tick: start, in ticks at TICKS_PER_BEAT from the start of the beat.
        pitch: MIDI pitch.
        velocity: 1-127.
        duration: length in ticks.
    """

    tick: int
    pitch: int
    velocity: int
    duration: int = NOTE_TICKS


def perform(
    pattern: Pattern,
    bpm: float,
    pitches: tuple[int, ...] = OUTPUT_PITCHES,
    swing: float = 0.0,
    humanize: float = 0.0,
    seed: int = 0,
) -> list[Note]:
    """Play a pattern into notes.

    Args:
        pattern: the grid.
        bpm: tempo, used to turn humanize milliseconds into ticks.
        pitches: output pitch of each class (a kit may override the GM ones).
        swing: off-beat 16ths are late by this % of a 16th step.
        humanize: 0-1; timing and velocity jitter from a generator seeded by `seed`.
        seed: seed of the humanize jitter.

    Returns:
        Notes sorted by time; no tick is negative.
    """
    rng = np.random.default_rng(seed)
    ticks_per_ms = bpm * TICKS_PER_STEP * STEPS_PER_BEAT / 60_000.0
    notes = []
    for step, cls in zip(*np.nonzero(pattern.velocity), strict=True):
        start = step * TICKS_PER_STEP + (swing / 100.0 * TICKS_PER_STEP if step % 2 else 0.0)
        hits = int(pattern.roll[step, cls])
        gap = TICKS_PER_STEP / hits
        velocity = float(pattern.velocity[step, cls])
        for i in range(hits):
            jitter_ticks = rng.normal(0.0, humanize * HUMANIZE_MS) * ticks_per_ms
            jitter_vel = rng.normal(0.0, humanize * HUMANIZE_VELOCITY)
            tick = max(0, round(start + i * gap + jitter_ticks))
            vel = int(np.clip(round(velocity * ROLL_FADE**i + jitter_vel), 1, 127))
            notes.append(Note(tick, pitches[cls], vel, min(NOTE_TICKS, max(1, int(gap) - 1))))
    return sorted(notes)
