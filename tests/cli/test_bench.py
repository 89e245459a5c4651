"""`beatbot bench` (cli.bench): its options, and --distributed refused without --load before
any benchmark starts (the benchmarks themselves are tested in tests/bench/)."""

from __future__ import annotations

import argparse
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
