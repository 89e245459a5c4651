"""`beatbot train`: fit the drum LSTM on MIDI folders and export it for the runtime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.model.config import CONFIGS
from engine.model.sampler import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `train`."""
    p = subparsers.add_parser("train", help="train the drum model (needs the [train] extra)")
    p.add_argument("--data", type=Path, action="append", required=True,
                   help="a MIDI folder (Groove with info.csv, or any folder); repeatable")
    p.add_argument("--config", choices=sorted(CONFIGS), default="default")
    p.add_argument("--run-dir", type=Path, default=Path("runs/default"),
                   help="checkpoints and loss curve; rerunning resumes here")
    p.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="exported model (.npz)")
    p.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    p.add_argument("--no-trap", action="store_true", help="leave out the trap corpus")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, then print where the model went."""
    from engine.errors import EngineError
    from engine.training.train import TrainPlan, train

    plan = TrainPlan(tuple(args.data), CONFIGS[args.config], args.run_dir, args.out,
                     trap=not args.no_trap, seed=args.seed, max_epochs=args.epochs)
    try:
        meta = train(plan, sys.argv[2:])
    except EngineError as error:
        print(f"beatbot: {error}", file=sys.stderr)
        return 2
    print(f"model written to {args.out}: {meta['epochs']} epochs, best val loss "
          f"{meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}, "
          f"{meta['train_seconds'] / 60:.1f} min")
    return 0
