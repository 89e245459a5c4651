"""`beatbot worker`: one line, and exit 0 without a queue (nothing a restart would change) or 1
when it can't reach it; the Redis password never shows."""

from __future__ import annotations

import os

import pytest

from bench.postgres import free_port
from cli.common import UNCONFIGURED
from cli.main import main


@pytest.fixture
def no_queue_env(monkeypatch, tmp_path):
    monkeypatch.delenv("BEATBOT_QUEUE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_worker_without_a_queue_says_how_to_set_one_and_exits_0(no_queue_env, capsys):
    code = main(["worker", "--env-file", os.devnull])

    assert code == UNCONFIGURED  # a restart can't help: compose's on-failure leaves it down
    assert capsys.readouterr().err == (
        "beatbot worker: no job queue: set BEATBOT_QUEUE_URL=redis://host:6379 (or --queue-url)\n")


def test_worker_with_an_unreachable_queue_is_one_line_without_the_password(
        no_queue_env, monkeypatch, capsys):
    monkeypatch.setenv("BEATBOT_QUEUE_URL", f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    monkeypatch.setattr("bot.jobs.worker.CONNECT_RETRIES", 0)  # give up at the first try

    code = main(["worker", "--env-file", os.devnull])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("beatbot worker: the job queue can't be reached: ")
    assert err.count("\n") == 1 and "s3cret" not in err
