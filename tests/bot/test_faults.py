"""Faults: in each, the user gets one clear line, the request is logged, the next one is served.

Each fault is the real thing where that is cheap (a soundfont folder with a broken kit, a WAV
too large to send, a second SQLite connection holding the lock, simcord's HTTP fault injection, a
shut-down thread pool) and an injected exception where it is not (a renderer or a worker that
dies mid-job).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import simcord

from bench.postgres import free_port
from bot.app import LOG_RETRY_S, create_bot
from bot.requestlog import Database, RequestRecord
from engine.beat.maker import SOUNDFONT_DIR, BeatMaker
from engine.sound.kits import KITS_FILE, load_kits
from engine.sound.render import Renderer
from tests.bot.conftest import log_rows

FAILED_LINE = ("Your beat could not be made: something broke on my side (it has been logged). "
               "Please try again.")


def _beat_files(message) -> set[str]:
    return {attachment.filename for attachment in message.attachments}


def _bot_messages(env) -> list:
    return [m for m in env.http_requests if m.method == "POST" and m.path.endswith("/messages")]


@contextlib.asynccontextmanager
async def _running(settings, maker: BeatMaker) -> AsyncIterator[tuple]:
    """The bot with its own engine in simcord: (env, channel, alice)."""
    bot = await create_bot(settings, maker)
    try:
        async with simcord.run(bot, shard_count=1) as env:
            channel = env.create_guild().create_text_channel("beats")
            alice = env.guild.add_member(env.create_user("alice"))
            yield env, channel, alice
    finally:
        await bot.close()


def _kit_folder(folder: Path, soundfont: str, content: bytes | None) -> Path:
    """A soundfont folder whose kits all play `soundfont` (absent when content is None)."""
    folder.mkdir()
    kits = json.loads((SOUNDFONT_DIR / KITS_FILE).read_text(encoding="utf-8"))
    for kit in kits["kits"]:
        kit["soundfont"] = soundfont
    (folder / KITS_FILE).write_text(json.dumps(kits), encoding="utf-8")
    if content is not None:
        (folder / soundfont).write_bytes(content)
    return folder


# --- the soundfont ------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "why"), [(None, "is missing"),
                                              (b"RIFF\0\0\0\0not a soundfont" * 64,
                                               "is unreadable")], ids=["missing", "corrupt"])
async def test_broken_soundfont_still_posts_midi_and_says_audio_failed(
        maker, settings, db_path, tmp_path, content, why):
    kits = load_kits(_kit_folder(tmp_path / "kits", "drums.sf2", content))
    broken = BeatMaker(maker.generator, kits, Renderer(kits))  # the real model, broken kits

    async with _running(settings, broken) as (env, channel, alice):
        await alice.send(channel, "!beat seed=1")
        first = channel.last_message
        await alice.send(channel, "!beat seed=2")
        second = channel.last_message

    for message in (first, second):
        assert message.content.startswith("Audio failed (the soundfont of kit ")
        assert why in message.content and "\n" not in message.content
        assert message.content.endswith("; here are the MIDI and the grid.")
        assert _beat_files(message) == {"beat.mid", "grid.png"}
    rows = log_rows(db_path)
    assert [row["outcome"] for row in rows] == ["ok", "ok"]
    assert all(why in row["error"] for row in rows)


# --- audio too large -----------------------------------------------------------------------


async def test_a_wav_too_large_to_send_gives_the_midi_and_grid_with_one_line(
        simcord_env, channel, alice, db_path):
    await alice.send(channel, "!beat format=wav bars=1")
    fits = channel.last_message
    await alice.send(channel, "!beat bars=32 bpm=40 format=wav")  # 192 s: 8.5 MB even halved
    too_big = channel.last_message

    assert _beat_files(fits) == {"beat.wav", "beat.mid", "grid.png"}
    assert _beat_files(too_big) == {"beat.mid", "grid.png"}
    assert too_big.content.startswith("Audio failed (the WAV file does not fit in 8192 KB")
    assert "\n" not in too_big.content and len(too_big.content) <= 200
    rows = log_rows(db_path)
    assert [row["outcome"] for row in rows] == ["ok", "ok"]
    assert rows[0]["error"] is None and "does not fit" in rows[1]["error"]


# --- the renderer and the workers ---------------------------------------------------------


async def test_renderer_raising_mid_job_is_one_line_then_the_next_beat_works(
        simcord_env, channel, alice, db_path, maker, monkeypatch, caplog):
    real_render = maker.renderer.render

    def crashing_render(*args, **kwargs):
        real_render(*args, **kwargs)  # the synth did its work, then something broke
        raise RuntimeError("the synth crashed mid-render")

    monkeypatch.setattr(maker.renderer, "render", crashing_render)
    await alice.send(channel, "!beat seed=3")
    failed = channel.last_message
    monkeypatch.setattr(maker.renderer, "render", real_render)
    await alice.send(channel, "!beat seed=3")

    assert failed.content == FAILED_LINE and not failed.attachments
    assert failed.reference is not None  # a reply to the request it answers
    assert _beat_files(channel.last_message) == {"beat.mp3", "beat.mid", "grid.png"}
    rows = log_rows(db_path)
    assert [row["outcome"] for row in rows] == ["failed", "ok"]
    assert rows[0]["error"] == "JobFailed: RuntimeError: the synth crashed mid-render"
    assert "unexpected error" in caplog.text and "the synth crashed" in caplog.text
    assert simcord_env.errors


@pytest.mark.parametrize("death", [SystemExit(3), KeyboardInterrupt(), GeneratorExit()],
                         ids=["SystemExit", "KeyboardInterrupt", "GeneratorExit"])
async def test_worker_dying_mid_job_is_one_line_then_the_next_beat_works(
        simcord_env, channel, alice, db_path, maker, monkeypatch, death):
    def dying_make(request):
        raise death

    monkeypatch.setattr(maker, "make", dying_make)
    await alice.send(channel, "!beat")
    failed = channel.last_message
    monkeypatch.undo()
    await alice.send(channel, "!beat")

    assert failed.content == FAILED_LINE
    assert channel.last_message.attachments
    rows = log_rows(db_path)
    assert [row["outcome"] for row in rows] == ["failed", "ok"]
    assert f"WorkerDied: the worker died: {type(death).__name__}" in rows[0]["error"]
    assert simcord_env.errors


@pytest.mark.simcord(settle_timeout=1.0)
@pytest.mark.bot_settings(workers=1)
async def test_executor_shut_down_mid_job_then_a_fresh_one_serves(
        simcord_env, channel, alice, db_path, caplog):
    bot = simcord_env.bot
    gate = threading.Event()
    blocker = bot.executor.submit(gate.wait)  # the one worker is busy: alice's job waits in it
    try:
        with pytest.raises(TimeoutError):
            await alice.send(channel, "!beat")
        bot.executor.shutdown(wait=False, cancel_futures=True)  # drops alice's waiting job
        await simcord_env.settle(timeout=10)
    finally:
        gate.set()
        await asyncio.wrap_future(blocker)
    failed = channel.last_message
    await alice.send(channel, "!beat")

    assert failed.content == FAILED_LINE
    assert channel.last_message.attachments  # served on a new executor
    assert "starting a new one" in caplog.text
    assert [row["outcome"] for row in log_rows(db_path)] == ["failed", "ok"]
    assert simcord_env.errors


# --- the request log ----------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path):
    """Another connection holding SQLite's write lock until the block ends."""
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


