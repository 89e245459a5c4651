"""The `beatbot` console script: the engine's subcommands plus `run` (the bot)."""

from __future__ import annotations

import sys

from engine.cli import main as engine_main


def main(argv: list[str] | None = None) -> int:
    """Run `beatbot` with the bot's `run` subcommand added; returns the exit code."""
    return engine_main(argv, extra_modules=("bot.commands",))


if __name__ == "__main__":
    sys.exit(main())
