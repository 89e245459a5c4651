"""`beatbot eval`: score a model on held-out data and on the beats it writes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.model.sampler import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `eval`."""
    p = subparsers.add_parser("eval", help="evaluate a model against real drumming")
    p.add_argument("--data", type=Path, required=True, help="the MIDI folder (Groove)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--split", default="validation")
    p.add_argument("--beats", type=int, default=1000, help="8-bar beats to generate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prior-weight", type=float, default=None,
                   help="style prior weight at sampling (default: the model's own)")
    p.add_argument("--json", type=Path, default=None, help="write every figure here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print a table of the figures."""
    from engine.data.dataset import load_folder
    from engine.model.lstm import DrumLSTM
    from engine.training.evaluate import EvalPlan, evaluate

    lstm = DrumLSTM.load(args.model)
    plan = EvalPlan(args.split, args.beats, args.seed, prior_weight=args.prior_weight)
    result = evaluate(lstm, load_folder(args.data), plan)
    for key, value in result.items():
        if not isinstance(value, dict):
            print(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    print("style_adherence_by_style    ", json.dumps(result["style_adherence_by_style"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0
