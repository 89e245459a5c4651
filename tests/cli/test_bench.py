"""`beatbot bench` (cli.bench): its options, --distributed refused without --load before any
benchmark starts, and the bench installed apart from the checkout (as pip puts it in
site-packages, where no soundfonts/ sits beside the code) reading its kits from
BEATBOT_SOUNDFONT_DIR (the benchmarks themselves are tested in tests/bench/)."""


from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli import bench
from cli.main import main


def _parse(*words: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="beatbot")
    bench.add_parser(parser.add_subparsers())
    return parser.parse_args(["bench", *words])


@pytest.mark.parametrize(("words", "figures"), [
    ((), {"load": False, "distributed": False, "primers": False, "repeats": 30,
          "no_keras": False, "json": None}),
    (("--load", "--distributed", "--json", "out.json"),
     {"load": True, "distributed": True, "json": Path("out.json")}),
    (("--primers", "--repeats", "3", "--no-keras"),
     {"primers": True, "repeats": 3, "no_keras": True}),
])
def test_options(words, figures):
    args = _parse(*words)

    assert {key: getattr(args, key) for key in figures} == figures
    assert args.func is bench.run


def test_repeats_must_be_a_number(capsys):
    with pytest.raises(SystemExit) as refused:
        _parse("--repeats", "many")
    assert refused.value.code == 2 and "--repeats" in capsys.readouterr().err


def test_distributed_without_load_is_refused_before_any_benchmark(capsys):
    loaded = set(sys.modules)

    assert main(["bench", "--distributed"]) == 2

    assert capsys.readouterr().err == "beatbot bench: --distributed goes with --load\n"
    assert not {name for name in set(sys.modules) - loaded if name.startswith("bench")}


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
