"""`beatbot eval` (cli.evaluate): its options, and the table of figures with a column per
model (scoring itself is tested in tests/engine/training/test_evaluate.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli import evaluate
from engine.model.generator import DEFAULT_MODEL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beatbot")
    evaluate.add_parser(parser.add_subparsers())
    return parser


def test_eval_needs_data_and_scores_the_shipped_model_by_default():
    args = _parser().parse_args(["eval", "--data", "groove"])

    assert (args.data, args.model, args.wavenet, args.split) == (
        Path("groove"), DEFAULT_MODEL, None, "validation")
    assert (args.beats, args.seed, args.prior_weight, args.json, args.plots) == (
        1000, 0, None, None, None)
    assert args.func is evaluate.run


def test_eval_without_data_is_refused(capsys):
    with pytest.raises(SystemExit) as refused:
        _parser().parse_args(["eval"])
    assert refused.value.code == 2 and "--data" in capsys.readouterr().err


def test_one_model_is_one_column_of_rounded_figures(capsys):
    evaluate.print_table({"lstm": {"nll": 1.234567, "beats": 1000}})

    lines = capsys.readouterr().out.splitlines()
    assert lines == [" " * 32 + "lstm".rjust(12),
                     "nll".ljust(32) + "1.2346".rjust(12),
                     "beats".ljust(32) + "1000".rjust(12)]


def test_two_models_side_by_side_and_nested_figures_as_json_per_model(capsys):
    table = {"lstm": {"nll": 1.0, "density": {"kick": 0.123456, "snare": {"on_2": 0.5}}},
             "wavenet": {"nll": 2.5, "density": {"kick": 0.2}}}

    evaluate.print_table(table)

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["lstm", "wavenet"]
    assert lines[1].split() == ["nll", "1.0000", "2.5000"]
    assert lines[2] == "density (lstm)".ljust(32) + ' {"kick": 0.123, "snare": {"on_2": 0.5}}'
    assert lines[3] == "density (wavenet)".ljust(32) + ' {"kick": 0.2}'


def test_a_figure_one_model_lacks_shows_none(capsys):
    evaluate.print_table({"lstm": {"nll": 1.0}, "wavenet": {}})

    assert capsys.readouterr().out.splitlines()[1].split() == ["nll", "1.0000", "None"]
