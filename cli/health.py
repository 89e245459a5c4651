"""`beatbot health`: exit 0 while the bot or worker beside it is alive (the image's healthcheck).

It reads the heartbeat file that `beatbot run` and `beatbot worker` touch (BEATBOT_HEALTH_FILE,
set in the image) and imports neither the settings nor discord.py, so a check costs a Python
start-up and one stat().
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `health`."""
    from bot.health import STALE_S

    p = subparsers.add_parser(
        "health", help="exit 0 while the bot or worker here is alive (for healthchecks)",
        description="Exit 0 when the heartbeat file of the `beatbot run` or `beatbot worker` "
                    f"process is younger than {STALE_S:.0f} s, else 1 with one line.")
    p.add_argument("--file", type=Path, default=None,
                   help="heartbeat file (default: $BEATBOT_HEALTH_FILE)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """0 when the heartbeat is fresh; 1 with one line saying why not."""
    from bot.health import STALE_S, heartbeat_age_s

    path = args.file or (Path(os.environ["BEATBOT_HEALTH_FILE"])
                         if os.environ.get("BEATBOT_HEALTH_FILE") else None)
    if path is None:
        return _fail("no heartbeat file: set BEATBOT_HEALTH_FILE (or --file)")
    age_s = heartbeat_age_s(path)
    if age_s is None:
        return _fail(f"no heartbeat at {path}: the bot or worker is not running (yet)")
    if age_s > STALE_S:
        return _fail(f"the heartbeat at {path} is {age_s:.0f} s old (stale after {STALE_S:.0f} s)")
    return 0


def _fail(line: str) -> int:
    print(f"beatbot health: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # the image's healthcheck: no other subcommand's imports (numpy)
    parser = argparse.ArgumentParser(prog="beatbot health")
    add_parser(parser.add_subparsers(dest="command", required=True))
    sys.exit(run(parser.parse_args(["health", *sys.argv[1:]])))