async def _read_only(database: Database, on: bool) -> None:
    """Make SQLite refuse writes on the log's one connection (root ignores chmod)."""
    async with database.engine.connect() as connection:
        await connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


async def test_locked_database_keeps_serving_and_writes_the_rows_later(
        simcord_env, channel, alice, db_path):
    database = simcord_env.bot.database
    await alice.send(channel, "!beat seed=1")
    with _locked(db_path):
        await alice.send(channel, "!beat seed=2")
        served = channel.last_message
        await alice.send(channel, "!beat bpm=fast")
        refused = channel.last_message
        assert [row["seed"] for row in log_rows(db_path)] == [1]  # readers still read (WAL)
        assert len(database.pending) == 2 and "locked" in database.outage
    await simcord_env.advance_time(LOG_RETRY_S)  # the retry loop writes them

    assert served.attachments and refused.content.startswith("`bpm` can't be `fast`")
    rows = log_rows(db_path)
    assert [(row["seed"], row["outcome"]) for row in rows] == [
        (1, "ok"), (2, "ok"), (None, "user_error")]
    assert database.pending == [] and database.outage is None
    assert simcord_env.errors


async def test_read_only_database_keeps_serving_and_catches_up_on_the_next_write(
        simcord_env, channel, alice, db_path):
    database = simcord_env.bot.database
    await _read_only(database, True)  # root ignores chmod, so SQLite is told instead
    await alice.send(channel, "!beat seed=1")
    await alice.send(channel, "!beat seed=2")
    assert log_rows(db_path) == [] and "readonly" in database.outage
    await _read_only(database, False)
    await alice.send(channel, "!beat seed=3")

    assert [row["seed"] for row in log_rows(db_path)] == [1, 2, 3]
    assert database.pending == []


