"""The `beatbot` command line: one subcommand per module, each adding its own parser."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "engine.commands.beat",
    "engine.commands.data",
    "engine.commands.train",
    "engine.commands.evaluate",
    "bench.cli",
)
"""Modules with `add_parser(subparsers)`; the bot adds `run` on top (see bot.cli)."""


def build_parser(extra_modules: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """Build the parser with every subcommand whose module imports."""
    parser = argparse.ArgumentParser(prog="beatbot", description="Drum beats from an LSTM.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (*COMMAND_MODULES, *extra_modules):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if not name.startswith(error.name or "?"):
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None, extra_modules: tuple[str, ...] = ()) -> int:
    """Run one subcommand; returns the exit code."""
    args = build_parser(extra_modules).parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
