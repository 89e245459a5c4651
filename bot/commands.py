"""`beatbot run`: start the Discord bot (discord.py is imported only when this runs)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `run` on the `beatbot` command line."""
    parser = subparsers.add_parser(
        "run", help="run the Discord bot",
        description="Run the Discord bot. Settings come from the environment or .env: "
                    "DISCORD_TOKEN, and BEATBOT_* (see bot/settings.py).")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the settings, set up logging and run the bot until interrupted.

    Returns:
        The exit code: 1 without a token or with bad settings.
    """
    import asyncio

    import discord
    from pydantic import ValidationError

    from bot.app import run_bot
    from bot.settings import TOKEN_HELP, Settings
    from engine.errors import EngineError

    try:
        settings = Settings(_env_file=args.env_file)
    except ValidationError as error:
        print(f"beatbot: bad settings: {error}", file=sys.stderr)
        return 1
    if settings.token is None or not settings.token.get_secret_value().strip():
        print(f"beatbot: {TOKEN_HELP}", file=sys.stderr)
        return 1
    discord.utils.setup_logging(level=settings.log_level, root=True)
    try:
        asyncio.run(run_bot(settings))
    except KeyboardInterrupt:
        pass
    except discord.LoginFailure:
        print("beatbot: Discord refused the token; check DISCORD_TOKEN in .env.", file=sys.stderr)
        return 1
    except (EngineError, OSError) as error:
        print(f"beatbot: could not start: {error}", file=sys.stderr)
        return 1
    return 0
