"""The figures of issue "the model listens": knob curves, Tap2Drum, timing drift, realism by
class and style recognition on a second classifier family.

    PYTHONPATH=. .venv/bin/python scripts/listening_figures.py --data ../shared/data/groove \
        [--model FILE] [--split validation|tune] [--json out.json] [--plots folder] \
        [--only knobs,follow,timing,realism,styles] [--drift-gain G]

`--split tune` scores against the tuning slice (whole training sessions held out of
fitting, engine.training.train.TUNE_SHARE; real "train" beats are then the rest): choices
are made there; `validation` gives the final figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from engine.data.dataset import load_folder
from engine.model.generator import DEFAULT_MODEL, DrumGenerator
from engine.model.lstm import DrumLSTM
from engine.training import listening, realism
from engine.training.evaluate import EvalPlan, _generate, _request_draw
from engine.training.train import TUNE_SHARE, hold_tuning_slice, trap_performances

KNOB_STYLES = ("rock", "funk", "hiphop", "trap")
RECOGNITION_BEATS = 50
PLAIN_BEATS = 600
MIN_STYLE_WINDOWS = 40
"""Styles with this many 2-bar windows of training beats are scored for recognition."""


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/groove"))
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--split", default="validation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plots", type=Path, default=None)
    parser.add_argument("--only", default="knobs,follow,timing,realism,styles")
    parser.add_argument("--drift-gain", type=float, default=None,
                        help="sample with this drift gain instead of the model's own")
    return parser.parse_args()


def load(args: argparse.Namespace) -> DrumGenerator:
    """The model to score, at the drift gain asked for (how the gain was picked:
    --split tune --only timing --drift-gain G)."""
    lstm = DrumLSTM.load(args.model)
    if args.drift_gain is not None:
        lstm.meta["drift_gain"] = args.drift_gain
    return DrumGenerator(lstm)


def main() -> None:
    """Print and write every figure."""
    args = arguments()
    started = time.perf_counter()
    corpus = load_folder(args.data)
    if args.split == "tune":  # the slice's sessions leave the real training beats
        hold_tuning_slice(corpus, TUNE_SHARE)
    generator = load(args)
    parts = set(args.only.split(","))
    out: dict = {"model": str(args.model), "split": args.split, "seed": args.seed}
    train = [p.pattern for p in listening.beats_of(corpus, "train")]
    real = [p.pattern for p in listening.beats_of(corpus, args.split)]
    if "knobs" in parts:
        out["knobs"] = knobs(generator, corpus, args)
    if "follow" in parts:
        out["follow"] = follow(generator, corpus, real, args)
    if parts & {"timing", "realism"}:
        out.update(plain_figures(generator, corpus, parts, real, train, args))
    if "styles" in parts:
        out["styles"] = styles(generator, corpus, args)
    out["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(out, indent=2, default=_plain)
    print(text)
    if args.json:
        args.json.write_text(text)
    if args.plots and "knobs" in out:
        args.plots.mkdir(parents=True, exist_ok=True)
        print(f"wrote {plot_knobs(out['knobs']['curves'], args.plots / 'knobs.png')}")


def plain_figures(generator: DrumGenerator, corpus, parts: set[str], real, train, args
                  ) -> dict:
    """Timing and realism of plain beats drawn as `beatbot eval` draws them."""
    plan = EvalPlan(args.split, PLAIN_BEATS, args.seed)
    requests = _request_draw(corpus, plan, generator.styles)
    plain = _generate(generator, requests, plan)
    out = {}
    if "timing" in parts:
        out["timing"] = listening.timing_scores(real, train, plain)
    if "realism" in parts:
        out["realism"] = realism_figures(plain, requests, real, train, corpus, args.seed)
    return out


def knobs(generator: DrumGenerator, corpus, args) -> dict:
    """Knob curves of KNOB_STYLES, on the eval's style classifier (logistic, real training
    windows; trap from our trap loops), with each style's real recognition beside."""
    train = {s: [p.pattern for p in listening.beats_of(corpus, "train", s)]
             for s in ("rock", "funk", "hiphop", "jazz", "latin", "punk", "soul", "country",
                       "afrocuban", "neworleans")}
    trap = trap_performances(1)
    train["trap"] = [p.pattern for p in trap]
    classifier = listening.StyleClassifier(train, "logistic")
    held_trap = [p.pattern for p in trap_performances(2)[:200]]
    real = {s: classifier.recognised([p.pattern for p in listening.beats_of(
        corpus, args.split, s)], s) for s in KNOB_STYLES if s != "trap"}
    real["trap"] = classifier.recognised(held_trap, "trap")
    curves = listening.knob_curves(generator, corpus, KNOB_STYLES, classifier, seed=args.seed)
    return {"curves": curves, "real_recognised": real,
            "checks": listening.knob_checks(curves, real)}


