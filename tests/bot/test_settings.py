"""Typed settings (bot.settings): read from the environment and `.env`, with every bad value
refused by name and the token kept secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.this-is-not-a-real-token-1234567890"


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


def test_shard_settings_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BEATBOT_SHARD_IDS", "2, 3")
    monkeypatch.setenv("BEATBOT_SHARD_COUNT", "4")

    settings = Settings(_env_file=None)

    assert (settings.shard_ids, settings.shard_count) == ([2, 3], 4)


@pytest.mark.parametrize(("fields", "message"), [
    ({"shard_ids": "0,1"}, "BEATBOT_SHARD_IDS needs BEATBOT_SHARD_COUNT"),
    ({"shard_ids": "0,4", "shard_count": 4}, "each shard id must be from 0 to 3"),
])
def test_bad_shard_settings_say_what_is_wrong(fields, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **fields)


def test_the_token_is_read_from_either_name(monkeypatch, no_token_env):
    monkeypatch.setenv("BEATBOT_TOKEN", FAKE_TOKEN)
    assert Settings(_env_file=None).token.get_secret_value() == FAKE_TOKEN


@pytest.mark.parametrize(("field", "value", "message"), [
    ("default_format", "flac", "must be one of mp3, ogg, wav"),
    ("log_level", "LOUD", "must be DEBUG, INFO"),
    ("workers", 0, "greater than or equal to 1"),
    ("workers", 33, "less than or equal to 32"),
    ("queue_size", -1, "greater than or equal to 0"),
    ("cooldown_s", -0.5, "greater than or equal to 0"),
    ("default_bpm", 39, "greater than or equal to 40"),
    ("default_bars", 65, "less than or equal to 64"),
    ("prefix", "", "at least 1 character"),
    ("prefix", "!!!!!!", "at most 5 characters"),
    ("shard_count", 0, "greater than or equal to 1"),
])
def test_bad_values_are_refused_by_name(field, value, message):
    with pytest.raises(ValidationError, match=message) as raised:
        Settings(_env_file=None, **{field: value})
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


@pytest.mark.parametrize(("field", "value", "kept"), [
    ("default_format", "OGG", "ogg"), ("log_level", "debug", "DEBUG"),
    ("workers", 32, 32), ("queue_size", 0, 0), ("default_bpm", 300, 300.0),
    ("default_bars", 1, 1), ("prefix", "?", "?"), ("shard_ids", "", []),
])
def test_good_values_are_kept_in_their_plain_form(field, value, kept):
    assert getattr(Settings(_env_file=None, **{field: value}), field) == kept


def test_the_log_is_the_sqlite_file_unless_a_database_url_is_set(tmp_path):
    url = "postgresql://beatbot:s3cret@db/beatbot"

    assert Settings(_env_file=None, database=tmp_path / "b.db").log_target == tmp_path / "b.db"
    shared = Settings(_env_file=None, database=tmp_path / "b.db", database_url=url)
    assert shared.log_target == url and "s3cret" not in repr(shared)
