"""`beatbot health`: exit 0 when the metrics endpoint of the bot or worker beside it says it is
up (a container's healthcheck), 1 with one line otherwise.

The port is `--port`, else BEATBOT_METRICS_PORT from the environment, else from the settings
file. Run as `python -m cli.health` (the image's HEALTHCHECK) it imports none of the other
subcommands (numpy, discord.py), so a check costs a Python start-up and one HTTP request.
"""

from __future__ import annotations

import argparse
import os
import sys

from cli.common import fail

COMMAND = "beatbot health"
PORT_VARIABLE = "BEATBOT_METRICS_PORT"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `health` on the `beatbot` command line."""
    parser = subparsers.add_parser(
        "health", help="exit 0 while the bot or worker here is up (for healthchecks)",
        description="Read http://127.0.0.1:PORT/metrics (--port, else BEATBOT_METRICS_PORT) "
                    "and exit 0 when it says beatbot_up 1, else 1 with one line.")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--port", type=int, default=None, help="else BEATBOT_METRICS_PORT")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the endpoint; the exit code."""
    from bot.metrics import healthy

    port = args.port or _port(args.env_file)
    if port is None:
        return fail(f"no metrics port: set {PORT_VARIABLE} (or --port)", COMMAND)
    ok, why = healthy(port)
    return 0 if ok else fail(why, COMMAND)


def _port(env_file: str) -> int | None:
    """BEATBOT_METRICS_PORT from the environment (cheap), else from the settings."""
    if os.environ.get(PORT_VARIABLE, "").strip().isdigit():
        return int(os.environ[PORT_VARIABLE])
    from cli.common import read_settings

    settings = read_settings(env_file, COMMAND)
    return settings.metrics_port if settings else None


if __name__ == "__main__":  # the image's healthcheck
    parser = argparse.ArgumentParser(prog="beatbot health")
    add_parser(parser.add_subparsers(dest="command", required=True))
    sys.exit(run(parser.parse_args(["health", *sys.argv[1:]])))
