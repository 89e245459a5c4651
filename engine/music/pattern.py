"""A beat on the 16th-note grid: velocity and roll per step and drum class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.music.drums import N_CLASSES, STEPS_PER_BAR


@dataclass(frozen=True, eq=False)
class Pattern:
    """A drum pattern.

    Attributes:
        velocity: (steps, 9) uint8 MIDI velocity per step and class; 0 means no hit.
        roll: (steps, 9) uint8 hits within the step (1 plain, 2 32nds, 3 32nd triplets,
            4 64ths); only meaningful where velocity > 0.
        offset: (steps, 9) float32 timing of each hit from its step, in steps (about -0.5
            early to +0.5 late; 0 is on the grid); zeros when not given.
    """

    velocity: np.ndarray
    roll: np.ndarray
    offset: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.velocity.shape != self.roll.shape or self.velocity.shape[1:] != (N_CLASSES,):
            raise ValueError(f"bad pattern shapes {self.velocity.shape} {self.roll.shape}")
        if self.offset is None:
            object.__setattr__(self, "offset", np.zeros(self.velocity.shape, np.float32))
        elif self.offset.shape != self.velocity.shape:
            raise ValueError(f"bad offset shape {self.offset.shape}")

    @classmethod
    def empty(cls, steps: int) -> Pattern:
        """Return a silent pattern of `steps` 16th steps."""
        shape = (steps, N_CLASSES)
        return cls(np.zeros(shape, np.uint8), np.ones(shape, np.uint8),
                   np.zeros(shape, np.float32))

    @property
    def steps(self) -> int:
        """Length in 16th-note steps."""
        return self.velocity.shape[0]

    @property
    def bars(self) -> int:
        """Whole 4/4 bars covered (a partial last bar counts)."""
        return -(-self.steps // STEPS_PER_BAR)

    @property
    def onsets(self) -> np.ndarray:
        """(steps, 9) bool: where a class hits."""
        return self.velocity > 0

    def events(self) -> np.ndarray:
        """Return the event number (0-511, bit i = class i) of every step."""
        return (self.onsets.astype(np.int64) << np.arange(N_CLASSES)).sum(axis=1)

    def slice(self, start: int, stop: int) -> Pattern:
        """Return steps [start, stop) as a new pattern."""
        return Pattern(self.velocity[start:stop].copy(), self.roll[start:stop].copy(),
                       self.offset[start:stop].copy())

    def concat(self, other: Pattern) -> Pattern:
        """Return this pattern followed by `other`."""
        return Pattern(
            np.concatenate([self.velocity, other.velocity]),
            np.concatenate([self.roll, other.roll]),
            np.concatenate([self.offset, other.offset]),
        )

    def on_grid(self) -> Pattern:
        """Return a copy with every offset zero (what the picture and the grid show)."""
        return Pattern(self.velocity.copy(), self.roll.copy())

    def only(self, classes: tuple[int, ...] | list[int]) -> Pattern:
        """Return a copy in which only these drum classes play (the others silent, as an
        empty pattern holds them: velocity 0, roll 1, offset 0)."""
        playing = np.zeros(N_CLASSES, bool)
        playing[list(classes)] = True
        return Pattern(np.where(playing, self.velocity, 0).astype(np.uint8),
                       np.where(playing, self.roll, 1).astype(np.uint8),
                       np.where(playing, self.offset, 0).astype(np.float32))

    def without(self, classes: tuple[int, ...] | list[int]) -> Pattern:
        """Return a copy with these drum classes silent (muted)."""
        muted = set(classes)
        return self.only([c for c in range(N_CLASSES) if c not in muted])

    def playing(self) -> tuple[int, ...]:
        """The drum classes that hit at least once, in class order."""
        return tuple(int(c) for c in np.flatnonzero(self.onsets.any(axis=0)))

    def __eq__(self, other: object) -> bool:
        """Equal hits, velocities and rolls (offsets are timing, not the grid)."""
        if not isinstance(other, Pattern):
            return NotImplemented
        same_hits = np.array_equal(self.velocity, other.velocity)
        rolls = np.where(self.onsets, self.roll, 1), np.where(other.onsets, other.roll, 1)
        return same_hits and np.array_equal(*rolls)

    __hash__ = None  # mutable arrays inside


@dataclass(frozen=True, eq=False)
class Rhythm:
    """Material a beat follows (any instrument's notes on the grid): where its onsets are
    and their timing.

    Attributes:
        onsets: (steps,) bool, a step with at least one note starting on it.
        offsets: (steps,) float32, how far the step's first note sits from the step (about
            -0.5 early to 0.5 late), 0 where it has none.
    """

    onsets: np.ndarray
    offsets: np.ndarray

    @property
    def steps(self) -> int:
        """Length in 16th steps."""
        return len(self.onsets)

    @property
    def bars(self) -> int:
        """Whole 4/4 bars covered (a partial last bar counts)."""
        return -(-self.steps // STEPS_PER_BAR)


def whole_bars(steps: np.ndarray) -> np.ndarray:
    """The whole bars of an array over steps (a partial last bar left out), one bar a row:
    (steps, ...) -> (bars, STEPS_PER_BAR, ...)."""
    bars = len(steps) // STEPS_PER_BAR
    return steps[: bars * STEPS_PER_BAR].reshape(bars, STEPS_PER_BAR, *steps.shape[1:])
