"""What `run` and `worker` share (cli.common): one line on stderr and exit code 1, settings
whose errors name the setting and never its value, and one log format."""

from __future__ import annotations

import logging
import re

import pytest

from cli.common import fail, read_settings, setup_logging

SECRET = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-part-of-the-token"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No BEATBOT_ or token variables from the machine, and no stray .env."""
    import os

    for name in [n for n in os.environ if n.startswith("BEATBOT_")] + ["DISCORD_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("command", "shown"), [
    ("beatbot", "beatbot: the queue is down\n"),
    ("beatbot worker", "beatbot worker: the queue is down\n"),
])
def test_fail_says_one_line_on_stderr_and_returns_1(capsys, command, shown):
    assert fail("the queue is down", command) == 1

    out, err = capsys.readouterr()
    assert (out, err) == ("", shown)


def test_settings_come_from_the_env_file(clean_env, tmp_path, capsys):
    env = tmp_path / "bot.env"
    env.write_text("BEATBOT_WORKERS=5\nBEATBOT_PREFIX=?\n")

    settings = read_settings(str(env))

    assert (settings.workers, settings.prefix) == (5, "?")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("lines", "problems"), [
    ("BEATBOT_WORKERS=0\n", "workers: Input should be greater than or equal to 1"),
    ("BEATBOT_WORKERS=lots\nBEATBOT_LOG_LEVEL=LOUD\n",
     "workers: Input should be a valid integer, unable to parse string as an integer; "
     "log_level: must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    (f"DISCORD_TOKEN={SECRET}\nBEATBOT_SHARD_COUNT=2\nBEATBOT_SHARD_IDS=0,5\n",
     "settings: each shard id must be from 0 to 1"),
    ("BEATBOT_DEFAULT_FORMAT=flac\n", "default_format: must be one of mp3, ogg, wav"),
])
def test_bad_settings_are_one_line_naming_each_setting_and_no_value(clean_env, tmp_path,
                                                                     capsys, lines, problems):
    env = tmp_path / "bad.env"
    env.write_text(lines)

    assert read_settings(str(env), "beatbot worker") is None

    err = capsys.readouterr().err
    assert err == f"beatbot worker: bad settings: {problems}\n"
    assert "lots" not in err and "flac" not in err and SECRET[:6] not in err


def test_logging_goes_to_stderr_from_every_logger_at_the_level_asked(capsys):
    root = logging.getLogger()
    kept = (root.level, list(root.handlers))
    try:
        setup_logging("WARNING")
        logging.getLogger("bot.jobs.worker").info("not shown")
        logging.getLogger("bot.jobs.worker").warning("the queue is slow")
    finally:
        root.handlers[:] = kept[1]
        root.setLevel(kept[0])

    (line,) = capsys.readouterr().err.splitlines()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", line)  # colour, where the terminal has it
    words = [word.strip("[]:") for word in plain.split() if word.strip("[]:")]
    assert words[-6:] == ["WARNING", "bot.jobs.worker", "the", "queue", "is", "slow"]
