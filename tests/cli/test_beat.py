"""`beatbot beat`: files, one summary line per beat, and the bot's one-line errors."""

from __future__ import annotations

import subprocess
import sys


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
