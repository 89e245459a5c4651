"""The heartbeat a bot or worker process keeps while it runs, and what `beatbot health` reads.

The process touches a file every HEARTBEAT_S seconds from its event loop; the container's
healthcheck (`beatbot health`) calls it healthy while the file is younger than STALE_S. A
process that has stopped, or whose loop is blocked, stops touching it. This is the one place
to change when the healthcheck moves to the process's own metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
"""How often the file is touched, seconds."""
STALE_S = 30.0
"""A heartbeat older than this (three missed beats) means the process is not healthy."""


def start_heartbeat(path: Path | None) -> asyncio.Task[None] | None:
    """Touch `path` now, then every HEARTBEAT_S s from the running loop; None when no path.

    Cancel the task to stop (the file is then removed).
    """
    if path is None:
        return None
    _touch(path)
    return asyncio.create_task(_beat(path))


async def _beat(path: Path) -> None:
    try:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            _touch(path)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _touch(path: Path) -> None:
    try:
        path.touch()
    except OSError as error:  # a full or read-only /tmp: say so, keep serving
        log.warning("heartbeat file %s: %s", path, error.strerror)


def heartbeat_age_s(path: Path) -> float | None:
    """Seconds since the heartbeat was last touched; None when there is none."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except OSError:
        return None
