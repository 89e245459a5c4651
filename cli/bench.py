"""`beatbot bench`: the speed benchmark, the load benchmark with --load, or how fast hostile
primers are read with --primers."""

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
    p.add_argument("--primers", action="store_true",
                   help="hostile primers up to 256 KB: read time against a normal primer's")
    p.add_argument("--faults", action="store_true",
                   help="the distributed mode under faults (workers, Redis, PostgreSQL and "
                        "the bot killed or stopped), at 3 requests/s")
    p.add_argument("--short", action="store_true",
                   help="with --faults: 3 s and 2 s outages instead of 30 s and 20 s")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--no-keras", action="store_true", help="skip the Keras comparisons")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and print its figures."""
    if args.distributed and not args.load:
        print("beatbot bench: --distributed goes with --load", file=sys.stderr)
        return 2
    if args.primers:
        return _run_primers(args)
    if args.faults:
        from bench.faults import run_faults

        result = run_faults(**({"redis_down_s": 3.0, "postgres_down_s": 2.0} if args.short
                               else {}))
        return _report_faults(result, args.json)
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


def _run_primers(args: argparse.Namespace) -> int:
    """`beatbot bench --primers`: print the table, write the JSON when asked."""
    from bench.primers import print_primers, run_primers
    from bench.speed import save

    result = run_primers(args.repeats)
    print_primers(result)
    save(result, args.json)
    return 0


def _report_faults(result: dict, path: Path | None) -> int:
    """Print one line per fault, save the figures; 0 when every fault was answered and
    logged once, 1 otherwise."""
    import json

    for name, figures in result["faults"].items():
        print(f"{name:24} " + " ".join(f"{key}={figures[key]}" for key in (
            "sent", "answered", "logged", "doubled", "late", "longest_wait_s",
            "workers_alive", "workers")))
    if path is not None:
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["all_answered_logged_once"] else 1
