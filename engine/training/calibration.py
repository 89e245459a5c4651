"""Calibrate the sampler by writing beats: nudge each (style, tempo group, bar position, drum
class) until the served sampler plays there as the training beats do.

The LSTM is calibrated one step at a time on real beats (teacher forcing), but writing on
its own it drifts to sparser grooves: about 14 hits a bar against real drumming's 18, with a
third fewer kicks. The naive-Bayes prior (engine.training.style_prior) brings each style's
accents back but skews the kit towards toms and ride, and neither fixes the accents and
timing of a style. Calibration keeps the prior as its starting point and, per cell, adds
- to the event logits, the log-odds that make the onset rate match the training rate,
- to each hit's velocity and timing offset, the shift that makes their means match,
- to the timing head's logits of each style and tempo group, a sharpness (a factor) that
  makes the offsets' spread around their cells' means match.
It is moment matching in a few damped rounds. Serving only adds what it already looks up.
The targets are the training split's, never the held-out drumming.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.data.dataset import Performance
from engine.model.features import EVENT_HITS, SLOW_BELOW_BPM, TEMPO_GROUPS, tempo_group
from engine.model.generator import DrumGenerator, GenerationSpec
from engine.model.lstm import DrumLSTM
from engine.music.drums import N_CLASSES, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training.style_prior import TEMPO_SHRINK_BARS

ROUNDS = 12
"""Rounds of writing and correcting (the default config's)."""
BEATS = 96
"""Beats written per style and tempo group in each round."""
BARS = 8
"""Bars per calibration beat (the bot's default length)."""
DAMPING = 0.3
"""Share of the onset log-odds error and of the timing error corrected each round: both feed
back, so full steps overshoot. A denser bar makes the next denser (the model looks bars
back), and a hit moved late moves the drift, which moves the next hits late too."""
PSEUDO_BARS = 8.0
"""A cell's written onset rate leans on its target as if with this many bars."""
PSEUDO_HITS = 16.0
"""A cell's mean velocity and offset lean on the wider mean as if with this many hits."""
SHARPEN = 0.5
"""How far a style's onset targets go past its own rates, away from all beats' (in log-odds,
as a share of their difference). Matching a style's rates exactly still leaves its beats a
blend of neighbouring styles; halfway past them, each style is as recognisable as real
drumming of it, and no easier to tell from real."""
FALLBACK_BPM = (SLOW_BELOW_BPM - 20, SLOW_BELOW_BPM + 20)
"""Tempo to write a tempo group at when no training beat is played there."""
LIMIT = 4.0
"""Largest onset correction of one cell, in log-odds."""
OWN_RATE_BARS = 64
"""A style plays each drum as often as it does in its own beats at a tempo group once they
hold this many bars (fewer lean on all beats' rates, as the cells do)."""
SPREAD_STEP = 1.5
"""Power of the spread ratio (written / target) by which the timing sharpness moves each
round: a sharper head narrows the offsets less than in proportion."""
SHARPNESS_RANGE = (0.7, 2.0)
"""Limits of the timing sharpness."""


@dataclass(frozen=True)
class Calibration:
    """What the sampler adds, and how close it came.

    Attributes:
        event_bias: added to the event logits per style, tempo group and position:
            (styles + 1, 2, 16, events); the prior with the onset corrections folded in.
        velocity_shift: added to each hit's velocity, (styles + 1, 2, 16, 9).
        offset_shift: added to each hit's timing offset in steps, (styles + 1, 2, 16, 9).
        offset_sharpness: factor on the timing head's logits, (styles + 1, 2).
        report: hits per bar (target, before, after) and mean absolute errors per cell of
            onset rate, velocity and offset, before and after.
    """

    event_bias: np.ndarray
    velocity_shift: np.ndarray
    offset_shift: np.ndarray
    offset_sharpness: np.ndarray
    report: dict


@dataclass
class _Cells:
    """Per (row, tempo group, position, class): onset rate, mean velocity, mean offset,
    hits, and the mean squared offset."""

    rate: np.ndarray
    velocity: np.ndarray
    offset: np.ndarray
    hits: np.ndarray
    square: np.ndarray

    def spread(self) -> np.ndarray:
        """Standard deviation of the offsets around their cells' means, per row and tempo
        group (..., 2)."""
        within = np.maximum(self.square - self.offset**2, 0)
        hits = self.hits.sum(axis=(-2, -1))
        return np.sqrt((self.hits * within).sum(axis=(-2, -1)) / np.maximum(hits, 1))

    def spread_target(self) -> np.ndarray:
        """spread(), with the row "any" (the last: all beats) standing in for a style and
        tempo group with no hits of its own."""
        spread = self.spread()
        return np.where(self.hits.sum(axis=(-2, -1)) > 0, spread, spread[-1:])

    def errors(self, target: _Cells) -> dict:
        """Mean absolute differences from `target`; the means weighted by hits."""
        weight = self.hits / max(self.hits.sum(), 1)
        return {"rate": float(np.abs(self.rate - target.rate).mean()),
                "velocity": float((weight * np.abs(self.velocity - target.velocity)).sum()),
                "offset": float((weight * np.abs(self.offset - target.offset)).sum()),
                "hits_per_bar": float(self.rate.sum(axis=(2, 3)).mean()),
                "spread": float(np.abs(self.spread() / np.maximum(target.spread_target(), 1e-3)
                                              - 1).mean())}


def calibrate(lstm: DrumLSTM, performances: list[Performance], prior: np.ndarray,
              seed: int = 1, rounds: int = ROUNDS) -> Calibration:
    """Fit the corrections for every style row of `lstm`, on top of `prior`.

    Args:
        lstm: the model (its own tables are put back as they were).
        performances: the training split; fills are left out, as in the prior.
        prior: the naive-Bayes style prior, (styles + 1, 2, 16, events).
        seed: seed of the calibration beats.
        rounds: rounds of writing and correcting.
    """
    beats = [p for p in performances if not p.fill]
    target, tempos = _targets(beats, lstm.styles)
    shape = target.rate.shape
    onset = np.zeros(shape)
    velocity, offset = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    bits = EVENT_HITS[: prior.shape[-1]].astype(np.float64)
    sharpness = np.ones(shape[:2], np.float32)
    saved = lstm.style_prior, lstm.velocity_shift, lstm.offset_shift, lstm.offset_sharpness
    errors = []
    try:
        for round_ in range(rounds + 1):
            lstm.style_prior = (prior + onset @ bits.T).astype(np.float32)
            lstm.velocity_shift, lstm.offset_shift = velocity, offset
            lstm.offset_sharpness = sharpness
            written = _written(lstm, tempos, seed + 1000 * round_)
            errors.append(written.errors(target))
            if round_ == rounds:
                break
            rate = (written.rate * BEATS * BARS + PSEUDO_BARS * target.rate) / (
                BEATS * BARS + PSEUDO_BARS)
            onset = np.clip(onset + DAMPING * (_logit(target.rate) - _logit(rate)),
                            -LIMIT, LIMIT)
            trust = written.hits / (written.hits + PSEUDO_HITS)
            velocity = velocity + (trust * (target.velocity - written.velocity)).astype(np.float32)
            offset = offset + (DAMPING * trust * (target.offset - written.offset)).astype(
                np.float32)
            ratio = written.spread() / np.maximum(target.spread_target(), 1e-3)
            sharpness = np.clip(sharpness * ratio**SPREAD_STEP, *SHARPNESS_RANGE).astype(
                np.float32)
    finally:
        (lstm.style_prior, lstm.velocity_shift, lstm.offset_shift,
         lstm.offset_sharpness) = saved
    report = {"target_hits_per_bar": round(float(target.rate.sum(axis=(2, 3)).mean()), 3),
              "rounds": rounds,
              "before": {k: round(v, 4) for k, v in errors[0].items()},
              "after": {k: round(v, 4) for k, v in errors[-1].items()}}
    return Calibration((prior + onset @ bits.T).astype(np.float32), velocity, offset,
                       sharpness, report)


def _targets(beats: list[Performance], styles: tuple[str, ...]
             ) -> tuple[_Cells, list[list[list[float]]]]:
    """The cells to match, and the tempos to write each style row and tempo group at.

    A style's cells at a tempo group lean on all beats' cells there; those lean on all
    tempos. The last row, "any", is all beats. A style never played at a tempo group
    borrows that group's tempos (FALLBACK_BPM when no beat is).
    """
    everything = _cell_sums([p.pattern for p in beats])
    overall = [_cell_sums([p.pattern for p in beats if tempo_group(p.bpm) == g], everything)
               for g in range(TEMPO_GROUPS)]
    group_tempos = [[p.bpm for p in beats if tempo_group(p.bpm) == g] or [fallback]
                    for g, fallback in enumerate(FALLBACK_BPM)]
    rows, tempos = [], []
    for style in styles:
        own = [p for p in beats if p.style == style]
        cells = [_cell_sums([p.pattern for p in own if tempo_group(p.bpm) == g], overall[g])
                 for g in range(TEMPO_GROUPS)]
        for g, (mine, everyone) in enumerate(zip(cells, overall, strict=True)):
            mine.rate = _sharpened(mine.rate, everyone.rate, _class_rates(
                [p.pattern for p in own if tempo_group(p.bpm) == g], mine.rate))
        rows.append(cells)
        tempos.append([[p.bpm for p in own if tempo_group(p.bpm) == g] or group_tempos[g]
                       for g in range(TEMPO_GROUPS)])
    rows.append(overall)
    tempos.append(group_tempos)
    return _stack(rows), tempos


def _class_rates(patterns: list[Pattern], leaning: np.ndarray) -> np.ndarray:
    """Hits per bar of each class in the patterns, as played (not leaning on other styles)
    when they hold OWN_RATE_BARS bars, else the leaning cells' (16, 9) sums."""
    hits, _, _, _, bars = _sums(patterns)
    return hits.sum(axis=0) / bars if bars >= OWN_RATE_BARS else leaning.sum(axis=0)


def _sharpened(rate: np.ndarray, everyone: np.ndarray, per_class: np.ndarray) -> np.ndarray:
    """A style's onset rates (16, 9) pushed SHARPEN past its own, away from all beats', in
    log-odds, then scaled per class to `per_class`, the style's own hits per bar: the push
    moves where a drum plays, not how much. (Pushed alone, a rare drum's cells gain more
    than they lose: crash and open hat came out at 1.6 and 1.3 times their training rates.)"""
    pushed = _expit(_logit(rate) + SHARPEN * (_logit(rate) - _logit(everyone)))
    scale = per_class / np.maximum(pushed.sum(axis=0), 1e-9)
    return np.clip(pushed * scale, 1e-4, 1 - 1e-4)


def _cell_sums(patterns: list[Pattern], toward: _Cells | None = None) -> _Cells:
    """Cells of whole bars of `patterns`, each leaning on `toward` (bars for the onset
    rate, hits for the means); without `toward`, on a flat 0.1 and its class's means."""
    hits, vel, off, square, bars = _sums(patterns)
    if toward is None:
        total = np.maximum(hits.sum(axis=0), 1)
        toward = _Cells(np.full(hits.shape, 0.1), np.broadcast_to(vel.sum(0) / total, hits.shape),
                        np.broadcast_to(off.sum(0) / total, hits.shape), hits,
                        np.broadcast_to(square.sum(0) / total, hits.shape))
    return _Cells(
        rate=(hits + TEMPO_SHRINK_BARS * toward.rate) / (bars + TEMPO_SHRINK_BARS),
        velocity=(vel + PSEUDO_HITS * toward.velocity) / (hits + PSEUDO_HITS),
        offset=(off + PSEUDO_HITS * toward.offset) / (hits + PSEUDO_HITS),
        hits=hits,
        square=(square + PSEUDO_HITS * toward.square) / (hits + PSEUDO_HITS))


def _sums(patterns: list[Pattern]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Hits, velocity sum, offset sum and squared offset sum per (position, class) over
    whole bars, and bars."""
    shape = (STEPS_PER_BAR, N_CLASSES)
    hits, vel, off, square = (np.zeros(shape) for _ in range(4))
    bars = 0
    for p in patterns:
        steps = p.steps // STEPS_PER_BAR * STEPS_PER_BAR
        on = p.onsets[:steps].reshape(-1, *shape)
        hits += on.sum(axis=0)
        vel += np.where(on, p.velocity[:steps].reshape(-1, *shape), 0).sum(axis=0)
        offsets = np.where(on, p.offset[:steps].reshape(-1, *shape), 0)
        off += offsets.sum(axis=0)
        square += (offsets**2).sum(axis=0)
        bars += len(on)
    return hits, vel, off, square, bars


def _stack(rows: list[list[_Cells]]) -> _Cells:
    return _Cells(*(np.array([[getattr(c, name) for c in row] for row in rows])
                    for name in ("rate", "velocity", "offset", "hits", "square")))


def _written(lstm: DrumLSTM, tempos: list[list[list[float]]], seed: int) -> _Cells:
    """Cells of beats written for every style row and tempo group, as written (cells
    without hits have means 0; their corrections wait for hits)."""
    generator = DrumGenerator(lstm, prior_weight=1.0)
    names = (*lstm.styles, "any")
    rng = np.random.default_rng(seed)
    rows = []
    for row, style in enumerate(names):
        cells = []
        for group in (0, 1):
            specs = [GenerationSpec(BARS * STEPS_PER_BAR, style, 1.0,
                                    seed * 7919 + row * 1_000 + group * 500 + i, bpm=float(bpm))
                     for i, bpm in enumerate(rng.choice(tempos[row][group], BEATS))]
            hits, vel, off, square, bars = _sums(generator.generate(specs))
            some = np.maximum(hits, 1)
            cells.append(_Cells(hits / bars, vel / some, off / some, hits, square / some))
        rows.append(cells)
    return _stack(rows)


def _expit(logit: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-logit))


def _logit(rate: np.ndarray) -> np.ndarray:
    clipped = np.clip(rate, 1e-4, 1 - 1e-4)
    return np.log(clipped / (1 - clipped))
