"""A private PostgreSQL server for the tests and the benchmarks, from Debian's `postgresql`.

`initdb` makes a cluster in a temporary folder and `pg_ctl` runs it on a free loopback port,
with trust authentication and no fsync: throwaway data, which still outlives a crash of the
server (not of the machine). PostgreSQL refuses to run as root, so as root the cluster
belongs to `nobody`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = 30.0
"""Longest wait for the server to accept connections."""
SUPERUSER = "beatbot"
UNPRIVILEGED = "nobody"
"""Who owns and runs the cluster when we are root."""


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them per version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda path: int(Path(path).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster on loopback: `start()`, `stop()` (and start again), and
    `remove()` at the end; as a context manager, started and then removed.

    Its folder is a new one under the system's temporary folder, open to `nobody` (pytest's
    own temporary folders are not).
    """

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="beatbot-pg-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        """The postgresql:// URL of one of its databases."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        """Make the cluster on first use, start the server, wait until it takes connections."""
        if not self.data.exists():
            self._init()
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", str(int(START_TIMEOUT_S)),
                  "-l", str(self.folder / "server.log"), "-o", options)
        self._wait_ready()
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" (clients are cut off) or "immediate" (as if it crashed)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.url(name)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _init(self) -> None:
        if self.as_root:
            shutil.chown(self.folder, UNPRIVILEGED)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "--no-sync",
                  "-E", "UTF8", "--locale=C")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        user = UNPRIVILEGED if self.as_root else None
        result = subprocess.run(command, user=user, cwd=self.folder, capture_output=True,
                                text=True, timeout=START_TIMEOUT_S + 10)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}"
                               f"{self._log_tail()}")

    def _log_tail(self) -> str:
        log = self.folder / "server.log"
        with contextlib.suppress(OSError):
            return "\n" + log.read_text(errors="replace")[-1500:]
        return ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._accepting():
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL on port {self.port} was not ready in "
                                   f"{START_TIMEOUT_S:.0f} s{self._log_tail()}")
            time.sleep(0.05)

    def _accepting(self) -> bool:
        ready = subprocess.run([str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1",
                                "-p", str(self.port)], check=False)
        return ready.returncode == 0
