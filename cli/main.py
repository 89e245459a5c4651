"""The `beatbot` console script: one subcommand per module of this package.

Each module registers its parser with `add_parser` and imports what it runs (the engine,
TensorFlow, discord.py) only inside the command, so `beatbot beat` never loads the bot.
"""

from __future__ import annotations

import argparse
import sys

from cli import beat, bench, data, evaluate, health, run, train, worker

SUBCOMMANDS = (beat, data, train, evaluate, bench, run, worker, health)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="beatbot", description="Drum beats from an LSTM.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code.

    Settings of `beatbot beat` may come before or after its options
    (`beatbot beat bpm=85 --out DIR bars=2`): argparse leaves those after an option over.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "settings") and not any(w.startswith("-") for w in extra):
        args.settings += extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
