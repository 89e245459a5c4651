"""`beatbot bench --load --distributed`: the load benchmark with beats made by worker processes.

It starts a private redis-server and a private PostgreSQL server (as the tests do), then
runs the load of `bench.load` (50 users, 500 `!beat` in bursts of 25 a second, through
simcord) against a bot whose beats go to the queue and whose request log is in PostgreSQL,
with 1 and with 2 `beatbot worker` processes (a fresh bot, workers and log database each
run). The runs go in pairs, 1 then 2 workers and 2 then 1 by turns (ABBA ABBA), so that a
slow or fast spell of this shared machine, which moves a worker's CPU per beat by a fifth,
falls on both worker counts alike. A pair during which the virtual machine's host stole
more than STEAL_LIMIT cores is set aside (`disturbed_pairs`) and run again. The cooldown
is off, so that the line in front of the workers stays full and beats per second measure
the workers, not the users' rate. Without PostgreSQL installed the log is SQLite
(`request_log` says which).

Figures:
- beats_per_s_by_workers: beats posted per second, keyed by worker count (all the beats of
  that count's kept runs over their summed time); ratio_2_to_1; ratio_2_to_1_by_pair: each
  kept pair's ratio; disturbed_pairs: the ratio and the cores stolen in each run of every
  pair set aside (when every pair was disturbed, they are the ones counted);
- queue_only_beats_per_s_by_workers, queue_only_ratio_2_to_1: the same workers with no bot
  and no simcord: QUEUE_ONLY_BEATS 8-bar beats sent at once straight through `RedisJobs`;
- sent, answered, logged, answered_twice: summed over every run, kept or not (each
  request is answered and logged exactly once when answered == logged == sent and
  answered_twice == 0);
- per run (runs[count] and disturbed_runs[count], lists in the order run): bench.load's
  figures, plus the CPU seconds of the bot process and of the workers, and Redis commands
  (all clients) per request, per beat and by command;
  worker_cores_used, bot_cores_used and machine_cores_busy (every process on the machine,
  other people's too) say how much CPU there was to go round, and machine_cores_stolen how
  much of it the virtual machine's host kept for others (steal time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from pydantic import SecretStr

from bench.load import REQUESTS, measure_load
from bench.postgres import PostgresServer, postgres_bin
from bench.servers import RedisServer, WorkerProcess
from bot.jobs import RedisJobs
from bot.settings import Settings
from engine.beat.maker import BeatMaker
from engine.beat.request import BeatRequest
from engine.music.drums import DEFAULT_BARS

WORKER_COUNTS = (1, 2)
TICK_S = 0.05
"""The lag ticker's sleep here: every wake-up costs the bot process CPU (simcord settles the
loop each time), which the workers on the same cores would otherwise lose."""
QUEUE_ONLY_BEATS = 40
PAIRS = 4
"""Pairs of runs kept: 1 then 2 workers, 2 then 1, and again (ABBA ABBA)."""
STEAL_LIMIT = 0.1
"""A pair is set aside and run again when either run lost more than this many cores, on
average, to the virtual machine's host (steal time): the host's other guests are not what
this measures, and a stolen core is one the two workers could not have."""
EXTRA_PAIRS = 4
"""Most pairs run again in place of disturbed ones; past that the disturbed pairs count."""


def run_distributed(requests: int = REQUESTS, counts: tuple[int, ...] = WORKER_COUNTS,
                    queue_only_beats: int = QUEUE_ONLY_BEATS, pairs: int = PAIRS,
                    extra_pairs: int = EXTRA_PAIRS) -> dict:
    """Run the distributed load benchmark in a fresh event loop (see the module)."""
    return asyncio.run(measure_distributed(requests, counts, queue_only_beats, pairs,
                                           extra_pairs))


async def measure_distributed(requests: int = REQUESTS, counts: tuple[int, ...] = WORKER_COUNTS,
                              queue_only_beats: int = QUEUE_ONLY_BEATS, pairs: int = PAIRS,
                              extra_pairs: int = EXTRA_PAIRS) -> dict:
    """One private Redis (and PostgreSQL); `pairs` groups of one run per worker count, in
    `counts` order and reversed by turns (ABBA), each group run again when the host stole
    cores during it (up to `extra_pairs` times); the figures."""
    maker = await asyncio.to_thread(BeatMaker.load)
    kept: list[list[dict[str, Any]]] = []
    disturbed: list[list[dict[str, Any]]] = []
    with contextlib.ExitStack() as servers:
        folder = Path(servers.enter_context(tempfile.TemporaryDirectory()))
        redis = servers.enter_context(RedisServer(folder / "redis"))
        postgres = servers.enter_context(PostgresServer()) if postgres_bin() else None
        numbers = itertools.count()
        while len(kept) < pairs and len(disturbed) <= extra_pairs:
            group = []
            for count in counts if len(kept) % 2 == 0 else reversed(counts):
                n = next(numbers)
                log = {"database_url": SecretStr(postgres.create_database(f"load{n}"))
                       } if postgres else {}
                group.append(await _run(redis, count, requests, maker, folder, log,
                                        queue_only_beats, n))
            stolen = max(run["machine_cores_stolen"] for run in group)
            (kept if stolen <= STEAL_LIMIT else disturbed).append(group)
        version = redis.client().info("server")["redis_version"]
    return summary(kept or disturbed, disturbed if kept else [], version,
                   "postgresql" if postgres else "sqlite")


async def _run(server: RedisServer, count: int, requests: int, maker: BeatMaker,
               folder: Path, log: dict[str, Any], queue_only_beats: int,
               run: int) -> dict[str, Any]:
    """The load against `count` fresh workers on an emptied Redis (`log`: where the request
    log goes, as Settings fields; `run`: the run's place in the order)."""
    with server.client() as client:
        client.flushall()
    workers = [WorkerProcess(server.url, f"bench{run}-{n}", folder / f"w{run}-{n}.log")
               for n in range(count)]
    await asyncio.to_thread(lambda: [worker.start() for worker in workers])
    try:
        commands_before, stats_before = _commands(server), _command_stats(server)
        cpu_before = [_cpu_s(worker) for worker in workers], time.process_time()
        machine_before = _machine_s()
        figures = await measure_load(requests=requests, maker=maker, cooldown_s=0,
                                     tick_s=TICK_S, queue_url=SecretStr(server.url), **log)
        worker_cpu_s = sum(_cpu_s(w) for w in workers) - sum(cpu_before[0])
        figures["bot_cpu_s"] = time.process_time() - cpu_before[1]
        figures["worker_cpu_s"] = worker_cpu_s
        commands = _commands(server) - commands_before
        busy_s, stolen_s = (after - before for after, before in zip(_machine_s(), machine_before,
                                                                    strict=True))
        figures["queue_only_beats_per_s"] = await _queue_only(server, queue_only_beats)
        stats = _command_stats(server)
        by_command = {name: calls - stats_before.get(name, 0) for name, calls in stats.items()}
    finally:
        await asyncio.to_thread(lambda: [worker.stop() for worker in workers])
    beats = figures["answers_beat"]
    elapsed_s = max(figures["elapsed_s"], 1e-9)
    figures.update(worker_cores_used=worker_cpu_s / elapsed_s,
                   bot_cores_used=figures["bot_cpu_s"] / elapsed_s,
                   machine_cores_busy=busy_s / elapsed_s, machine_cores_stolen=stolen_s / elapsed_s,
                   machine_cores=psutil.cpu_count())
    figures["redis_commands_by_name"] = {name: calls for name, calls in sorted(
        by_command.items(), key=lambda item: -item[1]) if calls}
    figures.update(worker_processes=count, redis_commands=commands,
                   redis_commands_per_request=commands / max(1, figures["sent"]),
                   redis_commands_per_beat=commands / max(1, beats),
                   worker_cpu_ms_per_beat=1000 * worker_cpu_s / max(1, beats),
                   bot_cpu_ms_per_request=1000 * figures["bot_cpu_s"] / max(1, figures["sent"]))
    figures.pop("workers", None)  # the bot's thread count: unused with a queue
    return figures


async def _queue_only(server: RedisServer, beats: int) -> float:
    """Beats per second made by the running workers for a client with no bot around it."""
    settings = Settings(_env_file=None, queue_url=SecretStr(server.url), queue_size=beats,
                        cooldown_s=0)
    jobs = RedisJobs.connect(settings)
    try:
        start = time.perf_counter()
        await asyncio.gather(*(jobs.make(BeatRequest(bars=DEFAULT_BARS, seed=n))
                               for n in range(beats)))
        return beats / (time.perf_counter() - start)
    finally:
        await jobs.close()


def _cpu_s(worker: WorkerProcess) -> float:
    """CPU seconds a worker process and its finished children (ffmpeg) have used so far."""
    times = psutil.Process(worker.process.pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _machine_s() -> tuple[float, float]:
    """CPU seconds the whole machine has spent busy (every process, ours and others'), and
    those its host has stolen."""
    times = psutil.cpu_times()
    stolen = getattr(times, "steal", 0.0)
    return sum(times) - times.idle - getattr(times, "iowait", 0.0) - stolen, stolen


def _commands(server: RedisServer) -> int:
    with server.client() as client:
        return int(client.info("stats")["total_commands_processed"])


def _command_stats(server: RedisServer) -> dict[str, int]:
    """Calls so far of each Redis command (`INFO commandstats`), e.g. {"evalsha": 12}."""
    with server.client() as client:
        stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def summary(kept: list[list[dict[str, Any]]], disturbed: list[list[dict[str, Any]]],
            redis_version: str, request_log: str) -> dict[str, Any]:
    """The figures of the kept pairs of runs, with the disturbed ones listed (each pair: one
    run's figures per worker count)."""
    runs = _by_count(kept)
    rates = {count: sum(run["answers_beat"] for run in group)
             / max(1e-9, sum(run["elapsed_s"] for run in group)) for count, group in runs.items()}
    bare = {count: statistics.fmean(run["queue_only_beats_per_s"] for run in group)
            for count, group in runs.items()}
    figures: dict[str, Any] = {
        "queue": f"arq on redis-server {redis_version}", "request_log": request_log,
        "cooldown": "off", "order": "ABBA", "steal_limit_cores": STEAL_LIMIT,
        "beats_per_s_by_workers": rates, "ratio_2_to_1": _ratio(rates),
        "ratio_2_to_1_by_pair": [_pair_ratio(group) for group in kept],
        "disturbed_pairs": [{"ratio_2_to_1": _pair_ratio(group),
                             "cores_stolen": [run["machine_cores_stolen"] for run in group]}
                            for group in disturbed],
        "queue_only_beats_per_s_by_workers": bare, "queue_only_ratio_2_to_1": _ratio(bare),
    }
    for key in ("sent", "answered", "logged", "answered_twice"):
        figures[key] = sum(run[key] for group in kept + disturbed for run in group)
    figures["runs"] = runs
    figures["disturbed_runs"] = _by_count(disturbed)
    return figures


def _by_count(groups: list[list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for group in groups:
        for run in group:
            runs.setdefault(str(run["worker_processes"]), []).append(run)
    return runs


def _pair_ratio(group: list[dict[str, Any]]) -> float | None:
    return _ratio({str(run["worker_processes"]): run["beats_per_s"] for run in group})


def _ratio(rates: dict[str, float]) -> float | None:
    return rates["2"] / rates["1"] if rates.get("1") and "2" in rates else None
