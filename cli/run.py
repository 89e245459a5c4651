"""`beatbot run`: start the Discord bot (discord.py is imported only when this runs)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import UNCONFIGURED, fail, read_settings, setup_logging

if TYPE_CHECKING:
    from bot.settings import Settings
    from engine.beat.maker import BeatMaker




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
    start-up with one line. SIGTERM or SIGINT stop the bot cleanly (see BeatBot.shutdown).

    Returns:
        The exit code: 1 when the engine, the request log or Discord can't be reached (a
        restart may help); 0 after a clean stop, and also without a token or with bad
        settings (after one line saying what to set): a restart can't help those, and a
        supervisor that restarts on failure (compose's `on-failure`) leaves the bot down.
    """
    try:
        settings = _settings(args.env_file)
        if settings is None:
            return UNCONFIGURED
        maker = _engine(settings)
        return _serve(settings, maker) if maker else 1
    except KeyboardInterrupt:  # Ctrl-C before the bot's own handler is installed
        return 0


def _settings(env_file: str) -> Settings | None:
    """The settings with a token, or None after saying what is wrong."""
    from bot.settings import TOKEN_HELP

    settings = read_settings(env_file)
    if settings is not None and (
            settings.token is None or not settings.token.get_secret_value().strip()):
        fail(TOKEN_HELP)
        return None
    return settings


def _engine(settings: Settings) -> BeatMaker | None:
    """The loaded engine, or None after one line saying why it would not load."""
    from bot.app import load_maker
    from engine.errors import EngineError

    try:
        return load_maker(settings)
    except (EngineError, OSError, ValueError) as error:
        fail(f"could not load the engine: {error}")
        return None


def _serve(settings: Settings, maker: BeatMaker) -> int:
    """Run the bot until it is stopped; the exit code."""
    import asyncio

    import discord

    from bot.app import run_bot
    from bot.requestlog import LogOpenFailed
    from engine.errors import EngineError

    setup_logging(settings.log_level)
    try:
        asyncio.run(run_bot(settings, maker))
    except discord.LoginFailure:
        fail("Discord refused the token; check DISCORD_TOKEN in .env.")
        return 1
    except LogOpenFailed as error:
        fail(str(error))
        return 1
    except (EngineError, OSError) as error:
        fail(f"could not start: {error}")
        return 1
    return 0
