"""Turn a pattern into timed notes: rolls expanded, the learned groove and swing applied.

The same notes feed the MIDI writer and the renderer, so what you hear is what the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.music.drums import N_CLASSES, OUTPUT_PITCHES, ROLL_WINDOW, TICKS_PER_STEP
from engine.music.pattern import Pattern

NOTE_TICKS = TICKS_PER_STEP // 2
"""Written note length: a 32nd note, so no two hits of one class overlap."""
HUMANIZE_STRETCH = 1.0
"""At humanize=1 the learned offsets are this much larger (1.0: twice the model's)."""
ROLL_FADE = 0.8
"""Velocity factor of each later hit in a roll, which gives rolls their shape."""
MIN_GAP_TICKS = int(ROLL_WINDOW * TICKS_PER_STEP) + 1
"""Closest two hits of one class may start, so that reading the file back does not fold
the later one into a roll (midi_io); a hit pulled early into that gap is played later."""


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
    pitches: tuple[int, ...] = OUTPUT_PITCHES,
    swing: float = 0.0,
    groove: float = 1.0,
    humanize: float = 0.0,
) -> list[Note]:
    """Play a pattern into notes (in ticks, so they need no tempo: the file's tempo scales them).

    Every hit starts at its step, moved by the pattern's learned timing offset times
    `groove` (never closer than MIN_GAP_TICKS after the previous hit of its class), and
    off-beat 16ths are moved later by `swing` on top. Nothing is random: the same pattern and
    settings give the same notes.

    Args:
        pattern: the grid with its timing offsets.
        pitches: output pitch of each class (a kit may override the GM ones).
        swing: off-beat 16ths are late by this % of a 16th step.
        groove: 0 puts every hit on the grid, 1 plays the offsets as they are.
        humanize: 0-1 loosens the groove: offsets grow by up to HUMANIZE_STRETCH more.

    Returns:
        Notes sorted by time; no tick is negative.
    """
    shift = groove * (1.0 + HUMANIZE_STRETCH * humanize) * TICKS_PER_STEP
    notes = []
    last = [-np.inf] * N_CLASSES
    steps, classes = np.nonzero(pattern.velocity)
    hit = (steps, classes)  # plain Python numbers below: this loop runs once per hit
    cells = zip(steps.tolist(), classes.tolist(), pattern.offset[hit].tolist(),
                pattern.roll[hit].tolist(), pattern.velocity[hit].tolist(), strict=True)
    for step, cls, offset, hits, velocity in cells:
        played = step * TICKS_PER_STEP + offset * shift
        played = last[cls] = max(played, 0.0, last[cls] + MIN_GAP_TICKS)
        start = played + (swing / 100.0 * TICKS_PER_STEP if step % 2 else 0.0)
        gap = TICKS_PER_STEP / hits
        for i in range(hits):
            tick = max(0, round(start + i * gap))
            vel = min(127, max(1, round(velocity * ROLL_FADE**i)))
            notes.append(Note(tick, pitches[cls], vel, min(NOTE_TICKS, max(1, int(gap) - 1))))
    # The key is Note's own order, built once per note rather than at every comparison.
    return sorted(notes, key=lambda n: (n.tick, n.pitch, n.velocity, n.duration))
