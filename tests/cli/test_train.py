"""`beatbot train --data DIR` on the folders producers keep: short loops, DAW drum clips."""

from __future__ import annotations

import pytest

from cli.main import main
from engine.model.lstm import DrumLSTM
from tests.midi_fixtures import drum_file

pytest.importorskip("tensorflow", reason="training needs the [train] extra")


def _clip(bars: int, variant: int) -> bytes:
    """A type-0 drum loop on MIDI channel 1 (as DAWs export clips): kick, snare, hats."""
    hits = []
    for beat in range(4 * bars):
        hits += [(beat, 36 if beat % 2 == 0 else 38, 100), (beat + 0.5, 42, 70)]
        if (beat + variant) % 7 == 0:
            hits.append((beat + 0.75, 36, 80))
    return drum_file(sorted(hits), file_type=0, channel=0, meter=None)


def test_a_folder_of_31_short_loops_trains(tmp_path, capsys):
    loops = tmp_path / "loops"
    loops.mkdir()
    for i in range(31):
        (loops / f"loop_{i:02d}.mid").write_bytes(_clip(2 + i % 7, i))
    out = tmp_path / "model.npz"

    code = main(["train", "--data", str(loops), "--config", "tiny", "--epochs", "1",
                 "--no-trap", "--run-dir", str(tmp_path / "run"), "--out", str(out)])

    assert code == 0, capsys.readouterr().err
    assert DrumLSTM.load(out).meta["train_files"] >= 25
    assert "model written to" in capsys.readouterr().out


def test_a_folder_too_small_to_validate_is_one_line(tmp_path, capsys):
    loops = tmp_path / "one"
    loops.mkdir()
    (loops / "only.mid").write_bytes(_clip(2, 0))

    code = main(["train", "--data", str(loops), "--config", "tiny", "--epochs", "1",
                 "--no-trap", "--run-dir", str(tmp_path / "run"), "--out",
                 str(tmp_path / "m.npz")])

    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "validation" in err and "at least 2" in err
