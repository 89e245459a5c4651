"""Turn a corpus into fixed-length training windows for the drum LSTM."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from engine.data.dataset import Corpus, Performance
from engine.model.features import (
    HIT_INPUTS,
    IGNORE,
    INPUT_NAMES,
    hit_inputs,
    sequence_inputs,
    sequence_targets,
    tempo_bucket,
)
from engine.music.drums import ANY_STYLE, STEPS_PER_BAR
from engine.music.pattern import Pattern

MIN_STYLE_FILES = 10
"""A Groove style needs this many training files to be offered; rarer ones train as "any"."""
FILL_CONTEXT_BARS = 4
"""A fill is trained at the end of this many bars, led in by a beat of its session."""


@dataclass(frozen=True)
class Example:
    """One training sequence: a pattern, its style index, the fill flag of each step and
    its tempo bucket."""

    pattern: Pattern
    style: int
    fill: np.ndarray
    tempo: int = 0

    def inputs(self) -> dict[str, np.ndarray]:
        """The model's inputs for the whole sequence (teacher forcing), each (steps,)."""
        return sequence_inputs(self.pattern.events(), self.style, self.fill, self.tempo)


def style_vocabulary(corpus: Corpus, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Return the styles with enough training files, then `extra`; "any" is implied last."""
    counts = Counter(p.style for p in corpus.split("train"))
    common = sorted(s for s, n in counts.items() if n >= MIN_STYLE_FILES and s != ANY_STYLE)
    return tuple(common) + tuple(s for s in extra if s not in common)


def style_index(styles: tuple[str, ...], style: str) -> int:
    """Index of a style in the embedding; unknown styles and "any" share the last slot."""
    return styles.index(style) if style in styles else len(styles)


def examples(performances: list[Performance], styles: tuple[str, ...]) -> list[Example]:
    """Make one example per performance; fills are led in by a beat from the same session."""
    beats_by_group: dict[tuple[str, str], list[Performance]] = {}
    for p in performances:
        if not p.fill:
            beats_by_group.setdefault((p.group, p.style), []).append(p)
    out = []
    for p in performances:
        style, tempo = style_index(styles, p.style), tempo_bucket(p.bpm)
        if not p.fill:
            out.append(Example(p.pattern, style, np.zeros(p.pattern.steps, np.int64), tempo))
            continue
        lead = _lead_in(beats_by_group.get((p.group, p.style), []), p)
        fill = np.concatenate([np.zeros(lead.steps, np.int64), np.ones(p.pattern.steps, np.int64)])
        out.append(Example(lead.concat(p.pattern), style, fill, tempo))
    return out


def _lead_in(beats: list[Performance], fill: Performance) -> Pattern:
    """Return the bars before a fill: the end of a beat of its session, or nothing."""
    bars = max(0, FILL_CONTEXT_BARS - fill.pattern.bars)
    if not beats or not bars:
        return Pattern.empty(0)
    beat = min(beats, key=lambda b: (abs(b.bpm - fill.bpm), b.name)).pattern
    start = max(0, beat.steps - bars * STEPS_PER_BAR)
    return beat.slice(start, beat.steps)


def windows(items: list[Example], window: int, stride: int) -> dict[str, np.ndarray]:
    """Cut examples into windows of `window` steps (padded at the end, targets ignored there).

    Returns:
        Arrays shaped (n, window) for each input, `now` and `event`, (n, window, 9) for
        `now_velocity`, `velocity`, `roll` and `offset`.
    """
    parts: dict[str, list[np.ndarray]] = {}
    for item in items:
        targets = sequence_targets(item.pattern)
        arrays = {**item.inputs(), **hit_inputs(targets), **targets}
        for start in _starts(item.pattern.steps, window, stride):
            for key, value in arrays.items():
                parts.setdefault(key, []).append(_cut(key, value, start, window))
    return {key: np.stack(value) for key, value in parts.items()}


def _starts(steps: int, window: int, stride: int) -> list[int]:
    starts = list(range(0, max(1, steps - window + 1), stride))
    if steps > window and starts[-1] != steps - window:
        starts.append(steps - window)
    return starts


def _cut(key: str, value: np.ndarray, start: int, window: int) -> np.ndarray:
    piece = value[start : start + window]
    if len(piece) == window:
        return piece
    fill = 0 if key in (*INPUT_NAMES, *HIT_INPUTS) else IGNORE
    pad = np.full((window - len(piece), *piece.shape[1:]), fill, piece.dtype)
    return np.concatenate([piece, pad])
