"""`beatbot bench` installed apart from the checkout (as pip puts it in site-packages, where
no soundfonts/ sits beside the code) reads its kits from BEATBOT_SOUNDFONT_DIR."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_outside_the_checkout_reads_beatbot_soundfont_dir(tmp_path):
    site = tmp_path / "site-packages"
    for package in ("bench", "bot", "cli", "engine"):
        shutil.copytree(ROOT / package, site / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site),
           "BEATBOT_SOUNDFONT_DIR": str(ROOT / "soundfonts")}

    done = subprocess.run([sys.executable, "-m", "cli.main", "bench", "--no-keras",
                           "--repeats", "1", "--json", str(tmp_path / "bench.json")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "bench.json").read_text())["e2e_ms_p50"] > 0
