"""`beatbot health` (the image's healthcheck): fresh heartbeat 0, stale or missing 1 with one
line; a real `beatbot worker` keeps its heartbeat while it runs and removes it when stopped."""

from __future__ import annotations

import os
import time

import pytest

from bench.servers import RedisServer, WorkerProcess
from bot.health import STALE_S
from cli.main import main


def test_a_fresh_heartbeat_is_healthy(tmp_path, monkeypatch, capsys):
    alive = tmp_path / "alive"
    alive.touch()
    monkeypatch.setenv("BEATBOT_HEALTH_FILE", str(alive))

    assert main(["health"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("age_s", "said"), [(STALE_S + 5, "s old"), (None, "no heartbeat")])
def test_a_stale_or_missing_heartbeat_is_one_line_and_1(age_s, said, tmp_path, capsys):
    alive = tmp_path / "alive"
    if age_s is not None:
        alive.touch()
        os.utime(alive, (time.time() - age_s,) * 2)

    assert main(["health", "--file", str(alive)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("beatbot health: ") and said in err and err.count("\n") == 1


def test_without_a_file_it_says_what_to_set(monkeypatch, capsys):
    monkeypatch.delenv("BEATBOT_HEALTH_FILE", raising=False)
    assert main(["health"]) == 1
    assert "BEATBOT_HEALTH_FILE" in capsys.readouterr().err


def test_a_running_worker_is_healthy_and_a_stopped_one_is_not(tmp_path, monkeypatch):
    alive = tmp_path / "alive"
    monkeypatch.setenv("BEATBOT_HEALTH_FILE", str(alive))
    with RedisServer(tmp_path / "redis") as redis:
        worker = WorkerProcess(redis.url, "w1", tmp_path / "w1.log",
                               env={"BEATBOT_HEALTH_FILE": str(alive)}).start()
        try:
            assert main(["health"]) == 0
        finally:
            code = worker.stop()
    assert code == 0
    assert main(["health"]) == 1  # the heartbeat went with the worker


def test_the_image_healthcheck_form_runs_alone(tmp_path):
    """`python -m cli.health`, what the Dockerfile's HEALTHCHECK runs."""
    import subprocess
    import sys
    from pathlib import Path

    alive = tmp_path / "alive"
    alive.touch()
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "cli.health", "--file", str(alive)], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
