"""Settings from .env, `beatbot run` without a token, and the token never reaching the logs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import simcord

from bench.postgres import free_port
from bot.app import create_bot
from bot.settings import Settings
from cli.common import UNCONFIGURED
from cli.main import build_parser, main

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.this-is-not-a-real-token-1234567890"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_token_env(monkeypatch, tmp_path):
    for name in ("DISCORD_TOKEN", "BEATBOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_settings_read_env_file(tmp_path, no_token_env):
    env = tmp_path / "bot.env"
    env.write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nBEATBOT_WORKERS=3\nBEATBOT_COOLDOWN_S=5\n"
                   "BEATBOT_GUILD_ID=1234\nBEATBOT_PREFIX=?\n")

    settings = Settings(_env_file=env)

    assert settings.token.get_secret_value() == FAKE_TOKEN
    assert (settings.workers, settings.cooldown_s, settings.guild_id, settings.prefix) == (
        3, 5.0, 1234, "?")
    assert FAKE_TOKEN not in repr(settings) and FAKE_TOKEN not in str(settings)


def test_empty_lines_in_env_file_mean_defaults(tmp_path, no_token_env):
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=\nBEATBOT_GUILD_ID=\nBEATBOT_WORKERS=\n")

    settings = Settings(_env_file=env)

    assert (settings.token, settings.guild_id, settings.workers) == (None, None, 2)


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


async def test_token_never_appears_in_logs(tmp_path, maker, caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    try:
        settings = Settings(_env_file=None, token=FAKE_TOKEN, database=tmp_path / "b.db",
                            default_bars=1, cooldown_s=0)
        bot = await create_bot(settings, maker)
        async with simcord.run(bot, shard_count=1) as env:
            channel = env.create_guild().create_text_channel("beats")
            alice = env.guild.add_member(env.create_user("alice"))
            await alice.send(channel, "!beat seed=1")
            await alice.send(channel, "!beat bpm=nope")
            assert env.errors
        await bot.close()
    finally:
        root.removeHandler(handler)

    logged = stream.getvalue() + caplog.text
    assert "starting with" in logged and "**********" in logged  # settings were logged...
    assert FAKE_TOKEN not in logged  # ...without the token
    assert FAKE_TOKEN.split(".")[0] not in logged


async def test_refused_slash_sync_is_one_line_and_the_bot_runs_on(tmp_path, maker, caplog):
    settings = Settings(_env_file=None, database=tmp_path / "b.db", default_bars=1,
                        cooldown_s=0, guild_id=4242)  # a guild the bot is not in
    bot = await create_bot(settings, maker)
    caplog.set_level(logging.WARNING)
    run = simcord.run(bot, shard_count=1)
    run._env.inject_error("PUT", "/applications/*/guilds/4242/commands", status=403, code=50001,
                          message="Missing Access")  # what Discord says to a wrong guild id
    async with run as env:
        refused = [r for r in caplog.records if "refused the slash commands" in r.getMessage()]
        assert len(refused) == 1 and not refused[0].exc_info
        assert "\n" not in refused[0].getMessage() and "4242" in refused[0].getMessage()
        channel = env.create_guild().create_text_channel("beats")
        alice = env.guild.add_member(env.create_user("alice"))
        await alice.send(channel, "!beat seed=1")
        assert channel.last_message.attachments
    await bot.close()


def test_a_settings_error_never_shows_any_part_of_the_token(no_token_env, monkeypatch, capsys):
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-part-of-the-token"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("BEATBOT_SHARD_COUNT", "2")
    monkeypatch.setenv("BEATBOT_SHARD_IDS", "0,5")

    assert main(["run", "--env-file", "/dev/null"]) == UNCONFIGURED

    err = capsys.readouterr().err
    assert "bad settings" in err and "shard id" in err and len(err.splitlines()) == 1
    assert token[:6] not in err and "input_value" not in err


async def test_a_refused_sync_gives_the_servers_reason_first_and_whole(tmp_path, maker, caplog):
    settings = Settings(_env_file=None, database=tmp_path / "b.db", default_bars=1,
                        cooldown_s=0)
    bot = await create_bot(settings, maker)
    caplog.set_level(logging.WARNING)
    reason = ("Invalid Form Body In 0/options/0/type: must be equal to one of the allowed "
              "values (3, 4, 5) and 1/options/2/type: the same")
    run = simcord.run(bot, shard_count=1)
    run._env.inject_error("PUT", "/applications/*/commands", status=400, code=50035,
                          message=reason)
    async with run:
        line = next(r.getMessage() for r in caplog.records
                    if "refused the slash commands" in r.getMessage())
    await bot.close()
    assert "the same" in line and line.index("must be equal") < line.index("Likely fix")
    assert "BEATBOT_GUILD_ID" not in line and "option type" in line


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
