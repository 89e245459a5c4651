"""`beatbot beat`: files, one summary line per beat, and the bot's one-line errors (exit
code 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from cli.main import main
from engine.beat.request import PRIMER_MAX_BYTES
from engine.music.midi_io import read_midi
from tests.midi_fixtures import drum_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("setting", ["bars=²", "seed=¹", "bpm=８５", "bars=1_0", "swing=1e1"])
def test_odd_digits_give_one_line_and_exit_2(setting, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "cli.main", "beat", setting, "--out",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=ROOT)

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("beatbot: `")
    assert "Traceback" not in done.stderr and "Error" not in done.stderr


def test_a_drum_clip_on_channel_1_is_continued_and_said_so(tmp_path, capsys):
    clip = tmp_path / "clip.mid"
    clip.write_bytes(drum_file([(b, 36 if b % 2 == 0 else 38, 110) for b in range(8)]
                               + [(b / 2, 42, 80) for b in range(16)], file_type=0, channel=0,
                               meter=None))

    assert main(["beat", "bars=1", "seed=1", "--primer", str(clip), "--out", str(tmp_path)]) == 0

    assert read_midi(tmp_path / "beat.mid").pattern.bars == 3
    assert "channel 1 was read as drums" in capsys.readouterr().out


def test_a_missing_primer_is_one_line_without_python_names(tmp_path, capsys):
    code = main(["beat", "--primer", str(tmp_path / "nope.mid"), "--out", str(tmp_path)])

    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "no such file" in err and "Error" not in err and "Errno" not in err


SIZE_CHECK_MEMORY_BYTES = 4 * 2**20
"""Most memory refusing an oversized primer may take (the file is never read)."""


def _refused_primer(path: Path, out: Path, capsys) -> tuple[int, str, int]:
    """Run `beat --primer path`; return the exit code, stderr and peak traced memory."""
    tracemalloc.start()
    try:
        code = main(["beat", "--primer", str(path), "--out", str(out)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return code, capsys.readouterr().err.strip(), peak


def test_a_huge_primer_is_refused_before_it_is_read(tmp_path, capsys):
    """Issue 13: a 1 GB sparse file was read whole (3.3 s, 1.16 GB) before its size was
    checked; now its size is checked first (64 MB here keeps the failing run small)."""
    huge = tmp_path / "huge.mid"
    with huge.open("wb") as file:
        file.truncate(64 * 2**20)

    code, err, peak = _refused_primer(huge, tmp_path, capsys)

    assert code == 2 and len(err.splitlines()) == 1
    assert err == ("beatbot: `primer` can't be `65536 KB`: use a MIDI file of at most "
                   f"{PRIMER_MAX_BYTES // 1024} KB.")
    assert peak < SIZE_CHECK_MEMORY_BYTES, f"{peak / 2**20:.1f} MB"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_primer_without_a_size_is_read_no_further_than_the_limit(tmp_path, capsys):
    """A device or pipe says it is 0 bytes; reading stops one byte past the limit."""
    code, err, peak = _refused_primer(Path("/dev/zero"), tmp_path, capsys)

    assert code == 2 and f"at most {PRIMER_MAX_BYTES // 1024} KB" in err
    assert peak < SIZE_CHECK_MEMORY_BYTES


def test_an_unwritable_out_folder_is_exit_1_and_says_what_to_do(tmp_path, capsys):
    """Not the request's fault (exit 2 is for those): a file that can't be written."""
    (tmp_path / "beat.mid").mkdir()  # stands in for a folder of another owner: root writes
    # anywhere else
    code = main(["beat", "bars=1", "--out", str(tmp_path)])

    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith(f"beatbot: {tmp_path / 'beat.mid'}: is a directory")


def test_a_permission_error_names_the_uid_and_the_docker_way(monkeypatch, tmp_path, capsys):
    def refuse(path, data):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    code = main(["beat", "bars=1", "--out", str(tmp_path)])

    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert f"{tmp_path / 'beat.mid'}: permission denied; this runs as uid {os.getuid()}" in err
    assert '--user "$(id -u):$(id -g)"' in err and "Errno" not in err


def test_a_damaged_model_is_one_line_without_python_names(tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")

    code = main(["beat", "--model", str(junk), "--out", str(tmp_path)])

    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "unreadable" in err
    assert not any(name in err for name in ("Error", "Exception", "Errno"))


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "beat", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_the_cli_writes_numbered_files_and_one_line_each(tmp_path):
    result = _cli("bpm=85", "bars=2", "style=trap", "seed=7", "--out", str(tmp_path),
                  "--count", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and "seed=7" in lines[0] and "seed=8" in lines[1]
    assert "kit=808" in lines[0] and "generate=" in lines[0]
    for n in (1, 2):
        for ext in ("mid", "mp3", "png"):
            assert (tmp_path / f"beat_{n:02d}.{ext}").stat().st_size > 0


def test_the_cli_gives_the_bots_one_line_errors(tmp_path):
    result = _cli("bpm=500", "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "beatbot: `bpm` can't be `500`: use a number from 40 to 300."


def test_stems_write_a_zip_beside_the_other_files(tmp_path, capsys):
    import zipfile

    assert main(["beat", "bars=1", "seed=2", "style=trap", "--stems", "--out", str(tmp_path)]) == 0

    names = zipfile.ZipFile(tmp_path / "beat_stems.zip").namelist()
    assert "stems.mid" in names and "kick.mp3" in names
    assert "beat_stems.zip" in capsys.readouterr().out


def test_follow_makes_drums_for_a_bass_line_for_its_length(tmp_path, capsys):
    bass = tmp_path / "bass.mid"
    bass.write_bytes(drum_file([(b, 40, 90) for b in (0, 1.5, 2, 3, 4, 5.5, 6, 7)], channel=0,
                               track_name="Bass", length_beats=8))

    assert main(["beat", "--follow", str(bass), "--out", str(tmp_path), "seed=2",
                 "busy=0.5", "loud=0.8"]) == 0

    assert read_midi(tmp_path / "beat.mid").pattern.bars == 2
    assert "follow your file's rhythm for its 2 bars" in capsys.readouterr().out


def test_follow_refuses_a_file_without_notes_in_one_line(tmp_path, capsys):
    empty = tmp_path / "empty.mid"
    empty.write_bytes(drum_file([], channel=0, length_beats=4))

    assert main(["beat", "--follow", str(empty), "--out", str(tmp_path)]) == 2

    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "no notes to follow" in lines[0]
