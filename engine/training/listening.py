"""How well the model listens: the busy and loud knobs, following material (Tap2Drum), the
timing's drift, realism by class, and style recognition on a second classifier family.

Every measure writes beats with the served sampler (engine.model.generator) and compares
them with real beats of the split asked for; nothing here is used to fit or tune the model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from engine.data.dataset import Corpus, Performance
from engine.model.features import tempo_group
from engine.model.generator import DrumGenerator, GenerationSpec
from engine.music.drums import CLASSES, CLOSED_HAT, KICK, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern, Rhythm
from engine.training import realism

KNOB_SETTINGS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""The knob values the curves are measured at."""
BARS = 8
STEPS = BARS * STEPS_PER_BAR
BATCH = 50
AUTOCORR_CLASSES = {"hats": (CLOSED_HAT,), "snare": (SNARE,)}
"""Classes whose offsets' lag-1 autocorrelation is measured (closed hat, snare)."""


def write(generator: DrumGenerator, specs: list[GenerationSpec]) -> list[Pattern]:
    """Generate in batches of BATCH."""
    out: list[Pattern] = []
    for start in range(0, len(specs), BATCH):
        out += generator.generate(specs[start : start + BATCH])
    return out


def beats_of(corpus: Corpus, split: str, style: str | None = None) -> list[Performance]:
    """The beat files (not fills) of a split, of one style when given."""
    return [p for p in corpus.split(split) if not p.fill and (style is None or p.style == style)]


def eight_bar_windows(performances: list[Performance]) -> list[tuple[Performance, Pattern]]:
    """Every whole 8-bar window of the performances, with its performance."""
    return [(p, p.pattern.slice(s, s + STEPS)) for p in performances
            for s in range(0, p.pattern.steps - STEPS + 1, STEPS)]


# The knobs ------------------------------------------------------------------------------


def knob_curves(generator: DrumGenerator, corpus: Corpus, styles: tuple[str, ...],
                classifier: StyleClassifier, beats: int = 50, seed: int = 0) -> dict:
    """Hits per bar, mean velocity and style recognition at each KNOB_SETTINGS value of
    `busy` and of `loud` (the other left as the style plays), per style, at tempos drawn
    from the style's training beats; with the plain beats ("as the style plays") beside."""
    out = {}
    for k, style in enumerate(styles):
        tempos = _style_tempos(corpus, style)
        rng = np.random.default_rng(seed + k)
        bpms = [float(t) for t in rng.choice(tempos, beats)]
        specs = [GenerationSpec(STEPS, style, 1.0, seed * 1_000_003 + 7919 * k + i, bpm=b)
                 for i, b in enumerate(bpms)]
        curves: dict = {"plain": _levels(write(generator, specs), style, classifier)}
        for knob in ("busy", "loud"):
            curves[knob] = [_levels(write(generator, [replace(s, **{knob: v}) for s in specs]),
                                    style, classifier) for v in KNOB_SETTINGS]
        out[style] = curves
    return out


def _style_tempos(corpus: Corpus, style: str) -> list[float]:
    """The tempos of a style's training beats (trap: its two conventions' ranges)."""
    tempos = [p.bpm for p in beats_of(corpus, "train", style)]
    return tempos or [85.0, 150.0]


def _levels(beats: list[Pattern], style: str, classifier: StyleClassifier) -> dict:
    """Hits per bar, mean velocity and the share of 2-bar windows recognised as `style`."""
    velocity = np.concatenate([b.velocity[b.onsets] for b in beats])
    return {"hits_per_bar": float(np.mean([b.onsets.sum() / b.bars for b in beats])),
            "mean_velocity": float(velocity.mean()),
            "recognised": classifier.recognised(beats, style)}


def knob_checks(curves: dict, real_recognised: dict[str, float]) -> dict:
    """Per style: hits double from lowest to highest and rise at every step; velocity rises
    at every step and by 30 in all; every setting recognised at least as often as real."""
    out = {}
    for style, c in curves.items():
        hits = [s["hits_per_bar"] for s in c["busy"]]
        vel = [s["mean_velocity"] for s in c["loud"]]
        floor = real_recognised.get(style)
        lowest = min(s["recognised"] for s in (*c["busy"], *c["loud"]))
        out[style] = {
            "hits_ratio": hits[-1] / hits[0],
            "hits_rise_every_step": bool(np.all(np.diff(hits) > 0)),
            "velocity_rise": vel[-1] - vel[0],
            "velocity_rise_every_step": bool(np.all(np.diff(vel) > 0)),
            "lowest_recognised": lowest, "real_recognised": floor,
            "recognised_ok": None if floor is None else bool(lowest >= floor)}
    return out


