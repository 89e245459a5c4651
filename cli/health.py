"""`beatbot health`: exit 0 when this process's metrics endpoint says it is up (a container's
healthcheck), 1 with one line otherwise."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `health` on the `beatbot` command line."""
    parser = subparsers.add_parser(
        "health", help="check the metrics endpoint of this machine's bot or worker",
        description="Read http://127.0.0.1:PORT/metrics (BEATBOT_METRICS_PORT, or --port) and "
                    "exit 0 when it says beatbot_up 1, else 1 with one line.")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--port", type=int, default=None, help="else BEATBOT_METRICS_PORT")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the endpoint; the exit code."""
    from pydantic import ValidationError

    from bot.metrics import healthy
    from bot.settings import Settings

    port = args.port
    if port is None:
        try:
            port = Settings(_env_file=args.env_file).metrics_port
        except ValidationError as error:
            return _fail(f"bad settings: {error}")
    if port is None:
        return _fail("no metrics port: set BEATBOT_METRICS_PORT (or --port)")
    ok, why = healthy(port)
    return 0 if ok else _fail(why)


def _fail(line: str) -> int:
    print(f"beatbot health: {line}", file=sys.stderr)
    return 1
