"""Recombine the kick, snare and hat parts of different loops into new loops, without leaks.

A loop is split into four parts by drum class (PART_CLASSES). A new loop takes its kick, its
snare and its hats from three different source loops of the same length; the `other` part
(toms, crash, ride) travels with the kick, because crashes and tom fills mark the same downbeats
and phrase ends as the kick does.

Leak guard: recombining training loops can rebuild a validation loop (kick of one, snare of
another, hats of a third), and a training set may already hold a copy of one. `augment_split`
therefore drops every generated loop that shares the onsets of any 2-bar window (bar-aligned,
wrapping around as loops do) with a validation loop, a training loop or an earlier generated
loop. Onsets only: a copy played at other velocities is still a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.dataset import split_of
from engine.data.standardise import MIDI_SUFFIXES
from engine.errors import BadPrimer
from engine.music.drums import (
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    N_CLASSES,
    OPEN_HAT,
    RIDE,
    SNARE,
    STEPS_PER_BAR,
)
from engine.music.midi_io import read_midi, write_midi
from engine.music.notes import perform
from engine.music.pattern import Pattern

PART_CLASSES: dict[str, tuple[int, ...]] = {
    "kick": (KICK,),
    "snare": (SNARE,),
    "hats": (CLOSED_HAT, OPEN_HAT),
    "other": (LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE),
}
"""The parts a loop is split into, by drum class."""
SWAPPED_PARTS = ("kick", "snare", "hats")
"""Parts that each come from a different source loop."""
LEAD_PART = "kick"
"""The part whose source also gives the `other` part and, for files, the tempo."""
WINDOW_BARS = 2
"""Length of the windows compared by the leak guard, in bars."""
TRIES_PER_LOOP = 20
"""Draws allowed per wanted loop before giving up (small pools run out of new combinations)."""
TRAIN, VALIDATION = "train", "validation"
"""Split names, as engine.data.dataset.split_of gives them."""


def split_parts(pattern: Pattern) -> dict[str, Pattern]:
    """Split a loop into its parts (see PART_CLASSES); each keeps the full length.

    Returns:
        Part name -> a pattern holding only that part's classes.
    """
    return {name: _only(pattern, classes) for name, classes in PART_CLASSES.items()}


def merge_parts(parts: dict[str, Pattern]) -> Pattern:
    """Join parts (as from `split_parts`, possibly of different loops) into one loop.

    Args:
        parts: part name -> pattern; each contributes only its own classes. All equally long.
    """
    steps = next(iter(parts.values())).steps
    merged = Pattern.empty(steps)
    for name, part in parts.items():
        columns = list(PART_CLASSES[name])
        merged.velocity[:, columns] = part.velocity[:, columns]
        merged.roll[:, columns] = part.roll[:, columns]
    return merged


def dedupe(loops: list[Pattern]) -> list[Pattern]:
    """Drop every loop whose onsets (length and hit grid, not velocity) equal an earlier one's."""
    return [loops[i] for i in _unique(loops)]


def recombine(loops: list[Pattern], n: int, seed: int) -> list[Pattern]:
    """Make new loops from the kick, snare and hats of different loops of equal length.

    Each part is drawn from a loop where it has hits, so single-part loops mix too. Results
    are distinct from each other and from the inputs (see the module's leak guard).

    Args:
        loops: the sources.
        n: loops wanted; fewer come back when the sources run out of new combinations.
        seed: seed of the draws; equal inputs and seed give equal results.
    """
    return augment_split(loops, [], n, seed)


def augment_split(
    train: list[Pattern], validation: list[Pattern], n: int, seed: int
) -> list[Pattern]:
    """Recombine training loops only, and drop any result that copies a loop it must not.

    Args:
        train: the training loops, the only sources.
        validation: held-out loops; no result shares a 2-bar window's onsets with one.
        n: loops wanted; fewer come back when the sources run out.
        seed: seed of the draws.

    Returns:
        The generated loops only (not `train`), none sharing a 2-bar window with a training,
        validation or other generated loop.
    """
    sources = dedupe(train)
    return [pattern for pattern, _ in _generate(sources, validation, n, seed)]


def augment_folder(src: Path, dst: Path, n: int, seed: int) -> int:
    """Recombine the .mid loops under `src` into new training loops written to `dst`.

    Files are split by engine.data.dataset.split_of of their path relative to `src` (the split
    training uses for folders without info.csv); only training files are
    sources, validation files feed the leak guard. Unreadable and non-4/4 files are skipped.
    Each result is written at its kick source's tempo, under a name that `split_of` files
    under train, so `dst` can join a training set without leaking into validation.

    Returns:
        The number of files written.
    """
    loops = _read_loops(src)
    train = [(p, bpm) for rel, p, bpm in loops if split_of(rel) == TRAIN]
    validation = [p for rel, p, _ in loops if split_of(rel) == VALIDATION]
    unique = [train[i] for i in _unique([p for p, _ in train])]
    made = _generate([p for p, _ in unique], validation, n, seed)
    dst.mkdir(parents=True, exist_ok=True)
    for index, (pattern, lead) in enumerate(made):
        bpm = unique[lead][1]
        midi = write_midi(perform(pattern), bpm, pattern.steps)
        (dst / _train_name(index)).write_bytes(midi)
    return len(made)


