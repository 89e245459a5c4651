"""`beatbot worker`: make beats for the bot processes from the job queue at BEATBOT_QUEUE_URL."""

from __future__ import annotations

import argparse

from cli.common import UNCONFIGURED, fail, read_settings, setup_logging

COMMAND = "beatbot worker"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `worker` on the `beatbot` command line."""
    parser = subparsers.add_parser(
        "worker", help="make beats from the Redis job queue (BEATBOT_QUEUE_URL)",
        description="Load the engine once, then make beats from the job queue for any bot "
                    "process. Run one per core; SIGTERM stops it after handing its job back.")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--queue-url", default=None, help="redis://... (else BEATBOT_QUEUE_URL)")
    parser.add_argument("--name", default=None, help="how this worker is known (host:pid)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run a worker until it is stopped.

    Returns:
        1 when the engine won't load or Redis can't be reached at start-up (a restart may
        help; later outages are waited out); 0 after a clean stop (SIGTERM, busy or idle),
        and also without a queue URL or with bad settings, after one line: as for `beatbot
        run` (cli.common.UNCONFIGURED), a restart can't help those.
    """
    from pydantic import SecretStr

    settings = read_settings(args.env_file, COMMAND)
    if settings is None:
        return UNCONFIGURED
    if args.queue_url:
        settings = settings.model_copy(update={"queue_url": SecretStr(args.queue_url)})
    if settings.queue_url is None:
        fail("no job queue: set BEATBOT_QUEUE_URL=redis://host:6379 (or --queue-url)", COMMAND)
        return UNCONFIGURED
    return _work(settings, args.name)


def _work(settings, name: str | None) -> int:
    from redis.exceptions import RedisError

    from bot.app import load_maker
    from bot.jobs.worker import build_worker, run_worker
    from bot.metrics import Metrics
    from engine.errors import EngineError

    setup_logging(settings.log_level)
    try:
        maker = load_maker(settings)
    except (EngineError, OSError, ValueError) as error:
        return fail(f"could not load the engine: {error}", COMMAND)
    metrics = Metrics()
    try:
        metrics.serve(settings.metrics_port)
    except OSError as error:
        return fail(f"can't serve metrics on port {settings.metrics_port}: {error}", COMMAND)
    try:
        run_worker(build_worker(settings, maker, name, metrics))
    except (RedisError, OSError) as error:
        return fail(f"the job queue can't be reached: {error}", COMMAND)
    return 0

