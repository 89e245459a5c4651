"""`beatbot train`: fit the drum LSTM on MIDI folders and export it for the runtime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.model.config import CONFIGS
from engine.model.generator import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `train`."""
    p = subparsers.add_parser("train", help="train the drum model (needs the [train] extra)")
    p.add_argument("--data", type=Path, action="append", required=True,
                   help="a MIDI folder (Groove with info.csv, or any folder); repeatable")
    p.add_argument("--config", choices=sorted(CONFIGS), default=None,
                   help="named hyper-parameters (default: the arch's: default or wavenet)")
    p.add_argument("--arch", choices=("lstm", "wavenet"), default="lstm",
                   help="lstm (served) or the WaveNet baseline (scored by eval --wavenet)")
    p.add_argument("--run-dir", type=Path, default=None,
                   help="checkpoints and loss curve; rerunning resumes here "
                        "(default: runs/CONFIG)")
    p.add_argument("--out", type=Path, default=None,
                   help="exported model (.npz; default: the shipped model, or "
                        "runs/wavenet.npz for --arch wavenet)")
    p.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    p.add_argument("--no-trap", action="store_true", help="leave out the trap corpus")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, then print where the model went."""
    from engine.errors import EngineError
    from engine.training.train import TrainPlan, train

    name = args.config or ("wavenet" if args.arch == "wavenet" else "default")
    config = CONFIGS[name]
    if config.arch != args.arch:
        print(f"config {name} is a {config.arch} model, not {args.arch}", file=sys.stderr)
        return 2
    missing = [str(d) for d in args.data if not d.is_dir()]
    if missing:
        print(f"no data folder at {', '.join(missing)}", file=sys.stderr)
        return 2
    run_dir = args.run_dir or Path("runs") / name
    out = args.out or (DEFAULT_MODEL if args.arch == "lstm" else Path("runs/wavenet.npz"))
    plan = TrainPlan(tuple(args.data), config, run_dir, out,
                     trap=not args.no_trap, seed=args.seed, max_epochs=args.epochs)
    try:
        meta = train(plan, sys.argv[2:])
    except EngineError as error:
        print(f"beatbot: {error}", file=sys.stderr)
        return 2
    kept = ("the last (a refit)" if meta["best_val_loss"] is None else
            f"best val loss {meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}")
    print(f"model written to {out}: {meta['epochs']} epochs, {kept}, "
          f"{meta['train_seconds'] / 60:.1f} min")
    return 0
