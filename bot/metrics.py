"""Prometheus metrics of a bot or worker process, and the health check that reads them.

Each process builds one `Metrics` at start-up (a registry of its own, so that several bots
in one test process don't mix) and, with `BEATBOT_METRICS_PORT` set, serves it on that port
at `/metrics`. `beatbot health` reads the endpoint of its own process (the same settings) and
exits 0 when it says `beatbot_up 1`: what a container's healthcheck runs.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Histogram buckets (seconds): a beat takes 0.1-5 s to make, a wait up to minutes."""
HEALTH_TIMEOUT_S = 2.0
UP_LINE = "beatbot_up 1.0"


class Metrics:
    """The metrics one process exposes (see docs/scaling.md for what to watch).

    Attributes:
        up: 1 while the process serves (the bot is connected, the worker takes jobs).
        requests: requests answered, by outcome (`ok`, `busy`, `cooldown`, `user_error`,
            `failed`): counted as their log rows are written.
        beats_made: beats made (a worker's, or a one-process bot's).
        wait: how long a beat's job waited for a worker.
        make: how long a beat took to make.
        queue_depth: jobs in the queue, waiting or running (the bot's thread pool's line
            in one process).
        workers_alive: live workers (slots in one process).
        log_rows_waiting: request-log rows that wait for the database.
        queue_reachable: 1 while Redis answers (workers and bots with a queue).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        reg = {"registry": self.registry}
        self.up = Gauge("beatbot_up", "1 while this process serves", **reg)
        self.requests = Counter("beatbot_requests", "Requests answered, by outcome",
                                ["outcome"], **reg)
        self.beats_made = Counter("beatbot_beats_made", "Beats made", **reg)
        self.wait = Histogram("beatbot_wait_seconds", "Time a job waited for a worker",
                              buckets=SECONDS_BUCKETS, **reg)
        self.make = Histogram("beatbot_make_seconds", "Time to make one beat",
                              buckets=SECONDS_BUCKETS, **reg)
        self.queue_depth = Gauge("beatbot_queue_depth", "Jobs queued or running", **reg)
        self.workers_alive = Gauge("beatbot_workers_alive", "Live workers", **reg)
        self.log_rows_waiting = Gauge("beatbot_log_rows_waiting",
                                      "Request-log rows waiting for the database", **reg)
        self.queue_reachable = Gauge("beatbot_queue_reachable", "1 while Redis answers", **reg)
        self._server = None

    def serve(self, port: int | None, address: str = "0.0.0.0") -> None:
        """Serve `/metrics` on `port` (on a thread of its own); None: don't."""
        if port is not None:
            self._server, _ = start_http_server(port, addr=address, registry=self.registry)

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count(self, outcome: str, wait_ms: float | None = None) -> None:
        """One request answered (its log row), with its queue wait if it got that far."""
        self.requests.labels(outcome).inc()
        if wait_ms is not None:
            self.wait.observe(wait_ms / 1000)

    def made(self, make_ms: float) -> None:
        """One beat made, in `make_ms` milliseconds."""
        self.beats_made.inc()
        self.make.observe(make_ms / 1000)

    def watch(self, gauge: Gauge, read: Callable[[], float]) -> None:
        """Read `gauge` from `read()` at each scrape."""
        gauge.set_function(read)


def healthy(port: int, host: str = "127.0.0.1") -> tuple[bool, str]:
    """Whether the process serving metrics on `port` says it is up, and why not.

    Returns:
        (True, "") or (False, one line saying what was wrong).
    """
    url = f"http://{host}:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_S) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as error:
        return False, f"no metrics at {url}: {error}"
    if UP_LINE not in text.splitlines():
        return False, f"{url} does not say {UP_LINE!r}"
    return True, ""