def follow(generator: DrumGenerator, corpus, real, args) -> dict:
    """Tap2Drum on the split, and how real the kick-and-snare beats look (two-sample
    accuracy against the split's real beats, beside the plain beats' and the floor)."""
    scores = listening.follow_scores(generator, corpus, args.split, seed=args.seed)
    held = realism.feature_matrix(real)
    for name, beats in (("kick_snare_followed", scores["kick_snare"].pop("beats")),
                        ("plain", scores.pop("plain"))):
        scores[f"two_sample_{name}"] = realism.two_sample_accuracy(
            realism.feature_matrix(beats), held, args.seed)
    return scores


def realism_figures(plain, requests, real, train, corpus, seed: int) -> dict:
    """Two-sample accuracy against the split with its floor, and each class's hits per bar
    against the training rate of the same style and tempo mix."""
    held = realism.feature_matrix(real)
    rates = listening.class_rates(plain, requests, corpus)
    return {"two_sample_generated": realism.two_sample_accuracy(
                realism.feature_matrix(plain), held, seed),
            "two_sample_real_floor": realism.two_sample_accuracy(
                realism.feature_matrix(train), held, seed),
            "class_rates": rates,
            "classes_within_25pc": sum(abs(r["ratio"] - 1) <= 0.25 for r in rates.values()),
            "beats": len(plain)}


def styles(generator: DrumGenerator, corpus, args) -> dict:
    """Every style with MIN_STYLE_WINDOWS training windows, generated at its median training tempo,
    recognised by a classifier of each family (k nearest neighbours: never used for a
    choice; logistic: the one calibration was looked at with), beside real beats of the
    style: the split's, where it has 20 windows of it, and for every style the training
    beats of each session recognised by a k-NN trained on the other sessions."""
    from engine.model.generator import GenerationSpec

    names = [s for s in generator.styles if s != "trap" and len(realism.windows(
        [p.pattern for p in listening.beats_of(corpus, "train", s)])) >= MIN_STYLE_WINDOWS]
    beats = listening.beats_of(corpus, "train")
    train = {s: [p.pattern for p in beats if p.style == s] for s in names}
    made = {}
    for k, style in enumerate(names):
        bpm = float(np.median([p.bpm for p in beats if p.style == style]))
        specs = [GenerationSpec(listening.STEPS, style, 1.0, 900_000 + 1000 * k + i, bpm=bpm)
                 for i in range(RECOGNITION_BEATS)]
        made[style] = (bpm, listening.write(generator, specs))
    out: dict = {"real_other_sessions_knn": _leave_session_out(beats, names)}
    for family in ("knn", "logistic"):
        classifier = listening.StyleClassifier(train, family)
        rows = {}
        for style, (bpm, generated) in made.items():
            real = [p.pattern for p in listening.beats_of(corpus, args.split, style)]
            rows[style] = {"generated": classifier.recognised(generated, style), "bpm": bpm,
                           "real": (classifier.recognised(real, style)
                                    if len(realism.windows(real)) >= 20 else None),
                           "generated_called": classifier.confusions(generated)}
        out[family] = rows
    return out


def _leave_session_out(beats, names: list[str]) -> dict[str, float]:
    """Per style: the share of its real training windows a k-NN recognises when trained on
    every other session's beats (how recognisable real held-out drumming of it is)."""
    right = dict.fromkeys(names, 0)
    total = dict.fromkeys(names, 0)
    for session in sorted({p.group for p in beats}):
        held = [p for p in beats if p.group == session and p.style in names]
        if not held:
            continue
        rest = {s: [p.pattern for p in beats if p.group != session and p.style == s]
                for s in names}
        classifier = listening.StyleClassifier({s: b for s, b in rest.items() if b}, "knn")
        for style in {p.style for p in held}:
            windows = realism.windows([p.pattern for p in held if p.style == style])
            if windows:
                share = classifier.recognised([p.pattern for p in held if p.style == style],
                                              style)
                right[style] += (0 if np.isnan(share) else share) * len(windows)
                total[style] += len(windows)
    return {s: right[s] / total[s] for s in names if total[s]}


def plot_knobs(curves: dict, path: Path) -> Path:
    """Hits per bar against busy, mean velocity against loud, and recognition against both,
    one line per style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = listening.KNOB_SETTINGS
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), dpi=100)
    for style, c in curves.items():
        line, = axes[0].plot(x, [s["hits_per_bar"] for s in c["busy"]], "o-", label=style)
        axes[1].plot(x, [s["mean_velocity"] for s in c["loud"]], "o-", color=line.get_color())
        axes[2].plot(x, [s["recognised"] for s in c["busy"]], "o-", color=line.get_color())
        axes[2].plot(x, [s["recognised"] for s in c["loud"]], "s--", color=line.get_color())
    for ax, (xlabel, ylabel) in zip(axes, (("busy", "hits per bar"), ("loud", "mean velocity"),
                                          ("knob (busy o-, loud s--)", "style recognised")),
                                    strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


if __name__ == "__main__":
    main()
