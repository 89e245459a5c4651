"""Evaluate a model against real drumming: held-out bits, and statistics of generated beats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from engine.data.dataset import Corpus, Performance
from engine.model.features import INPUT_NAMES
from engine.model.generator import DrumGenerator, GenerationSpec
from engine.model.lstm import DrumLSTM
from engine.music.drums import DRUM_PARTS, N_CLASSES, STEPS_PER_BAR
from engine.music.pattern import Pattern, whole_bars
from engine.training import realism
from engine.training.examples import Example, examples
from engine.training.ngram import best_ngram

BEAT_BARS = 8
WINDOW_BARS = 2
ADHERENCE_MIN_FILES = 20
"""Styles with at least this many training files are scored for style adherence."""
ADHERENCE_BEATS = 50
"""Beats generated per style for style adherence and style recognition."""
RECOGNITION_MIN_WINDOWS = 20
"""A style is scored for recognition when its held-out split has this many 2-bar windows."""
TRAP_TEMPOS = (85.0, 150.0)
"""Trap is checked at a slow tempo (snare on 2 and 4) and a fast one (snare on 3)."""
TRAP_BEATS = 100
BATCH = 50
REDO_SEED_OFFSET = 777_777
"""What RedoPart adds to a beat's seed for the seed of its redo."""


@dataclass(frozen=True)
class EvalPlan:
    """What to evaluate: split to score, beats to generate, seed, and sampling settings
    (prior_weight None keeps the model's own style prior weight)."""

    split: str = "validation"
    beats: int = 1000
    seed: int = 0
    temperature: float = 1.0
    prior_weight: float | None = None


class Scored(Protocol):
    """What evaluate needs of a model: its styles, held-out bits, and a generator."""

    styles: tuple[str, ...]

    def bits_per_step(self, held: list[Example]) -> float:
        """Mean negative log2-probability of the held-out events."""
        ...

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec."""
        ...


class ScoredLSTM:
    """The NumPy LSTM and its sampler, as evaluate scores them."""

    def __init__(self, lstm: DrumLSTM, prior_weight: float | None = None) -> None:
        self.lstm = lstm
        self.styles = lstm.styles
        self.generator = DrumGenerator(lstm, prior_weight=prior_weight)
        self.prior_weight = self.generator.prior_weight

    def bits_per_step(self, held: list[Example]) -> float:
        """Held-out bits of the events (see model_bits_per_step)."""
        return model_bits_per_step(self.lstm, held)

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Sample patterns from the runtime."""
        return self.generator.generate(specs)


def evaluate(model: Scored | DrumLSTM, corpus: Corpus, plan: EvalPlan) -> dict:
    """Run every measure; returns a JSON-able dict (keys listed in the model card)."""
    if isinstance(model, DrumLSTM):
        model = ScoredLSTM(model, plan.prior_weight)
    styles = model.styles
    train = examples(corpus.split("train"), styles)
    held = examples(corpus.split(plan.split), styles)
    order, ngram_scores = best_ngram([e.pattern.events() for e in train],
                                     [e.pattern.events() for e in held])
    real_beats = [p.pattern for p in corpus.split(plan.split) if not p.fill]
    generated = _generate(model, _request_draw(corpus, plan, styles), plan)
    train_windows = _window_set([p.pattern for p in corpus.split("train")])
    result = {
        "model_bits_per_step": model.bits_per_step(held),
        "ngram_bits_per_step": ngram_scores[order],
        "ngram_order": order,
        "ngram_bits_by_order": {str(k): v for k, v in ngram_scores.items()},
        "consistency_real": consistency(real_beats),
        "consistency_generated": consistency(generated),
        "hits_per_bar_real": dict(zip(_class_names(), hits_per_bar(real_beats), strict=True)),
        "hits_per_bar_generated": dict(zip(_class_names(), hits_per_bar(generated),
                                           strict=True)),
        "onset_histogram_distance": histogram_distance(real_beats, generated),
        "copied_2bar_frac": copied_fraction(generated, train_windows),
        "copied_2bar_frac_real": copied_fraction(real_beats, train_windows),
        "empty_bar_frac": empty_bar_fraction(generated),
        "beats": len(generated),
        "split": plan.split,
        "temperature": plan.temperature,
        "style_prior_weight": getattr(model, "prior_weight", None),
    }
    result.update(realism.timing(real_beats, generated))
    real_train = [p.pattern for p in corpus.split("train") if not p.fill]
    result["timing_profile_correlation_real_floor"] = realism.profile_correlation(
        real_beats, real_train)
    result["timing_profile_correlation_weighted_real_floor"] = realism.profile_correlation(
        real_beats, real_train, True)
    result.update(_two_sample(corpus, real_beats, generated, plan))
    by_style = _style_beats(model, corpus, plan)
    result.update(style_adherence(by_style, corpus, plan))
    result.update(_style_recognition(by_style, corpus, plan))
    result.update(trap_tempo(model, plan))
    result["bits_ratio"] = result["model_bits_per_step"] / result["ngram_bits_per_step"]
    result["total_hits_per_bar_real"] = sum(result["hits_per_bar_real"].values())
    result["total_hits_per_bar_generated"] = sum(result["hits_per_bar_generated"].values())
    result["_patterns"] = {"real": real_beats, "generated": generated}
    return result


