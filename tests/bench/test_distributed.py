"""The distributed load benchmark, scaled down: real Redis, PostgreSQL and one worker; every
request answered once and logged once, and the figures the capacity plan reads are there."""

from __future__ import annotations

import os
import shutil

import pytest

from bench.distributed import measure_distributed, summary
from bench.postgres import postgres_bin

needs_servers = pytest.mark.skipif(
    (shutil.which("redis-server") is None or postgres_bin() is None) and not os.environ.get("CI"),
    reason="needs redis-server and PostgreSQL (apt-get install redis-server postgresql); "
           "CI installs them and never skips")


@needs_servers
async def test_scaled_down_distributed_load_answers_and_logs_every_request():
    result = await measure_distributed(requests=20, counts=(1,), queue_only_beats=4, pairs=1,
                                       extra_pairs=0)

    (run,) = result["runs"]["1"]
    assert result["request_log"] == "postgresql"
    assert result["sent"] == result["answered"] == result["logged"] == 20
    assert result["answered_twice"] == 0 and run["answers_other"] == 0
    assert run["answers_beat"] and run["answers_beat"] + run["answers_busy"] == 20
    assert result["beats_per_s_by_workers"]["1"] > 0
    assert result["queue_only_beats_per_s_by_workers"]["1"] > 0
    assert run["worker_cpu_ms_per_beat"] > 0 and run["redis_commands_by_name"]["publish"] >= 1


def _run(workers: int, beats: int, stolen: float) -> dict:
    return {"worker_processes": workers, "answers_beat": beats, "elapsed_s": 10.0,
            "beats_per_s": beats / 10.0, "queue_only_beats_per_s": 1.0,
            "machine_cores_stolen": stolen, "sent": 100, "answered": 100, "logged": 100,
            "answered_twice": 0}


def test_summary_counts_kept_pairs_and_lists_disturbed_ones():
    kept = [[_run(1, 50, 0.0), _run(2, 90, 0.02)], [_run(2, 80, 0.0), _run(1, 50, 0.01)]]
    disturbed = [[_run(1, 50, 0.0), _run(2, 40, 0.4)]]

    result = summary(kept, disturbed, "7.0", "postgresql")

    assert result["beats_per_s_by_workers"] == {"1": 5.0, "2": 8.5}
    assert result["ratio_2_to_1"] == pytest.approx(1.7)
    assert result["ratio_2_to_1_by_pair"] == pytest.approx([1.8, 1.6])
    assert result["disturbed_pairs"] == [{"ratio_2_to_1": pytest.approx(0.8),
                                          "cores_stolen": [0.0, 0.4]}]
    assert [len(result["runs"][k]) for k in ("1", "2")] == [2, 2]
    assert len(result["disturbed_runs"]["2"]) == 1
    assert result["sent"] == result["logged"] == 600
