"""`beatbot standardise` and `beatbot augment` (cli.data): each prints its report or count, and
a missing folder or a count below 1 is one line and exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli import data
from cli.main import main
from engine.data.standardise import StandardiseReport
from tests.engine.data import test_augment
from tests.engine.data.test_standardise import make_pack

loop_folder = test_augment.loop_folder
"""The augment tests' fixture: a folder of real .mid loops."""


def test_cli_standardise_prints_the_report(tmp_path: Path, capsys) -> None:
    make_pack(tmp_path / "pack")
    parser = argparse.ArgumentParser()
    data.add_parser(parser.add_subparsers())
    args = parser.parse_args(["standardise", str(tmp_path / "pack"), str(tmp_path / "out")])
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == str(StandardiseReport(2, 1, 1))
    missing = parser.parse_args(["standardise", str(tmp_path / "none"), str(tmp_path / "x")])
    assert missing.func(missing) == 2


def test_cli_augment_prints_the_count(loop_folder: Path, tmp_path: Path, capsys) -> None:
    parser = argparse.ArgumentParser()
    data.add_parser(parser.add_subparsers())
    dst = tmp_path / "cli"
    args = parser.parse_args(["augment", str(loop_folder), str(dst), "--count", "5", "--seed", "1"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == f"wrote 5 of 5 loops to {dst}"
    assert len(list(dst.glob("*.mid"))) == 5
    bad = parser.parse_args(["augment", str(loop_folder), str(dst), "--count", "0"])
    assert bad.func(bad) == 2


@pytest.mark.parametrize(("words", "line"), [
    (["standardise", "{tmp}/none", "{tmp}/out"], "no such folder: {tmp}/none"),
    (["augment", "{tmp}/none", "{tmp}/out"], "no such folder: {tmp}/none"),
    (["augment", "{tmp}", "{tmp}/out", "--count", "0"], "--count must be at least 1, not 0"),
    (["augment", "{tmp}", "{tmp}/out", "--count", "-3"], "--count must be at least 1, not -3"),
])
def test_what_cannot_run_is_one_line_and_exit_code_2(tmp_path, capsys, words, line):
    code = main([word.format(tmp=tmp_path) for word in words])

    assert code == 2
    assert capsys.readouterr().out == line.format(tmp=tmp_path) + "\n"
    assert not (tmp_path / "out").exists()


def test_augment_writes_a_thousand_unless_told():
    parser = argparse.ArgumentParser()
    data.add_parser(parser.add_subparsers())

    args = parser.parse_args(["augment", "src", "dst"])

    assert (args.count, args.seed) == (data.DEFAULT_AUGMENT_COUNT, 0) == (1000, 0)
    assert (args.src, args.dst, args.func) == (Path("src"), Path("dst"), data.run_augment)
