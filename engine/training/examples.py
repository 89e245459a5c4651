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
    KNOB_QUANTILES,
    KNOB_UNSET,
    drift_inputs,
    hit_inputs,
    sequence_inputs,
    sequence_targets,
    tap_tokens,
    tempo_bucket,
)
from engine.music.drums import ANY_STYLE, KICK, N_CLASSES, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern

MIN_STYLE_FILES = 10
"""A Groove style needs this many training files to be offered; rarer ones train as "any"."""
FILL_CONTEXT_BARS = 4
"""A fill is trained at the end of this many bars, led in by a beat of its session."""
OFFSET_PSEUDO_HITS = 16.0
"""A style's mean offset of a cell leans on all beats' as if with this many hits."""
CONDITIONED = ("busy_set", "loud_set", "tap_all", "tap_kick_snare")
"""What windows() adds for the knobs and taps: each window's busy and loud buckets, and its
tap input as every onset or as the kick and snare alone (fitting.Batches picks per row)."""


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
    counts = Counter(p.style for p in corpus.performances if p.split in ("train", "tune"))
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


@dataclass(frozen=True)
class Conditioning:
    """What the knob and timing inputs are measured against, fitted on the training windows.

    Attributes:
        busy_edges: (styles + 1, 4) hits per bar at the edges of the busy buckets, per style
            (the last row, "any", over all windows).
        loud_edges: (styles + 1, 4) mean velocity at the edges of the loud buckets.
        offset_mean: (styles + 1, 16, 9) mean offset of each (position, class) cell of
            each style, steps (the last row all beats'): the drift input measures hits
            against their style's, so a style's own feel (a swing, a laid-back snare) is
            not taken for a drift.
    """

    busy_edges: np.ndarray
    loud_edges: np.ndarray
    offset_mean: np.ndarray

    def meta(self) -> dict:
        """The edges as JSON-able lists, for the model file's metadata."""
        return {"busy_edges": np.round(self.busy_edges, 2).tolist(),
                "loud_edges": np.round(self.loud_edges, 1).tolist()}


def window_levels(pattern: Pattern) -> tuple[float, float]:
    """Hits per bar and mean velocity of a window (NaN velocity when it has no hit)."""
    hits = pattern.onsets
    density = hits.sum() * STEPS_PER_BAR / max(pattern.steps, 1)
    loudness = float(pattern.velocity[hits].mean()) if hits.any() else float("nan")
    return float(density), loudness


def fit_conditioning(items: list[Example], n_styles: int, window: int, stride: int
                     ) -> Conditioning:
    """Fit the knob buckets (KNOB_QUANTILES of each style's windows) and the mean offsets."""
    levels: list[list[tuple[float, float]]] = [[] for _ in range(n_styles + 1)]
    for item in items:
        for start in _starts(item.pattern.steps, window, stride):
            levels[item.style].append(window_levels(item.pattern.slice(start, start + window)))
    everything = np.array([lv for row in levels for lv in row])
    edges = []
    for row in levels:
        values = np.array(row) if len(row) >= 20 else everything
        edges.append([np.nanquantile(values[:, k], KNOB_QUANTILES) for k in (0, 1)])
    edges = np.array(edges)
    return Conditioning(edges[:, 0], edges[:, 1], _offset_means(items, n_styles))


def _offset_means(items: list[Example], n_styles: int) -> np.ndarray:
    """Mean offset of each (position, class) cell per style, (styles + 1, 16, 9); a style's
    cells lean on all beats' as if with OFFSET_PSEUDO_HITS hits, and the last row is all
    beats'."""
    total = np.zeros((n_styles + 1, STEPS_PER_BAR, N_CLASSES))
    count = np.zeros((n_styles + 1, STEPS_PER_BAR, N_CLASSES))
    for item in items:
        p = item.pattern
        pos = np.arange(p.steps) % STEPS_PER_BAR
        np.add.at(total[item.style], pos, np.where(p.onsets, p.offset, 0))
        np.add.at(count[item.style], pos, p.onsets)
    overall = total.sum(axis=0) / np.maximum(count.sum(axis=0), 1)
    means = (total + OFFSET_PSEUDO_HITS * overall) / (count + OFFSET_PSEUDO_HITS)
    means[-1] = overall
    return means.astype(np.float32)


def material_taps(pattern: Pattern, classes: tuple[int, ...] | None, mode: str) -> np.ndarray:
    """The tap input a beat's own onsets make (Tap2Drum): at each step with a hit of
    `classes` (None: any class), a tap at the hits' mean offset."""
    hits = pattern.onsets if classes is None else pattern.onsets[:, list(classes)]
    offsets = pattern.offset if classes is None else pattern.offset[:, list(classes)]
    count = hits.sum(axis=1)
    mean = np.where(hits, offsets, 0).sum(axis=1) / np.maximum(count, 1)
    return tap_tokens(count > 0, mean, mode)


def windows(items: list[Example], window: int, stride: int,
            conditioning: Conditioning | None = None) -> dict[str, np.ndarray]:
    """Cut examples into windows of `window` steps (padded at the end, targets ignored there).

    With `conditioning`, each window also gets its busy and loud buckets, its taps (every
    onset, and kick and snare alone: CONDITIONED) and the drift input of every step.

    Returns:
        Arrays shaped (n, window) for each input, `now` and `event`, (n, window, 9) for
        `now_velocity`, `velocity`, `roll` and `offset`.
    """
    parts: dict[str, list[np.ndarray]] = {}
    for item in items:
        targets = sequence_targets(item.pattern)
        drift = None if conditioning is None else drift_inputs(
            item.pattern, conditioning.offset_mean[item.style])
        arrays = {**item.inputs(), **hit_inputs(targets, drift), **targets}
        if conditioning is not None:
            arrays["tap_all"] = material_taps(item.pattern, None, "all")
            arrays["tap_kick_snare"] = material_taps(item.pattern, (KICK, SNARE), "kick_snare")
        for start in _starts(item.pattern.steps, window, stride):
            for key, value in arrays.items():
                parts.setdefault(key, []).append(_cut(key, value, start, window))
            if conditioning is not None:
                busy, loud = _buckets(item, start, window, conditioning)
                parts.setdefault("busy_set", []).append(np.full(window, busy))
                parts.setdefault("loud_set", []).append(np.full(window, loud))
    return {key: np.stack(value) for key, value in parts.items()}


def _buckets(item: Example, start: int, window: int, conditioning: Conditioning
             ) -> tuple[int, int]:
    """The busy and loud buckets of one window against its style's edges."""
    density, loudness = window_levels(item.pattern.slice(start, start + window))
    busy = int(np.searchsorted(conditioning.busy_edges[item.style], density, side="right"))
    if np.isnan(loudness):
        return busy, KNOB_UNSET
    return busy, int(np.searchsorted(conditioning.loud_edges[item.style], loudness,
                                     side="right"))


def _starts(steps: int, window: int, stride: int) -> list[int]:
    starts = list(range(0, max(1, steps - window + 1), stride))
    if steps > window and starts[-1] != steps - window:
        starts.append(steps - window)
    return starts


def _cut(key: str, value: np.ndarray, start: int, window: int) -> np.ndarray:
    piece = value[start : start + window]
    if len(piece) == window:
        return piece
    fill = 0 if key in (*INPUT_NAMES, *HIT_INPUTS, *CONDITIONED) else IGNORE
    pad = np.full((window - len(piece), *piece.shape[1:]), fill, piece.dtype)
    return np.concatenate([piece, pad])
