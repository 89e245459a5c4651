"""The container's files agree with each other: what `.env.example` sets (copied to .env and
handed to `docker run --env-file` and compose's `env_file`), what the Dockerfile sets, and what
compose.yaml reads. docs/container.md has the checks with Docker itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _set_in_env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_env_example_overrides_nothing_the_image_sets():
    """`BEATBOT_DATABASE=beatbot.db` in .env.example beat the image's /data/beatbot.db, and
    the bot stopped: `unable to open database file` in /app."""
    image_env = set(re.findall(r"\b(BEATBOT_[A-Z_]+)=", _dockerfile()))
    assert image_env and not image_env & set(_set_in_env_example())


def test_a_relative_database_lands_in_the_image_data_folder():
    final_stage = _dockerfile().rsplit("\nFROM ", 1)[1]
    assert re.search(r"^WORKDIR /data$", final_stage, re.M)


def test_every_variable_compose_reads_is_in_env_example_with_no_silent_password():
    compose = (ROOT / "compose.yaml").read_text()
    read = set(re.findall(r"\$\{(\w+)", compose))
    assert read <= set(_set_in_env_example())
    assert "POSTGRES_PASSWORD:-" not in compose  # no default: compose says it is missing
    assert compose.count("${POSTGRES_PASSWORD:?") == 2


def test_no_anonymous_volumes():
    """`docker compose down` left one anonymous volume per bot and worker container."""
    assert not re.search(r"^VOLUME\b", _dockerfile(), re.M)
    compose = (ROOT / "compose.yaml").read_text()
    mounts = re.findall(r"^\s+- (\S+):(/\S+)", compose, re.M)
    named = re.search(r"^volumes:\n((?:  \S+:\n)+)", compose, re.M).group(1).split()
    assert mounts and all(f"{source}:" in named for source, _ in mounts)
    assert "tmpfs: [/data]" in compose  # Redis's own image declares VOLUME /data


def test_bot_and_workers_have_a_healthcheck_and_stay_down_when_unconfigured():
    assert re.search(r'^HEALTHCHECK .*\n\s+CMD \["python", "-m", "cli.health"\]', _dockerfile(),
                     re.M)
    compose = (ROOT / "compose.yaml").read_text()
    beatbot = compose.split("x-beatbot:", 1)[1].split("\nservices:", 1)[0]
    assert "restart: on-failure" in beatbot  # `beatbot run` without a token exits 0


def test_dependencies_are_installed_before_the_code_and_without_pyav():
    """A one-line change reinstalled every dependency (18 s), PyAV's FFmpeg among them
    (100 MB of a 297 MB layer); the sizes themselves are in docs/container.md."""
    import tomllib

    dockerfile = _dockerfile()
    assert dockerfile.index("COPY pyproject.toml") < dockerfile.index("COPY engine")
    assert "COPY . " not in dockerfile and "pip install ." not in dockerfile
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("av") for dep in project["dependencies"])
