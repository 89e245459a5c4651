"""`beatbot worker`: make beats for the bot processes from the job queue at BEATBOT_QUEUE_URL."""

from __future__ import annotations

import argparse
import sys


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
        0 after a clean stop; 1 without a queue URL, with bad settings, when the engine
        won't load or Redis can't be reached at start-up (later outages are waited out).
    """
    from pydantic import SecretStr, ValidationError

    from bot.settings import Settings

    try:
        settings = Settings(_env_file=args.env_file)
    except ValidationError as error:
        return _fail(f"bad settings: {error}")
    if args.queue_url:
        settings = settings.model_copy(update={"queue_url": SecretStr(args.queue_url)})
    if settings.queue_url is None:
        return _fail("no job queue: set BEATBOT_QUEUE_URL=redis://host:6379 (or --queue-url)")
    return _work(settings, args.name)


def _work(settings, name: str | None) -> int:
    import logging

    from redis.exceptions import RedisError

    from bot.app import load_maker
    from bot.jobs.worker import build_worker, run_worker
    from bot.metrics import Metrics
    from engine.errors import EngineError

    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        maker = load_maker(settings)
    except (EngineError, OSError, ValueError) as error:
        return _fail(f"could not load the engine: {error}")
    metrics = Metrics()
    try:
        metrics.serve(settings.metrics_port)
    except OSError as error:
        return _fail(f"can't serve metrics on port {settings.metrics_port}: {error}")
    try:
        run_worker(build_worker(settings, maker, name, metrics))
    except (RedisError, OSError) as error:
        return _fail(f"the job queue can't be reached: {error}")
    return 0


def _fail(line: str) -> int:
    print(f"beatbot worker: {line}", file=sys.stderr)
    return 1
