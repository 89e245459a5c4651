"""`beatbot run` (cli.run): without a token, with bad settings or an unreachable log it stops
with one line that shows no secret; registering it loads no discord.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.postgres import free_port
from cli.common import UNCONFIGURED
from cli.main import build_parser, main

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.this-is-not-a-real-token-1234567890"
REPO = Path(__file__).resolve().parents[2]


def test_run_without_token_says_so_once_and_exits_0(no_token_env, capsys):
    """0, so that compose's `restart: on-failure` leaves it down instead of looping."""
    code = main(["run", "--env-file", "missing.env"])

    err = capsys.readouterr().err.strip()
    assert code == UNCONFIGURED == 0
    assert len(err.splitlines()) == 1
    assert "DISCORD_TOKEN" in err and ".env" in err and "beatbot beat" in err


def test_run_with_bad_settings_exits_0_with_the_line(no_token_env, monkeypatch, capsys):
    monkeypatch.setenv("BEATBOT_WORKERS", "0")
    assert main(["run"]) == UNCONFIGURED
    assert "bad settings" in capsys.readouterr().err


def test_an_unreachable_log_stops_beatbot_run_with_one_line_and_no_password(tmp_path):
    port = free_port()  # nothing listens there
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEATBOT_")}
    env.update({"DISCORD_TOKEN": FAKE_TOKEN, "BEATBOT_SYNC_COMMANDS": "false",
                "BEATBOT_DATABASE": str(tmp_path / "beatbot.db"),
                "BEATBOT_DATABASE_URL": f"postgresql://beatbot:s3cret@127.0.0.1:{port}/beatbot"})

    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--env-file", str(tmp_path / "none.env")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"beatbot: could not open the request log "
                           f"postgresql://beatbot:***@127.0.0.1:{port}/beatbot: ")
    assert "s3cret" not in result.stderr + result.stdout


def test_run_is_registered_without_importing_discord():
    args = build_parser().parse_args(["run"])
    assert args.func.__module__ == "cli.run"
    probe = "import sys, cli.main, cli.run; print('discord' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_settings_error_never_shows_any_part_of_the_token(no_token_env, monkeypatch, capsys):
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-part-of-the-token"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("BEATBOT_SHARD_COUNT", "2")
    monkeypatch.setenv("BEATBOT_SHARD_IDS", "0,5")

    assert main(["run", "--env-file", "/dev/null"]) == UNCONFIGURED

    err = capsys.readouterr().err
    assert "bad settings" in err and "shard id" in err and len(err.splitlines()) == 1
    assert token[:6] not in err and "input_value" not in err



def test_an_unopenable_sqlite_log_is_one_line_and_no_thread_traceback(
        no_token_env, monkeypatch, tmp_path, capsys):
    """Aiosqlite lets go of its connection thread after a failed connect without waiting for
    it; a thread slower than `asyncio.run`'s close printed `RuntimeError: Event loop is
    closed` after the one line (2 runs in 5 in the container). The stop is slowed here."""
    import threading
    import time

    import aiosqlite.core

    stop = aiosqlite.core.Connection.stop

    def slow_stop(self):
        self._tx.put_nowait((None, lambda: time.sleep(0.3)))  # the thread is busy a moment
        return stop(self)

    died: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(aiosqlite.core.Connection, "stop", slow_stop)
    monkeypatch.setattr(threading, "excepthook", died.append)
    env = tmp_path / "bot.env"
    env.write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nBEATBOT_SYNC_COMMANDS=false\n"
                   f"BEATBOT_DATABASE={tmp_path / 'no-such-folder' / 'beatbot.db'}\n")

    code = main(["run", "--env-file", str(env)])
    time.sleep(0.6)  # the slowed thread has finished by now, whatever it did

    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.splitlines()[-1].endswith("unable to open database file")
    assert "Traceback" not in err
    assert not died, died[0].exc_value