class RedoPart:
    """A scored model whose beats are its plain beats with one part written new around the
    others (`then=new:PART:SEED`), as the bot's New ... menu makes them."""

    def __init__(self, model: Scored, part: str, seed_offset: int = REDO_SEED_OFFSET) -> None:
        self.model, self.part, self.seed_offset = model, part, seed_offset
        self.styles = model.styles
        self.kept = tuple(c for c in range(N_CLASSES) if c not in DRUM_PARTS[part])

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write each plain beat, then its part again around the rest, with a new seed."""
        plain = self.model.generate(specs)
        return self.model.generate([replace(spec, seed=spec.seed + self.seed_offset, keep=beat,
                                            keep_classes=self.kept)
                                    for spec, beat in zip(specs, plain, strict=True)])


def realness(model: Scored, corpus: Corpus, plan: EvalPlan) -> dict:
    """The realism figures alone: two-sample accuracy against real held-out beats and the
    style classifier's recognition, for beats drawn as `evaluate` draws them."""
    real_beats = [p.pattern for p in corpus.split(plan.split) if not p.fill]
    generated = _generate(model, _request_draw(corpus, plan, model.styles), plan)
    result = _two_sample(corpus, real_beats, generated, plan)
    result.update(_style_recognition(_style_beats(model, corpus, plan), corpus, plan))
    return result


def figures(result: dict) -> dict:
    """The JSON-able figures of a result (without the patterns kept for plots)."""
    return {k: _plain(v) for k, v in result.items() if not k.startswith("_")}


def _two_sample(corpus: Corpus, real: list[Pattern], generated: list[Pattern],
                plan: EvalPlan) -> dict:
    """Classifier two-sample accuracy: generated vs real held-out, and real train vs real
    held-out (the floor: other drummers and sessions are tellable too)."""
    train = [p.pattern for p in corpus.split("train") if not p.fill]
    held = realism.feature_matrix(real)
    return {
        "two_sample_generated": realism.two_sample_accuracy(
            realism.feature_matrix(generated), held, plan.seed),
        "two_sample_real_floor": realism.two_sample_accuracy(
            realism.feature_matrix(train), held, plan.seed),
    }


def _style_recognition(by_style: dict[str, list[Pattern]], corpus: Corpus,
                       plan: EvalPlan) -> dict:
    """Per style, how often a classifier trained on real training beats recognises generated
    beats, and real held-out beats, as that style."""
    def rows(split: str, style: str) -> list[Pattern]:
        return [p.pattern for p in corpus.split(split) if p.style == style and not p.fill]

    held = {s: rows(plan.split, s) for s in by_style}
    held = {s: b for s, b in held.items()
            if len(realism.windows(b)) >= RECOGNITION_MIN_WINDOWS}
    train = {s: realism.feature_matrix(rows("train", s)) for s in by_style}
    tests = {"real": {s: realism.feature_matrix(b) for s, b in held.items()},
             "generated": {s: realism.feature_matrix(by_style[s]) for s in held}}
    scores = realism.style_recognition(train, tests)
    return {"style_recognised_real": scores["real"],
            "style_recognised_generated": scores["generated"]}


