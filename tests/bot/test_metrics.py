"""Prometheus metrics: the bot's and a real worker's endpoints count what happened, and
`beatbot health` reads them (0 when the process is up, 1 with one line otherwise)."""

from __future__ import annotations

import asyncio
import os
import urllib.request

import pytest
from pydantic import SecretStr

from bench.postgres import free_port
from cli.main import main
from tests.bot.jobs.test_redis_queue import redis_server  # noqa: F401 F811 - the fixture

PORT = free_port()


def _scrape(port: int) -> dict[str, float]:
    """The samples of an endpoint, by name with labels (`beatbot_requests_total{...}`)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in lines if line and not line.startswith("#")}


@pytest.mark.bot_settings(metrics_port=PORT, cooldown_s=60, cooldown_rate=1)
async def test_the_bot_counts_requests_by_outcome_and_says_it_is_up(simcord_env, channel,
                                                                     alice, capsys):
    await alice.send(channel, "!beat")
    await alice.send(channel, "!beat")  # over the rate

    seen = await asyncio.to_thread(_scrape, PORT)
    assert seen['beatbot_requests_total{outcome="ok"}'] == 1
    assert seen['beatbot_requests_total{outcome="cooldown"}'] == 1
    assert seen["beatbot_beats_made_total"] == 1 and seen["beatbot_make_seconds_count"] == 1
    assert seen["beatbot_up"] == 1 and seen["beatbot_log_rows_waiting"] == 0
    assert seen["beatbot_workers_alive"] == 2  # the thread pool's slots
    assert await asyncio.to_thread(main, ["health", "--port", str(PORT)]) == 0
    simcord_env.errors  # noqa: B018 - the cooldown refusal is an error to simcord


def test_health_without_an_endpoint_is_one_line(capsys):
    code = main(["health", "--env-file", os.devnull, "--port", str(free_port())])

    err = capsys.readouterr().err
    assert code == 1 and err.startswith("beatbot health: no metrics at http://127.0.0.1:")
    assert err.count("\n") == 1


def test_health_without_a_port_says_how_to_set_one(monkeypatch, capsys):
    monkeypatch.delenv("BEATBOT_METRICS_PORT", raising=False)

    code = main(["health", "--env-file", os.devnull])

    assert code == 1
    assert "set BEATBOT_METRICS_PORT" in capsys.readouterr().err


async def test_a_worker_counts_its_beats_and_the_queue(redis_server, tmp_path,  # noqa: F811
                                                       settings):
    from bench.servers import WorkerProcess
    from bot.jobs import RedisJobs
    from engine.beat.request import BeatRequest

    port = free_port()
    worker = WorkerProcess(redis_server.url, "w1", tmp_path / "w1.log",
                           env={"BEATBOT_METRICS_PORT": str(port)})
    await asyncio.to_thread(worker.start)
    jobs = RedisJobs.connect(settings.model_copy(
        update={"queue_url": SecretStr(redis_server.url)}))
    try:
        await jobs.make(BeatRequest(bars=1, seed=2))
        await asyncio.sleep(1.5)  # a heartbeat reads the queue
        seen = await asyncio.to_thread(_scrape, port)
        health = await asyncio.to_thread(main, ["health", "--port", str(port)])
    finally:
        await jobs.close()
        await asyncio.to_thread(worker.stop)

    assert seen["beatbot_beats_made_total"] == 1 and seen["beatbot_wait_seconds_count"] == 1
    assert seen["beatbot_workers_alive"] == 1 and seen["beatbot_queue_reachable"] == 1
    assert seen["beatbot_queue_depth"] == 0 and seen["beatbot_up"] == 1
    assert health == 0
