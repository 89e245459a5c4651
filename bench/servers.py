"""Private servers for the tests and the distributed benchmark: Redis, and `beatbot worker`s
(PostgreSQL is in `bench.postgres`).

Each runs as a real process from the machine's own packages (Debian's `redis-server`), on a
free loopback port, with its files in a folder of the caller's, and is stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from bench.postgres import free_port
from bot.jobs.names import WORKERS_KEY

START_TIMEOUT_S = 20.0
"""Longest wait for a server or worker to be ready."""
STOP_TIMEOUT_S = 10.0


class RedisServer:
    """A private `redis-server` on loopback (no persistence), until `stop()`.

    Args:
        folder: its working folder (log file; nothing else is written).
    """

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it and wait until it answers PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--dir", str(self.folder), "--save", "", "--appendonly", "no",
                   "--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait_until(self._answers, f"redis-server on port {self.port}")
        return self

    def client(self) -> redis.Redis:
        """A plain (blocking) client, for checks."""
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self.process.returncode}")
        with contextlib.suppress(redis.RedisError), self.client() as client:
            return bool(client.ping())
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def kill(self) -> None:
        """SIGKILL: the server dies at once; it keeps nothing (no persistence). `start()`
        brings up an empty one on the same port."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)
            self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WorkerProcess:
    """A real `beatbot worker` subprocess on a queue, until `stop()` or `kill()`.

    Args:
        queue_url: the Redis URL.
        name: the worker's name in the live-workers set.
        log: file that gets the worker's output.
        env: extra environment (BEATBOT_* settings).
    """

    def __init__(self, queue_url: str, name: str, log: Path,
                 env: dict[str, str] | None = None) -> None:
        self.queue_url = queue_url
        self.name = name
        self.log = log
        self.env = {**os.environ, "PYTHONPATH": _repo_path(), **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> WorkerProcess:
        """Start it; with `wait`, until it says it is alive in Redis."""
        command = [sys.executable, "-m", "cli.main", "worker", "--env-file", os.devnull,
                   "--queue-url", self.queue_url, "--name", self.name]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            env=self.env)
        if wait:
            _wait_until(self.alive, f"worker {self.name}")
        return self

    def alive(self) -> bool:
        """True when the worker is in the live-workers set (raises if it exited)."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}: "
                               f"{self.log.read_text(errors='replace')[-2000:]}")
        with redis.Redis.from_url(self.queue_url, socket_connect_timeout=1) as client:
            return any(m.decode().startswith(f"{self.name}|")
                       for m in client.zrange(WORKERS_KEY, 0, -1))

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, mid-job if it has one."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT_S)
            self.process = None

    def stop(self) -> int | None:
        """SIGTERM (a running job goes back to the queue), then SIGKILL if it lingers.

        Returns:
            The worker's exit code (negative: the signal that ended it); None if not running.
        """
        if self.process is None:
            return None
        code = _stop(self.process)
        self.process = None
        return code


def _repo_path() -> str:
    root = str(Path(__file__).resolve().parents[1])
    current = os.environ.get("PYTHONPATH")
    return f"{root}{os.pathsep}{current}" if current else root


def _stop(process: subprocess.Popen) -> int:
    process.terminate()
    try:
        return process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(STOP_TIMEOUT_S)


def _wait_until(ready, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} was not ready in {START_TIMEOUT_S:.0f} s")
        time.sleep(0.05)
