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
    """Read the settings, load the engine, set up logging and run the bot until stopped.

    The engine loads before anything connects, so a missing or corrupt model file stops
    start-up with one line. SIGTERM or SIGINT stop it cleanly (see BeatBot.shutdown).

    Returns:
        The exit code: 0 after a clean stop; 1 without a token, with bad settings, or when
        the engine, the request log or Discord can't be reached.
    """
    import asyncio
    import sqlite3

    import discord
    from pydantic import ValidationError

    from bot.app import load_maker, run_bot
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
    try:
        maker = load_maker(settings)
    except (EngineError, OSError, ValueError) as error:
        print(f"beatbot: could not load the engine: {error}", file=sys.stderr)
        return 1
    discord.utils.setup_logging(level=settings.log_level, root=True)
    try:
        asyncio.run(run_bot(settings, maker))
    except KeyboardInterrupt:
        pass
    except discord.LoginFailure:
        print("beatbot: Discord refused the token; check DISCORD_TOKEN in .env.", file=sys.stderr)
        return 1
    except sqlite3.Error as error:
        print(f"beatbot: could not open the request log {settings.database}: {error}",
              file=sys.stderr)
        return 1
    except (EngineError, OSError) as error:
        print(f"beatbot: could not start: {error}", file=sys.stderr)
        return 1
    return 0
