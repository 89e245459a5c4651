"""The `beatbot` console script (cli.main): every subcommand registered, `beat` settings read
on either side of its options, anything else left over refused, and nothing heavy loaded to
read the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import SUBCOMMANDS, build_parser, main
from engine.music.midi_io import read_midi

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {"beat": "cli.beat", "standardise": "cli.data", "augment": "cli.data",
            "train": "cli.train", "eval": "cli.evaluate", "bench": "cli.bench",
            "run": "cli.run", "worker": "cli.worker", "health": "cli.health"}
"""Each subcommand and the module that runs it."""


def test_every_subcommand_is_registered_and_run_by_its_module():
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]

    assert set(subparsers.choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        assert subparsers.choices[name].get_default("func").__module__ == module
    assert {module.__name__ for module in SUBCOMMANDS} == set(COMMANDS.values())


def test_settings_after_an_option_are_read(tmp_path, capsys):
    assert main(["beat", "bpm=85", "--out", str(tmp_path), "bars=2", "seed=3"]) == 0

    assert read_midi(tmp_path / "beat.mid").pattern.bars == 2
    assert "bpm=85" in capsys.readouterr().out


def test_an_unknown_option_is_still_refused(tmp_path):
    with pytest.raises(SystemExit) as refused:
        main(["beat", "--out", str(tmp_path), "--loud"])
    assert refused.value.code == 2


@pytest.mark.parametrize("argv", [
    [],  # no command
    ["nosuch"],
    ["augment", "src", "dst", "stray"],  # only `beat` takes words after its options
    ["beat", "bpm=85", "--out", "x", "bars=2", "--loud"],
])
def test_a_command_line_it_cannot_read_exits_2_with_the_usage(argv, capsys):
    with pytest.raises(SystemExit) as refused:
        main(argv)

    assert refused.value.code == 2
    assert capsys.readouterr().err.startswith("usage: beatbot")


def test_reading_the_command_line_loads_no_bot_model_or_synth():
    probe = ("import sys; from cli.main import build_parser; build_parser().parse_args(['beat']);"
             "print(sorted(m for m in ('discord', 'tensorflow', 'fluidsynth', 'sqlalchemy', "
             "'engine.beat.maker') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)

    assert done.stdout.strip() == "[]"
