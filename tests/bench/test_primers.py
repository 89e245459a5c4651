"""The primer benchmark: every shape fits the attachment limit, each is answered with one line
or read, the worst is read within the limit, and the CLI refuses a 1 GB file unread."""

from __future__ import annotations

import json

from bench.primers import BASELINE, LIMIT_S, hostile_shapes
from cli.main import main
from engine.beat.request import PRIMER_MAX_BYTES

CLI_EXTRA_MB = 32
"""Most memory refusing a 1 GB primer may take beyond refusing a bad setting (before the
size was checked first, it took 1,000 MB more)."""


def test_every_shape_fits_the_attachment_limit():
    assert all(len(data) <= PRIMER_MAX_BYTES for data in hostile_shapes().values())


def test_the_worst_shape_is_read_within_the_limit_and_the_cli_refuses_unread(tmp_path, capsys):
    out = tmp_path / "primers.json"
    assert main(["bench", "--primers", "--repeats", "1", "--json", str(out)]) == 0

    result = json.loads(out.read_text())
    shapes = result["shapes"]
    assert shapes[BASELINE]["outcome"] == "read: 8 bars" and result["baseline_seconds"] > 0
    assert shapes["endless delta time"]["outcome"].endswith("damaged or cut short")
    assert shapes["20,000 notes"]["outcome"] == "read: 250 bars"
    assert max(figures["cpu_seconds"] for figures in shapes.values()) < LIMIT_S
    cli = result["cli"]
    assert cli["sparse_1gb"]["exit"] == 2 and "at most 256 KB" in cli["sparse_1gb"]["line"]
    assert cli["sparse_1gb"]["peak_mb"] < cli["baseline_bpm_500"]["peak_mb"] + CLI_EXTRA_MB
    assert "worst:" in capsys.readouterr().out