async def test_rows_still_unwritable_at_close_are_kept_for_the_next_start(tmp_path, caplog):
    path = tmp_path / "log.db"
    database = await Database.open(path)
    records = [RequestRecord(user_id=n, guild_id=1, channel_id=2, source="prefix", seed=n,
                             outcome="ok", params={"bpm": float("nan")}) for n in (7, 8)]
    database.close_retries_s = ()  # one last try, no waiting
    with _locked(path):
        assert not await database.log(records[0])
        assert not await database.log(records[1])
        await database.close()
    spill = tmp_path / "log.db.unsaved.jsonl"
    assert len(spill.read_text().splitlines()) == 2 and "saved 2 rows" in caplog.text

    reopened = await Database.open(path)
    await reopened.close()

    assert [row["user_id"] for row in log_rows(path)] == [7, 8]
    assert not spill.exists()


# --- Discord refusing the upload ----------------------------------------------------------


@pytest.mark.parametrize("status", [413, 500])
async def test_refused_upload_is_retried_once_without_the_audio(simcord_env, channel, alice,
                                                                db_path, status):
    simcord_env.inject_error("POST", "/channels/*/messages", status=status, times=1)

    await alice.send(channel, "!beat seed=5")

    message = channel.last_message
    assert _beat_files(message) == {"beat.mid", "grid.png"}
    assert message.content == (f"Discord refused the upload (HTTP {status}), so here are the "
                               "MIDI and the grid without the audio.")
    assert message.embeds and message.components  # still a full beat, buttons included
    posts = _bot_messages(simcord_env)
    assert len(posts) == 2
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and f"HTTP {status}" in row["error"]


async def test_upload_refused_twice_tells_the_user_and_the_next_beat_works(
        simcord_env, channel, alice, db_path):
    simcord_env.inject_error("POST", "/channels/*/messages", status=500, times=2)

    await alice.send(channel, "!beat seed=5")
    failed = channel.last_message
    await alice.send(channel, "!beat seed=6")

    assert failed.content == ("Discord would not take the upload (HTTP 500), even without the "
                              "audio. Please try again in a moment.")
    assert channel.last_message.attachments
    rows = log_rows(db_path)
    assert [(row["seed"], row["outcome"]) for row in rows] == [(5, "failed"), (6, "ok")]
    assert rows[0]["generate_ms"] is not None
    assert simcord_env.errors


async def test_forbidden_upload_is_not_retried(simcord_env, channel, alice, db_path):
    simcord_env.inject_error("POST", "/channels/*/messages", status=403, times=1)

    await alice.send(channel, "!beat")

    assert len(_bot_messages(simcord_env)) == 2  # the refused beat, then the error line
    assert channel.last_message.content.startswith("Something went wrong on my side")
    assert log_rows(db_path)[0]["outcome"] == "failed"
    assert simcord_env.errors


# --- start-up and shutdown ----------------------------------------------------------------

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.this-is-not-a-real-token-1234567890"
REPO = Path(__file__).resolve().parents[2]


def _run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEATBOT_")}
    env.update({"DISCORD_TOKEN": FAKE_TOKEN, "BEATBOT_DATABASE": str(tmp_path / "beatbot.db"),
                "BEATBOT_SYNC_COMMANDS": "false", **extra})
    return env


@pytest.mark.parametrize("content", [None, b"PK\3\4 not really a model" * 100],
                         ids=["missing", "corrupt"])
def test_bad_model_file_stops_beatbot_run_with_one_line_before_connecting(tmp_path, content):
    model = tmp_path / "model.npz"
    if content is not None:
        model.write_bytes(content)

    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--env-file", str(tmp_path / "none.env")],
        env=_run_env(tmp_path, BEATBOT_MODEL_PATH=str(model)), cwd=REPO, capture_output=True,
        text=True, timeout=120)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("beatbot: could not load the engine: model file ")
    assert str(model) in line
    assert not (tmp_path / "beatbot.db").exists()  # it stopped before opening the log


def _health(port: int, within_s: float = 10.0) -> int:
    """`beatbot health --port PORT` (as the image's healthcheck runs it) until it says 0."""
    deadline = time.monotonic() + within_s
    while True:
        code = subprocess.run([sys.executable, "-m", "cli.health", "--port", str(port)],
                              cwd=REPO, capture_output=True, timeout=30).returncode
        if code == 0 or time.monotonic() > deadline:
            return code
        time.sleep(0.2)


