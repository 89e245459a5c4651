"""`beatbot standardise` and `beatbot augment`: prepare loop folders for training."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.data.augment import augment_folder
from engine.data.standardise import standardise_folder

DEFAULT_AUGMENT_COUNT = 1000
"""New loops `beatbot augment` writes unless told."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `standardise` and `augment` subcommands.

    Args:
        subparsers: the `beatbot` parser's subcommands.
    """
    standardise = subparsers.add_parser(
        "standardise",
        help="map single-part loops (named Kick, Snare, Hat...) onto GM drums on channel 10",
    )
    standardise.add_argument("src", type=Path, help="folder of loops, searched recursively")
    standardise.add_argument("dst", type=Path, help="output folder (same relative paths)")
    standardise.set_defaults(func=run_standardise)

    augment = subparsers.add_parser(
        "augment", help="recombine kick, snare and hats of training loops into new loops"
    )
    augment.add_argument("src", type=Path, help="folder of 4/4 .mid loops")
    augment.add_argument("dst", type=Path, help="output folder for the new loops")
    augment.add_argument("--count", type=int, default=DEFAULT_AUGMENT_COUNT, help="loops wanted")
    augment.add_argument("--seed", type=int, default=0, help="seed of the recombination")
    augment.set_defaults(func=run_augment)


def run_standardise(args: argparse.Namespace) -> int:
    """Standardise `args.src` into `args.dst` and print the report; returns the exit code."""
    if not args.src.is_dir():
        print(f"no such folder: {args.src}")
        return 2
    print(standardise_folder(args.src, args.dst))
    return 0


def run_augment(args: argparse.Namespace) -> int:
    """Recombine the loops of `args.src` into `args.dst` and print a count; the exit code."""
    if not args.src.is_dir():
        print(f"no such folder: {args.src}")
        return 2
    if args.count < 1:
        print(f"--count must be at least 1, not {args.count}")
        return 2
    written = augment_folder(args.src, args.dst, args.count, args.seed)
    print(f"wrote {written} of {args.count} loops to {args.dst}")
    return 0
