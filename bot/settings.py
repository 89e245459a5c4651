"""Typed settings, read from the environment or a `.env` file (prefix `BEATBOT_`)."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.beat.request import ANY_STYLE, AUDIO_FORMATS, AUTO_KIT, BARS_RANGE, BPM_RANGE
from engine.music.drums import DEFAULT_BARS, DEFAULT_BPM

TOKEN_HELP = (
    "No Discord token: put DISCORD_TOKEN=... in .env (or the environment) to run the bot; "
    "`beatbot beat ...` works offline without one."
)


class Settings(BaseSettings):
    """Everything the bot can be told at start-up.

    Every field reads `BEATBOT_<NAME>` (e.g. `BEATBOT_WORKERS=4`); the token reads
    `DISCORD_TOKEN` (or `BEATBOT_TOKEN`).
    """

    model_config = SettingsConfigDict(
        env_prefix="BEATBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        populate_by_name=True, env_ignore_empty=True,
    )

    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "BEATBOT_TOKEN")
    )
    database: Path = Path("beatbot.db")
    database_url: SecretStr | None = Field(
        default=None, description="postgresql://...: a log shared by every bot process")
    workers: int = Field(default=2, ge=1, le=32, description="beats made at once")
    queue_size: int = Field(default=8, ge=0, le=1000, description="requests that may wait")
    cooldown_rate: int = Field(default=3, ge=1, description="beats per user per cooldown window")
    cooldown_s: float = Field(default=30.0, ge=0, description="cooldown window; 0 turns it off")
    default_bpm: float = Field(default=DEFAULT_BPM, ge=BPM_RANGE[0], le=BPM_RANGE[1])
    default_bars: int = Field(default=DEFAULT_BARS, ge=BARS_RANGE[0], le=BARS_RANGE[1])
    default_style: str = ANY_STYLE
    default_kit: str = AUTO_KIT
    default_format: str = "mp3"
    prefix: str = Field(default="!", min_length=1, max_length=5)
    guild_id: int | None = Field(default=None, description="sync slash commands to this guild")
    sync_commands: bool = True
    model_path: Path | None = None
    soundfont_dir: Path | None = None
    log_level: str = "INFO"
    queue_url: SecretStr | None = Field(default=None, description="redis://...: use workers")
    shard_count: int | None = Field(default=None, ge=1, description="shards in all; None: ask")
    shard_ids: list[int] | None = Field(default=None, description="this process's shards")
    metrics_port: int | None = Field(default=None, ge=1, le=65535,
                                     description="serve Prometheus metrics here; None: off")

    @property
    def log_target(self) -> Path | str:
        """Where the request log lives: the database URL when set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.database

    @field_validator("default_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in AUDIO_FORMATS:
            raise ValueError(f"must be one of {', '.join(AUDIO_FORMATS)}")
        return value.lower()

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """Read `0,1` (the environment's form) as a list of ids."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("BEATBOT_SHARD_IDS needs BEATBOT_SHARD_COUNT")
        if self.shard_ids and not all(0 <= i < self.shard_count for i in self.shard_ids):
            raise ValueError(f"each shard id must be from 0 to {self.shard_count - 1}")
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()
