"""Drum classes, the pitch map and the 16th-note grid: the musical constants in one place."""

from __future__ import annotations

STEPS_PER_BEAT = 4
"""16th-note steps in one quarter-note beat."""
BEATS_PER_BAR = 4
"""Only 4/4 is supported."""
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR
TICKS_PER_BEAT = 480
"""MIDI resolution of the files we write (ticks per quarter note)."""
TICKS_PER_STEP = TICKS_PER_BEAT // STEPS_PER_BEAT
DRUM_CHANNEL = 9
"""General MIDI channel 10, counted from zero as mido does."""

CLASSES = (
    "kick",
    "snare",
    "closed_hat",
    "open_hat",
    "low_tom",
    "mid_tom",
    "high_tom",
    "crash",
    "ride",
)
"""The 9 drum classes of DrumsRNN and GrooVAE, in their order."""
N_CLASSES = len(CLASSES)
N_EVENTS = 2**N_CLASSES
"""Distinct drum events per step: every subset of the classes (512)."""

KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE = range(N_CLASSES)

CLASS_PITCHES: dict[int, tuple[int, ...]] = {
    KICK: (35, 36),
    SNARE: (27, 28, 31, 32, 33, 34, 37, 38, 39, 40, 56, 65, 66, 75, 85),
    CLOSED_HAT: (22, 42, 44, 54, 68, 69, 70, 71, 73, 78, 80),
    OPEN_HAT: (26, 46, 67, 72, 74, 79, 81),
    LOW_TOM: (29, 41, 43, 45, 58, 61, 64, 84),
    MID_TOM: (47, 48, 60, 63, 77, 86, 87),
    HIGH_TOM: (30, 50, 62, 76, 83),
    CRASH: (49, 52, 55, 57),
    RIDE: (51, 53, 59, 82),
}
"""Input pitches of each class: all of GM percussion (35-81), the Roland TD-11 extras Groove
uses (22 and 26 are hat edges, 58 is the floor-tom rim) and a few GM2 sounds."""

DRUM_PARTS: dict[str, tuple[int, ...]] = {
    "kick": (KICK,),
    "snare": (SNARE,),
    "hats": (CLOSED_HAT, OPEN_HAT),
    "toms": (LOW_TOM, MID_TOM, HIGH_TOM),
    "cymbals": (CRASH, RIDE),
}
"""The parts a user may keep, redo or mute, and the drum classes each one is (every class is
in exactly one part)."""

PITCH_TO_CLASS: dict[int, int] = {p: c for c, ps in CLASS_PITCHES.items() for p in ps}

OUTPUT_PITCHES: tuple[int, ...] = (36, 38, 42, 46, 45, 48, 50, 49, 51)
"""The GM pitch each class is written as, unless a kit overrides it."""

ROLL_WINDOW = 0.8
"""Hits of one class closer than this many steps after a hit are read as its roll, so a
performance keeps the hits of one class at least this far apart."""

DEFAULT_BPM = 90.0
DEFAULT_BARS = 8
ANY_STYLE = "any"
"""The style that asks for no style in particular; every model knows it."""


def class_of(pitch: int) -> int | None:
    """Return the drum class of a MIDI pitch, or None for a pitch we do not play."""
    return PITCH_TO_CLASS.get(pitch)


def part_classes(parts: tuple[str, ...] | list[str]) -> tuple[int, ...]:
    """The drum classes of some parts (names from DRUM_PARTS), in class order."""
    return tuple(sorted({cls for part in parts for cls in DRUM_PARTS[part]}))