def trap_tempo(model: Scored, plan: EvalPlan) -> dict:
    """Share of trap bars with the snare where trap puts it, at 85 and 150 bpm."""
    if "trap" not in model.styles:
        return {}
    out = {}
    for k, bpm in enumerate(TRAP_TEMPOS):
        requests = [("trap", bpm)] * TRAP_BEATS
        beats = _generate(model, requests, plan, 50_000_000 * (k + 1))
        out[f"trap_snare_right_{bpm:g}bpm"] = realism.snare_placement(beats, bpm < 110)
    return out


def model_bits_per_step(lstm: DrumLSTM, held: list) -> float:
    """Mean negative log2-probability of the held-out events, whole sequences from a zero state."""
    longest = max(e.pattern.steps for e in held)
    inputs = {k: np.zeros((len(held), longest), np.int64) for k in INPUT_NAMES}
    targets = np.full((len(held), longest), -1)
    for row, e in enumerate(held):
        seq = e.inputs()
        for k, v in seq.items():
            inputs[k][row, : len(v)] = v
        targets[row, : e.pattern.steps] = e.pattern.events()
    logits = lstm.run(inputs).event
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    mask = targets >= 0
    picked = np.take_along_axis(logp, np.maximum(targets, 0)[..., None], axis=-1)[..., 0]
    return float(-(picked[mask]).mean() / np.log(2))


def _request_draw(corpus: Corpus, plan: EvalPlan, styles) -> list[tuple[str, float]]:
    """Draw a (style, bpm) per beat as the split's beat files have them."""
    files = [(p.style if p.style in styles else "any", p.bpm)
             for p in corpus.split(plan.split) if not p.fill]
    rng = np.random.default_rng(plan.seed)
    return [files[i] for i in rng.integers(0, len(files), plan.beats)]


def _generate(model: Scored, requests: list[tuple[str, float]], plan: EvalPlan,
              seed_base: int = 0) -> list[Pattern]:
    specs = [GenerationSpec(BEAT_BARS * STEPS_PER_BAR, s, plan.temperature,
                            plan.seed * 1_000_003 + seed_base + i, bpm=bpm)
             for i, (s, bpm) in enumerate(requests)]
    out = []
    for start in range(0, len(specs), BATCH):
        out += model.generate(specs[start : start + BATCH])
    return out


def _style_beats(model: Scored, corpus: Corpus, plan: EvalPlan) -> dict[str, list[Pattern]]:
    """ADHERENCE_BEATS generated beats for each style with enough training files, at tempos
    drawn from that style's training files."""
    train = corpus.split("train")
    counts = Counter(p.style for p in train)
    eligible = sorted(s for s in model.styles if counts[s] >= ADHERENCE_MIN_FILES and s != "trap")
    rng = np.random.default_rng(plan.seed)
    out = {}
    for k, style in enumerate(eligible):
        tempos = [p.bpm for p in train if p.style == style]
        requests = [(style, tempos[i]) for i in rng.integers(0, len(tempos), ADHERENCE_BEATS)]
        out[style] = _generate(model, requests, plan, 10_000_000 * (k + 1))
    return out


def bar_grids(pattern: Pattern) -> np.ndarray:
    """Return the onsets of whole bars: (bars, 16, 9) bool."""
    return whole_bars(pattern.onsets)


def consistency(patterns: list[Pattern]) -> float:
    """1 minus the mean Hamming distance (share of the 144 cells) between consecutive bars."""
    distances = [np.mean(g[1:] != g[:-1], axis=(1, 2)) for g in map(bar_grids, patterns)
                 if len(g) > 1]
    return float(1.0 - np.concatenate(distances).mean())


def hits_per_bar(patterns: list[Pattern]) -> np.ndarray:
    """Mean hits per bar of each class."""
    grids = np.concatenate([bar_grids(p) for p in patterns])
    return grids.sum(axis=1).mean(axis=0)


