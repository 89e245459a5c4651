"""`beatbot eval`: score a model on held-out data and on the beats it writes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.model.generator import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `eval`."""
    p = subparsers.add_parser("eval", help="evaluate a model against real drumming")
    p.add_argument("--data", type=Path, required=True, help="the MIDI folder (Groove)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--wavenet", type=Path, default=None,
                   help="also score a WaveNet baseline (.keras from train --arch wavenet)")
    p.add_argument("--split", default="validation")
    p.add_argument("--beats", type=int, default=1000, help="8-bar beats to generate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prior-weight", type=float, default=None,
                   help="style prior weight at sampling (default: the model's own)")
    p.add_argument("--json", type=Path, default=None, help="write every figure here")
    p.add_argument("--plots", type=Path, default=None,
                   help="write PNGs (timing profiles, offset and hit histograms) here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print a table of the figures (a column per model)."""
    from engine.data.dataset import load_folder
    from engine.model.lstm import DrumLSTM
    from engine.training.evaluate import EvalPlan, evaluate, figures

    corpus = load_folder(args.data)
    plan = EvalPlan(args.split, args.beats, args.seed, prior_weight=args.prior_weight)
    results = {"lstm": evaluate(DrumLSTM.load(args.model), corpus, plan)}
    if args.wavenet:
        from engine.training.wavenet import ScoredWaveNet

        results["wavenet"] = evaluate(ScoredWaveNet.load(args.wavenet), corpus, plan)
    table = {name: figures(result) for name, result in results.items()}
    print_table(table)
    if args.json:
        out = table["lstm"] if len(table) == 1 else table
        args.json.write_text(json.dumps(out, indent=2))
    if args.plots:
        from engine.training.plots import write_plots

        patterns = {"real": results["lstm"]["_patterns"]["real"]}
        patterns.update({name: r["_patterns"]["generated"] for name, r in results.items()})
        for path in write_plots(patterns, args.plots):
            print(f"wrote {path}")
    return 0


def print_table(table: dict[str, dict]) -> None:
    """One row per figure, one column per model; nested figures print as JSON."""
    names = list(table)
    print(f"{'':32s}" + "".join(f"{n:>12s}" for n in names))
    for key, value in table[names[0]].items():
        if isinstance(value, dict):
            for name in names:
                print(f"{key} ({name})".ljust(32), json.dumps(_rounded(table[name].get(key))))
            continue
        cells = [table[n].get(key) for n in names]
        print(f"{key:32s}" + "".join(f"{_cell(c):>12s}" for c in cells))


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _rounded(value):
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 3) if isinstance(value, float) else value