def test_sigterm_stops_beatbot_run_cleanly(tmp_path):
    # With its metrics served, the offline bot (compose.check.yaml's) is healthy once ready,
    # as a bot that reached Discord is.
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.offline_run", "--env-file", str(tmp_path / "none.env")],
        env=_run_env(tmp_path, BEATBOT_METRICS_PORT=str(port)), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, child.kill)
    watchdog.start()
    try:
        ready = child.stdout.readline()
        health = _health(port)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        watchdog.cancel()

    assert ready.strip() == "ready", err
    assert health == 0, err  # beatbot_up 1, as on_ready sets it
    assert child.returncode == 0, err
    assert "SIGTERM: shutting down" in err and "stopped" in err
    assert log_rows(tmp_path / "beatbot.db") == []  # the log was created and closed


def _hold_queue(env, gate: threading.Event) -> asyncio.Task:
    """A slow job in the bot's own queue, finishing when `gate` is set (a test-owned task)."""
    return asyncio.create_task(env.bot.beats.jobs.queue.run(gate.wait))


@pytest.mark.simcord(settle_timeout=1.0)
@pytest.mark.bot_settings(workers=1)
async def test_shutdown_finishes_beats_in_flight_refuses_new_ones_and_writes_the_log(
        simcord_env, channel, alice, bob, db_path):
    bot, gate = simcord_env.bot, threading.Event()
    held = _hold_queue(simcord_env, gate)
    await asyncio.sleep(0)
    with _locked(db_path):  # the log can't be written until shutdown
        with pytest.raises(TimeoutError):
            await alice.send(channel, "!beat seed=1")  # waits behind the held job
        stopping = asyncio.create_task(bot.shutdown(grace_s=30))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):  # alice's beat is still in flight
            await bob.send(channel, "!beat seed=2")
        refusal = channel.last_message
        assert not stopping.done()
    threading.Timer(0.3, gate.set).start()
    await held
    await simcord_env.settle(timeout=20)

    assert await asyncio.wait_for(stopping, 30) is True
    assert bot.is_closed()
    assert refusal.content == "I'm restarting and not taking new beats; try again in a minute."
    assert channel.last_message.attachments  # alice's beat landed before the bot closed
    assert [(row["seed"], row["outcome"]) for row in log_rows(db_path)] == [
        (2, "busy"), (1, "ok")]
    assert simcord_env.errors


@pytest.mark.bot_settings(workers=1)
async def test_drain_gives_up_after_its_grace_period(simcord_env):
    gate = threading.Event()
    held = _hold_queue(simcord_env, gate)
    service = simcord_env.bot.beats
    service._started()  # a request in flight
    try:
        assert await service.drain(0.2) is False
        assert service.draining
    finally:
        service._finished()
        gate.set()
        await held
    assert await service.drain(0.2) is True


def _locked_channel(env, **denied: bool):
    """A channel where the bot is denied the given permissions."""
    import discord

    overwrite = discord.PermissionOverwrite(**{name: False for name in denied})
    return env.guild.create_text_channel("locked", overwrites={env.bot.user: overwrite})


async def test_missing_attach_files_is_named_before_a_beat_is_made(simcord_env, channel, alice,
                                                                   db_path):
    locked = _locked_channel(simcord_env, attach_files=True)

    await alice.send(locked, "!beat")

    line = locked.last_message.content
    assert "Attach Files" in line and "Embed Links" not in line and "\n" not in line
    assert "try again" not in line.lower()
    (row,) = log_rows(db_path)
    assert row["outcome"] == "failed" and row["generate_ms"] is None
    simcord_env.errors  # noqa: B018 - the refusal, acknowledged


async def test_discord_refusing_for_permissions_says_which_not_try_again(simcord_env, channel,
                                                                         alice, db_path, caplog):
    simcord_env.inject_error("POST", "/channels/*/messages", status=403, code=50013,
                             message="Missing Permissions", times=1)

    await alice.send(channel, "!beat")

    line = channel.last_message.content
    assert line.startswith("I can't post beats in this channel: I need the ")
    assert "Attach Files" in line and "try again" not in line.lower()
    assert log_rows(db_path)[-1]["outcome"] == "failed"
    assert not [r for r in caplog.records if r.exc_info]  # a known refusal: no traceback
    simcord_env.errors  # noqa: B018 - the refused post, acknowledged


async def test_without_send_messages_the_line_comes_by_direct_message(simcord_env, channel,
                                                                      alice):
    locked = _locked_channel(simcord_env, send_messages=True)

    await alice.send(locked, "!beat")

    (dm,) = alice.user.dm_channel.history()
    assert "Send Messages" in dm.content and "#locked" in dm.content
    simcord_env.errors  # noqa: B018