@dataclass
class _Pool:
    """Source loops grouped by length, with the loops that have hits in each part."""

    loops: list[Pattern]
    groups: list[dict[str, list[int]]]
    weights: np.ndarray
    """Chance of drawing from each group: its share of the loops."""

    @classmethod
    def of(cls, loops: list[Pattern]) -> _Pool:
        by_steps: dict[int, list[int]] = {}
        for index, loop in enumerate(loops):
            by_steps.setdefault(loop.steps, []).append(index)
        members = [m for _, m in sorted(by_steps.items())]
        groups = [_candidates(loops, m) for m in members]
        usable = [i for i, g in enumerate(groups) if all(g.values())]
        sizes = np.array([len(members[i]) for i in usable], float)
        return cls(loops, [groups[i] for i in usable], sizes / max(sizes.sum(), 1.0))

    def draw(self, rng: np.random.Generator) -> tuple[Pattern, int] | None:
        """Draw one combination: (loop, index of its lead source), or None on a dead end."""
        group = self.groups[rng.choice(len(self.groups), p=self.weights)]
        chosen: dict[str, int] = {}
        for part in SWAPPED_PARTS:
            options = [i for i in group[part] if i not in chosen.values()]
            if not options:
                return None
            chosen[part] = options[rng.integers(len(options))]
        chosen["other"] = chosen[LEAD_PART]
        merged = merge_parts({part: self.loops[i] for part, i in chosen.items()})
        return merged, chosen[LEAD_PART]


def _candidates(loops: list[Pattern], members: list[int]) -> dict[str, list[int]]:
    """For each swapped part, the members that have hits in it."""
    return {
        part: [i for i in members if loops[i].onsets[:, list(PART_CLASSES[part])].any()]
        for part in SWAPPED_PARTS
    }


def _generate(
    sources: list[Pattern], validation: list[Pattern], n: int, seed: int
) -> list[tuple[Pattern, int]]:
    """Draw up to n new loops from `sources` that pass the leak guard."""
    pool = _Pool.of(sources)
    if not pool.groups or n <= 0:
        return []
    rng = np.random.default_rng(seed)
    taken = set().union(*map(_window_keys, [*sources, *validation]))
    made: list[tuple[Pattern, int]] = []
    for _ in range(n * TRIES_PER_LOOP):
        drawn = pool.draw(rng)
        if drawn is None:
            continue
        keys = _window_keys(drawn[0])
        if not keys or keys & taken:
            continue
        taken |= keys
        made.append(drawn)
        if len(made) == n:
            break
    return made


def _window_keys(pattern: Pattern) -> set[bytes]:
    """The onsets of every bar-aligned 2-bar window of a loop, wrapping around; silent ones left
    out. A loop shorter than a window is repeated to fill it."""
    window = WINDOW_BARS * STEPS_PER_BAR
    if pattern.steps == 0:
        return set()
    onsets = pattern.onsets
    looped = np.tile(onsets, (-(-(pattern.steps + window) // pattern.steps), 1))
    starts = range(0, pattern.steps, STEPS_PER_BAR)
    windows = (looped[start : start + window] for start in starts)
    return {np.packbits(w).tobytes() for w in windows if w.any()}


def _unique(loops: list[Pattern]) -> list[int]:
    """Indices of the first loop of each distinct onset grid."""
    seen: set[bytes] = set()
    kept = []
    for index, loop in enumerate(loops):
        key = loop.steps.to_bytes(4, "little") + np.packbits(loop.onsets).tobytes()
        if key not in seen:
            seen.add(key)
            kept.append(index)
    return kept


def _only(pattern: Pattern, classes: tuple[int, ...]) -> Pattern:
    """A copy of the pattern with every class outside `classes` silenced."""
    keep = np.zeros(N_CLASSES, bool)
    keep[list(classes)] = True
    velocity = np.where(keep, pattern.velocity, 0).astype(np.uint8)
    return Pattern(velocity, np.where(keep, pattern.roll, 1).astype(np.uint8))


def _read_loops(src: Path) -> list[tuple[str, Pattern, float]]:
    """(relative path, pattern, bpm) of every readable 4/4 MIDI loop under src, in path order."""
    loops = []
    for path in sorted(p for p in src.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES):
        try:
            beat = read_midi(path)
        except (BadPrimer, OSError):
            continue
        if beat.four_four:
            loops.append((path.relative_to(src).as_posix(), beat.pattern, beat.bpm))
    return loops


def _train_name(index: int) -> str:
    """The file name of the index-th result, salted until `split_of` files it under train."""
    salt = 0
    while True:
        name = f"aug_{index:05d}" + (f"_{salt}" if salt else "") + ".mid"
        if split_of(name) == TRAIN:
            return name
        salt += 1