# Following material (Tap2Drum) ---------------------------------------------------------


def follow_scores(generator: DrumGenerator, corpus: Corpus, split: str, limit: int = 300,
                  seed: int = 0) -> dict:
    """Tap2Drum on real beats: each 8-bar window of the split's beats becomes the material,
    as every onset ("all") or as its kick and snare steps ("kick_snare"); a beat of the same
    style and tempo follows it, and another follows nothing (same seed). F1 of onset steps
    against the material's (every class for "all", kick or snare for "kick_snare"), and,
    for the kick-and-snare beats, how the rest of the kit plays and how real they look."""
    rng = np.random.default_rng(seed)
    windows = eight_bar_windows(beats_of(corpus, split))
    chosen = [windows[i] for i in rng.permutation(len(windows))[:limit]]
    styles = generator.styles
    base = [GenerationSpec(STEPS, p.style if p.style in styles else "any", 1.0,
                           seed * 1_000_003 + i, bpm=p.bpm) for i, (p, _) in enumerate(chosen)]
    plain = write(generator, base)
    out: dict = {"windows": len(chosen)}
    for mode, classes in (("all", None), ("kick_snare", (KICK, SNARE))):
        rhythms = [rhythm_of(w, classes) for _, w in chosen]
        followed = write(generator, [replace(s, follow=r, follow_mode=mode) for s, r in
                                     zip(base, rhythms, strict=True)])
        out[mode] = {"f1": _f1(followed, rhythms, classes),
                     "f1_unconditioned": _f1(plain, rhythms, classes)}
        if classes is not None:
            out[mode]["others_hits_per_bar"] = _others_per_bar(followed, classes)
            out[mode]["others_hits_per_bar_real"] = _others_per_bar([w for _, w in chosen],
                                                                      classes)
            out[mode]["beats"] = followed
    out["plain"] = plain
    return out


def rhythm_of(window: Pattern, classes: tuple[int, ...] | None) -> Rhythm:
    """The material a real beat's onsets make: every onset, or `classes`' alone."""
    hits = window.onsets if classes is None else window.onsets[:, list(classes)]
    offsets = window.offset if classes is None else window.offset[:, list(classes)]
    first = np.where(hits, offsets, np.inf).min(axis=1)
    onsets = hits.any(axis=1)
    return Rhythm(onsets, np.where(onsets, first, 0.0).astype(np.float32))


def _f1(beats: list[Pattern], rhythms: list[Rhythm], classes: tuple[int, ...] | None) -> float:
    """F1 of the beats' onset steps (of `classes`, or any) against the rhythms' onsets,
    pooled over every step."""
    true_pos = predicted = actual = 0
    for beat, rhythm in zip(beats, rhythms, strict=True):
        hits = beat.onsets if classes is None else beat.onsets[:, list(classes)]
        played = hits.any(axis=1)[: rhythm.steps]
        true_pos += int((played & rhythm.onsets).sum())
        predicted += int(played.sum())
        actual += int(rhythm.onsets.sum())
    return 2 * true_pos / max(predicted + actual, 1)


def _others_per_bar(beats: list[Pattern], classes: tuple[int, ...]) -> float:
    """Hits per bar of the drums not in `classes`."""
    return float(np.mean([b.without(classes).onsets.sum() / b.bars for b in beats]))


# Timing --------------------------------------------------------------------------------


def lag1_autocorrelation(patterns: list[Pattern], classes: tuple[int, ...]) -> float:
    """Lag-1 autocorrelation of consecutive hits' offsets of `classes`, each around its
    bar position's mean offset (over these patterns), pooled over the beats."""
    total = np.zeros(STEPS_PER_BAR)
    count = np.zeros(STEPS_PER_BAR)
    series = []
    for p in patterns:
        hits = p.onsets[:, list(classes)].any(axis=1)
        offset = np.where(p.onsets[:, list(classes)], p.offset[:, list(classes)], 0).sum(1)
        offset = offset / np.maximum(p.onsets[:, list(classes)].sum(axis=1), 1)
        steps = np.flatnonzero(hits)
        np.add.at(total, steps % STEPS_PER_BAR, offset[steps])
        np.add.at(count, steps % STEPS_PER_BAR, 1)
        series.append((steps, offset[steps]))
    mean = total / np.maximum(count, 1)
    pairs = [(r[:-1], r[1:]) for steps, off in series
             for r in [off - mean[steps % STEPS_PER_BAR]] if len(r) > 1]
    x = np.concatenate([a for a, _ in pairs])
    y = np.concatenate([b for _, b in pairs])
    return float(np.corrcoef(x, y)[0, 1])


