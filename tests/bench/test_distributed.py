"""The distributed load benchmark, scaled down: real Redis, PostgreSQL and one worker; every
request answered once and logged once, and the figures the capacity plan reads are there."""

from __future__ import annotations

import os
import shutil

import pytest

from bench.distributed import measure_distributed
from bench.postgres import postgres_bin

pytestmark = pytest.mark.skipif(
    (shutil.which("redis-server") is None or postgres_bin() is None) and not os.environ.get("CI"),
    reason="needs redis-server and PostgreSQL (apt-get install redis-server postgresql); "
           "CI installs them and never skips")


async def test_scaled_down_distributed_load_answers_and_logs_every_request():
    result = await measure_distributed(requests=20, counts=(1,), queue_only_beats=4, rounds=1)

    (run,) = result["runs"]["1"]
    assert result["request_log"] == "postgresql"
    assert result["sent"] == result["answered"] == result["logged"] == 20
    assert result["answered_twice"] == 0 and run["answers_other"] == 0
    assert run["answers_beat"] and run["answers_beat"] + run["answers_busy"] == 20
    assert result["beats_per_s_by_workers"]["1"] > 0
    assert result["queue_only_beats_per_s_by_workers"]["1"] > 0
    assert run["worker_cpu_ms_per_beat"] > 0 and run["redis_commands_by_name"]["publish"] >= 1
