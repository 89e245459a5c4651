"""Load drum MIDI folders into labelled patterns: Groove (with info.csv) or any folder."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.errors import BadPrimer
from engine.music.drums import STEPS_PER_BAR
from engine.music.midi_io import read_midi
from engine.music.pattern import Pattern

VALIDATION_SHARE = 10
"""Folders without info.csv: one file in this many (by path hash) goes to validation."""


@dataclass(frozen=True)
class Performance:
    """One MIDI file, quantised and labelled.

    Attributes:
        name: path relative to the data folder.
        pattern: the grid, leading and trailing empty bars trimmed.
        style: primary style (Groove's "jazz/funk" gives "jazz").
        split: train, validation or test.
        fill: True when the file is a fill rather than a beat.
        bpm: tempo.
        group: files recorded together (Groove's drummer/session), for pairing fills.
    """

    name: str
    pattern: Pattern
    style: str
    split: str
    fill: bool
    bpm: float
    group: str = ""


@dataclass
class Corpus:
    """Every usable performance of a folder, with counts of what was skipped and why."""

    performances: list[Performance] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def split(self, name: str) -> list[Performance]:
        """Return the performances of one split."""
        return [p for p in self.performances if p.split == name]


def split_of(relative_path: str) -> str:
    """Assign a file to a split by a stable hash of its relative path."""
    digest = hashlib.sha1(relative_path.encode()).digest()
    return "validation" if digest[0] % VALIDATION_SHARE == 0 else "train"


def load_folder(folder: Path, style: str = "any") -> Corpus:
    """Load a folder: Groove's labels from info.csv, else every .mid split by hash.

    Args:
        folder: the data folder.
        style: the style of every file, for folders without info.csv.
    """
    folder = Path(folder)
    if (folder / "info.csv").exists():
        return _load_groove(folder)
    corpus = Corpus()
    for path in sorted(folder.rglob("*.mid")):
        name = path.relative_to(folder).as_posix()
        _add(corpus, folder, name, style, split_of(name), False, None, "", None)
    _keep_one_for_validation(corpus)
    return corpus


def _keep_one_for_validation(corpus: Corpus) -> None:
    """A small folder may hash no file into validation; then its file with the lowest hash
    goes there (with two files or more), so training can always validate."""
    files = corpus.performances
    if len(files) < 2 or any(p.split == "validation" for p in files):
        return
    index = min(range(len(files)), key=lambda i: hashlib.sha1(files[i].name.encode()).digest())
    files[index] = replace(files[index], split="validation")


def _load_groove(folder: Path) -> Corpus:
    corpus = Corpus()
    with open(folder / "info.csv", newline="") as f:
        for row in csv.DictReader(f):
            style = row["style"].split("/")[0]
            meter = row["time_signature"]
            _add(corpus, folder, row["midi_filename"], style, row["split"],
                 row["beat_type"] == "fill", float(row["bpm"]), row["session"], meter)
    return corpus


def _add(corpus: Corpus, folder: Path, name: str, style: str, split: str, fill: bool,
         bpm: float | None, group: str, meter: str | None) -> None:
    """Read one file into the corpus, or count why it was skipped."""
    if meter is not None and meter != "4-4":
        corpus.skipped[f"meter {meter}"] += 1
        return
    try:
        beat = read_midi(folder / name, max_steps=None)
    except BadPrimer:
        corpus.skipped["unreadable or no drums"] += 1
        return
    if not beat.four_four:
        corpus.skipped["meter not 4/4"] += 1
        return
    pattern = trim(beat.pattern)
    if pattern.steps == 0:
        corpus.skipped["empty"] += 1
        return
    corpus.performances.append(
        Performance(name, pattern, style, split, fill, bpm or beat.bpm, group))


def trim(pattern: Pattern) -> Pattern:
    """Drop leading and trailing empty bars."""
    busy = np.flatnonzero(bar_has_hits(pattern))
    if busy.size == 0:
        return pattern.slice(0, 0)
    return pattern.slice(busy[0] * STEPS_PER_BAR, (busy[-1] + 1) * STEPS_PER_BAR)


def bar_has_hits(pattern: Pattern) -> np.ndarray:
    """Return one flag per bar: True when the bar holds any hit."""
    steps = pattern.bars * STEPS_PER_BAR
    onsets = np.zeros((steps, pattern.onsets.shape[1]), bool)
    onsets[: pattern.steps] = pattern.onsets
    return onsets.reshape(-1, STEPS_PER_BAR * onsets.shape[1]).any(axis=1)