def position_histogram(patterns: list[Pattern]) -> np.ndarray:
    """Onsets per (position, class), normalised to sum to 1."""
    grids = np.concatenate([bar_grids(p) for p in patterns]).sum(axis=0).astype(float)
    return grids / max(grids.sum(), 1.0)


def histogram_distance(real: list[Pattern], generated: list[Pattern]) -> float:
    """Total variation distance between the per-position onset histograms (0 = identical)."""
    return float(0.5 * np.abs(position_histogram(real) - position_histogram(generated)).sum())


def _window_key(grid: np.ndarray) -> bytes:
    return np.packbits(grid.reshape(-1)).tobytes()


def _window_set(patterns: list[Pattern]) -> set[bytes]:
    """Every 2-bar onset window of the training data, at every step offset."""
    size = WINDOW_BARS * STEPS_PER_BAR
    keys = set()
    for p in patterns:
        for start in range(0, p.steps - size + 1):
            keys.add(_window_key(p.onsets[start : start + size]))
    return keys


def copied_fraction(patterns: list[Pattern], train_windows: set[bytes]) -> float:
    """Share of bar-aligned 2-bar windows that appear exactly in the training data."""
    size = WINDOW_BARS * STEPS_PER_BAR
    hits = total = 0
    for p in patterns:
        for start in range(0, p.steps - size + 1, STEPS_PER_BAR):
            total += 1
            hits += _window_key(p.onsets[start : start + size]) in train_windows
    return hits / max(total, 1)


def empty_bar_fraction(patterns: list[Pattern]) -> float:
    """Share of bars with no hit at all."""
    grids = np.concatenate([bar_grids(p) for p in patterns])
    return float((~grids.any(axis=(1, 2))).mean())


def style_features(pattern: Pattern) -> np.ndarray:
    """Per-class density (hits per bar) and the position histogram (hits per bar per cell)."""
    grids = bar_grids(pattern).astype(float)
    return np.concatenate([grids.sum(axis=1).mean(axis=0), grids.mean(axis=0).reshape(-1)])


def _real_windows(performances: list[Performance]) -> list[Pattern]:
    """Cut beats into 8-bar windows (the size of a generated beat)."""
    size = BEAT_BARS * STEPS_PER_BAR
    out = []
    for p in performances:
        starts = range(0, max(1, p.pattern.steps - size + 1), size)
        out += [p.pattern.slice(s, s + size) for s in starts if p.pattern.steps >= STEPS_PER_BAR]
    return out


def style_adherence(by_style: dict[str, list[Pattern]], corpus: Corpus, plan: EvalPlan
                    ) -> dict:
    """Share of beats generated in a style that are nearest to that style's real data.

    Nearness: Euclidean distance, after scaling each feature by its spread over real data,
    between a beat's features and the mean features of each style's real beats (train split).
    `style_adherence_real` scores the held-out split's real beats the same way, for scale.
    """
    train = [p for p in corpus.split("train") if not p.fill]
    eligible = sorted(by_style)
    real = {s: [style_features(w) for w in _real_windows([p for p in train if p.style == s])]
            for s in eligible}
    spread = np.concatenate([np.stack(v) for v in real.values()]).std(axis=0) + 1e-3
    centroids = np.stack([np.mean(real[s], axis=0) / spread for s in eligible])
    def nearest(patterns: list[Pattern]) -> np.ndarray:
        feats = np.stack([style_features(p) for p in patterns]) / spread
        return np.argmin(((feats[:, None] - centroids[None]) ** 2).sum(-1), axis=1)

    per_style, real_hits, real_total = {}, 0, 0
    for k, style in enumerate(eligible):
        per_style[style] = float((nearest(by_style[style]) == k).mean())
        held = _real_windows([p for p in corpus.split(plan.split)
                              if p.style == style and not p.fill])
        if held:
            real_hits += int((nearest(held) == k).sum())
            real_total += len(held)
    return {"style_adherence": float(np.mean(list(per_style.values()))),
            "style_adherence_by_style": per_style,
            "style_adherence_real": real_hits / max(real_total, 1)}


def _class_names() -> list[str]:
    from engine.music.drums import CLASSES

    return list(CLASSES)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value

