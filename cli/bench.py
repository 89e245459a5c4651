"""`beatbot bench`: the speed benchmark, or the load benchmark with --load."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `bench`."""
    p = subparsers.add_parser("bench", help="measure speed (or, with --load, the bot under load)")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    p.add_argument("--load", action="store_true", help="50 users, 500 requests through simcord")
    p.add_argument("--distributed", action="store_true",
                   help="with --load: beats made by 1 and by 2 `beatbot worker`s (ABBA "
                        "pairs) on a private Redis")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--no-keras", action="store_true", help="skip the Keras comparisons")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and print its figures."""
    if args.distributed and not args.load:
        print("beatbot bench: --distributed goes with --load", file=sys.stderr)
        return 2
    if args.distributed:
        from bench.distributed import run_distributed

        result = run_distributed()
    elif args.load:
        from bench.load import run_load

        result = run_load()
    else:
        from bench.speed import run_bench
        from cli.beat import soundfont_dir

        result = run_bench(args.repeats, keras=not args.no_keras,
                           soundfonts=soundfont_dir(None))
    from bench.speed import print_table, save

    print_table({key: value for key, value in result.items() if key != "runs"})
    for count, runs in result.get("runs", {}).items():
        for figures in runs:
            print(f"--- {count} worker(s)")
            print_table(figures)
    save(result, args.json)
    return 0
