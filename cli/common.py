"""What the long-running commands (`run`, `worker`) share: the settings, the one-line
failure, and one log format."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

UNCONFIGURED = 0
"""Exit code when the settings can't run (no token, bad values, no queue): not a failure a
restart can mend, so a supervisor that restarts on failure (compose's `on-failure`) leaves
the process down after its one line."""


def fail(line: str, command: str = "beatbot") -> int:
    """Say what stopped the command in one line on stderr; the exit code (1)."""
    print(f"{command}: {line}", file=sys.stderr)
    return 1


def read_settings(env_file: str, command: str = "beatbot") -> Settings | None:
    """The settings from the environment and `env_file`, or None after one line saying which
    setting is wrong. The line never holds a value: a value may be a secret."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        fail(f"bad settings: {settings_problems(error)}", command)
        return None


def settings_problems(error: object) -> str:
    """Each wrong setting with what is wrong with it, and none of the values given."""
    problems = []
    for problem in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "settings"
        problems.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def setup_logging(level: str) -> None:
    """Log to stderr in discord.py's format, for the bot and the workers alike."""
    import discord

    discord.utils.setup_logging(level=level, root=True)