def timing_scores(real: list[Pattern], train: list[Pattern], generated: list[Pattern]
                  ) -> dict:
    """Drift (lag-1 autocorrelation of hats and snare), offset spread and the timing
    profile's correlation with `real`, for generated beats and the real training beats."""
    out = {}
    for name, classes in AUTOCORR_CLASSES.items():
        out[f"autocorr_{name}"] = {"real": lag1_autocorrelation(real, classes),
                                   "train": lag1_autocorrelation(train, classes),
                                   "generated": lag1_autocorrelation(generated, classes)}
    real_std, gen_std = realism.offsets(real).std(), realism.offsets(generated).std()
    out["offset_std"] = {"real": float(real_std), "train": float(realism.offsets(train).std()),
                         "generated": float(gen_std), "ratio": float(gen_std / real_std)}
    out["profile_correlation"] = {"generated": realism.profile_correlation(real, generated),
                                  "train": realism.profile_correlation(real, train)}
    return out


# Realism by class ----------------------------------------------------------------------


def class_rates(generated: list[Pattern], requests: list[tuple[str, float]], corpus: Corpus
                ) -> dict:
    """Each class's hits per bar, generated against the training beats' rate for the same
    mix of style and tempo group as the requests (a request's style and group weighted by
    how often it was asked), and their ratio."""
    train = beats_of(corpus, "train")
    cells = Counter((s, tempo_group(b)) for s, b in requests)
    target = np.zeros(len(CLASSES))
    for (style, group), n in cells.items():
        pool = ([p for p in train if p.style == style and tempo_group(p.bpm) == group]
                or [p for p in train if p.style == style] or train)
        target += n * _per_bar([p.pattern for p in pool])
    target /= sum(cells.values())
    made = _per_bar(generated)
    return {name: {"generated": float(g), "train": float(t), "ratio": float(g / max(t, 1e-9))}
            for name, g, t in zip(CLASSES, made, target, strict=True)}


def _per_bar(patterns: list[Pattern]) -> np.ndarray:
    """Hits per bar of each class over whole bars."""
    hits = sum(p.onsets[: p.steps // STEPS_PER_BAR * STEPS_PER_BAR].sum(axis=0)
               for p in patterns)
    bars = sum(p.steps // STEPS_PER_BAR for p in patterns)
    return np.asarray(hits, float) / max(bars, 1)


# Style recognition ---------------------------------------------------------------------


class StyleClassifier:
    """A style classifier trained on real training windows only.

    Args:
        train: style -> real training beats.
        family: "logistic" (engine.training.realism.Logistic, the one calibration and
            guidance were looked at with) or "knn" (k nearest neighbours by cosine on
            standardised features: another family, never used to choose anything).
        k: neighbours for "knn".
    """

    def __init__(self, train: dict[str, list[Pattern]], family: str = "knn", k: int = 15
                 ) -> None:
        self.styles = sorted(train)
        rows = {s: realism.feature_matrix(train[s]) for s in self.styles}
        self.x = np.concatenate([rows[s] for s in self.styles])
        self.y = np.concatenate([np.full(len(rows[s]), i) for i, s in enumerate(self.styles)])
        self.family, self.k = family, k
        self.mean, self.scale = self.x.mean(axis=0), self.x.std(axis=0) + 1e-3
        if family == "logistic":
            self.model = realism.Logistic().fit(self.x, self.y, len(self.styles))
        else:
            z = (self.x - self.mean) / self.scale
            self.z = z / np.linalg.norm(z, axis=1, keepdims=True)

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The style index of each feature row."""
        if self.family == "logistic":
            return self.model.predict(rows)
        z = (rows - self.mean) / self.scale
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
        near = np.argsort(-(z @ self.z.T), axis=1)[:, : self.k]
        votes = np.zeros((len(rows), len(self.styles)))
        np.add.at(votes, (np.arange(len(rows))[:, None], self.y[near]), 1)
        return votes.argmax(axis=1)

    def recognised(self, beats: list[Pattern], style: str) -> float:
        """Share of the beats' 2-bar windows classified as `style`."""
        if style not in self.styles or not realism.windows(beats):
            return float("nan")
        rows = realism.feature_matrix(beats)
        return float((self.predict(rows) == self.styles.index(style)).mean())

    def confusions(self, beats: list[Pattern]) -> dict[str, float]:
        """Share of the beats' windows given to each style (the top three)."""
        guessed = Counter(self.predict(realism.feature_matrix(beats)).tolist())
        total = sum(guessed.values())
        return {self.styles[i]: n / total for i, n in guessed.most_common(3)}
