"""Cooldowns, the bounded queue (position notices, "busy"), and one job per user at a time.

To fill the queue, the test itself submits slow jobs (a thread waiting on an Event) to the
bot's own JobQueue, from test-owned tasks, so simcord does not wait for them.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.bot.conftest import log_rows


def _queue(env):
    return env.bot.beats.jobs.queue


async def _hold(queue, gate: threading.Event, jobs: int) -> list[asyncio.Task]:
    """Submit `jobs` slow jobs that finish when `gate` is set; return their tasks."""
    tasks = [asyncio.create_task(queue.run(gate.wait)) for _ in range(jobs)]
    for _ in range(5):
        await asyncio.sleep(0)
    return tasks


@pytest.mark.bot_settings(cooldown_s=60, cooldown_rate=1)
async def test_cooldown_is_per_user(simcord_env, channel, alice, bob, db_path):
    await alice.send(channel, "!beat")
    await alice.send(channel, "!beat")

    assert channel.last_message.content.startswith("Slow down: you can ask again in ")
    assert channel.last_message.content.endswith(" s.")
    await bob.send(channel, "!beat")
    assert channel.last_message.attachments
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok", "cooldown", "ok"]
    assert simcord_env.errors


@pytest.mark.bot_settings(cooldown_s=60, cooldown_rate=1)
async def test_cooldown_covers_buttons(simcord_env, channel, alice, db_path):
    await alice.send(channel, "!beat")

    result = await alice.click(channel.last_message, label="Regenerate")

    assert result.ephemeral and result.response.content.startswith("Slow down")
    assert [r["outcome"] for r in log_rows(db_path)] == ["ok", "cooldown"]


@pytest.mark.bot_settings(workers=1, queue_size=1)
async def test_full_queue_says_busy(simcord_env, channel, alice, db_path):
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 2)  # one running, one waiting: the line is full
    try:
        assert (queue.running, queue.waiting) == (1, 1)
        await alice.send(channel, "!beat")
    finally:
        gate.set()
        await asyncio.gather(*held)

    reply = channel.last_message.content
    assert reply.startswith("Busy: every drummer is playing. Try again in ") and reply.endswith(
        " s.")
    (row,) = log_rows(db_path)
    assert row["outcome"] == "busy" and row["error"] == reply
    assert simcord_env.errors


@pytest.mark.bot_settings(workers=1, queue_size=3)
async def test_queued_request_is_told_its_position(simcord_env, channel, alice, db_path):
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 2)  # one running, one already waiting
    threading.Timer(0.5, gate.set).start()

    await alice.send(channel, "!beat")
    await asyncio.gather(*held)

    posts = [r.json.get("content") for r in simcord_env.http_requests
             if r.method == "POST" and r.path.endswith("/messages") and r.json]
    assert "Queued: position 2. Your beat starts when a drummer is free." in posts
    assert any(r.method == "DELETE" for r in simcord_env.http_requests)  # notice removed
    assert channel.last_message.attachments
    assert not any(m.content.startswith("Queued") for m in channel.history())
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and row["queue_ms"] >= 300


@pytest.mark.simcord(settle_timeout=1.0)
@pytest.mark.bot_settings(workers=1, queue_size=4)
async def test_one_beat_in_flight_per_user(simcord_env, channel, alice, db_path):
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 1)
    try:
        # alice's first beat waits behind the held job, so simcord stops waiting for it...
        with pytest.raises(TimeoutError):
            await alice.send(channel, "!beat")
        # ...and her second request, while the first is in flight, is refused at once.
        with pytest.raises(TimeoutError):
            await alice.send(channel, "!beat")
        refusal = channel.last_message.content
    finally:
        gate.set()
        await asyncio.gather(*held)
    await simcord_env.settle(timeout=20)

    assert refusal.startswith("You already have a beat cooking")
    assert channel.last_message.attachments  # the first beat still lands
    assert sorted(r["outcome"] for r in log_rows(db_path)) == ["busy", "ok"]
    assert simcord_env.errors


@pytest.mark.bot_settings(workers=1, queue_size=3)
async def test_queued_button_press_is_told_its_position(simcord_env, channel, alice):
    await alice.send(channel, "!beat")
    first = channel.last_message
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 1)
    threading.Timer(0.5, gate.set).start()

    await alice.click(first, label="Variation")
    await asyncio.gather(*held)

    posts = [r.json.get("content") for r in simcord_env.http_requests
             if r.method in ("POST", "PATCH") and "/webhooks/" in r.path and r.json]
    assert "Queued: position 1. Your beat starts when a drummer is free." in posts
    beat = channel.last_message
    assert beat.id != first.id and beat.attachments
    assert "then=vary:" in beat.embeds[0].description
    assert not any(m.content.startswith("Queued") for m in channel.history())


def _notices(env) -> list:
    """The requests that posted a queue notice."""
    return [r for r in env.http_requests if r.method == "POST" and isinstance(r.json, dict)
            and str(r.json.get("content", "")).startswith("Queued")]


@pytest.mark.bot_settings(workers=1, queue_size=1)
async def test_busy_estimate_before_any_beat_finished_is_from_the_running_ones(
        simcord_env, channel, alice):
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 2)  # nothing has finished yet: no measured time
    try:
        await alice.send(channel, "!beat")
    finally:
        gate.set()
        await asyncio.gather(*held)

    seconds = int(channel.last_message.content.split("Try again in ")[1].split(" ")[0])
    assert seconds <= 2  # one waiting job at about a second each, not 5 s a job
    simcord_env.errors  # noqa: B018 - the busy refusal, acknowledged


@pytest.mark.bot_settings(workers=1, queue_size=3)
async def test_queue_notice_is_a_reply_and_goes_when_the_request_fails(simcord_env, channel,
                                                                       alice, db_path):
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 1)

    def refuse_then_release() -> None:  # once the notice is up, Discord refuses the beat
        # What inject_error adds, added from this thread (inject_error is for the test's own).
        simcord_env.backend.faults.append({"method": "POST", "path": "/channels/*/messages",
                                           "status": 403, "code": 50013, "times": 1,
                                           "message": "Missing Permissions"})
        gate.set()

    threading.Timer(0.5, refuse_then_release).start()
    await alice.send(channel, "!beat")
    await asyncio.gather(*held)

    notices = _notices(simcord_env)
    assert notices and all(r.json.get("message_reference") for r in notices)
    assert not any(m.content.startswith("Queued") for m in channel.history())
    (row,) = log_rows(db_path)
    assert row["outcome"] == "failed" and "Attach Files" in row["error"]
    assert "Attach Files" in channel.last_message.content
    assert channel.last_message.reference is not None
    simcord_env.errors  # noqa: B018 - the refused posts, acknowledged


@pytest.mark.bot_settings(workers=1, queue_size=3)
async def test_a_request_refused_for_its_primer_is_never_queued(simcord_env, channel, alice):
    from tests.midi_fixtures import drum_file

    piano = drum_file([(0, 60, 90), (1, 64, 90)], channel=0, file_type=0)
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 1)
    try:
        await alice.send(channel, "!beat", attachments=[("piano.mid", piano)])
    finally:
        gate.set()
        await asyncio.gather(*held)

    assert "no drum notes" in channel.last_message.content
    assert not _notices(simcord_env)
    simcord_env.errors  # noqa: B018


@pytest.mark.bot_settings(workers=1, queue_size=3)
async def test_a_queued_press_that_fails_leaves_no_notice(simcord_env, channel, alice, db_path):
    await alice.send(channel, "!beat")
    first = channel.last_message
    queue, gate = _queue(simcord_env), threading.Event()
    held = await _hold(queue, gate, 1)

    def refuse_then_release() -> None:  # the notice is up; then Discord refuses the beat
        simcord_env.backend.faults.append({"method": "POST", "path": "/webhooks/*",
                                           "status": 403, "code": 50013, "times": 1,
                                           "message": "Missing Permissions"})
        gate.set()

    threading.Timer(0.5, refuse_then_release).start()
    result = await alice.click(first, label="Variation")
    await asyncio.gather(*held)

    assert not any(m.content.startswith("Queued") for m in channel.history())
    assert channel.last_message.id == first.id  # nothing public was left behind
    assert log_rows(db_path)[-1]["outcome"] == "failed"
    assert result.acknowledged
    simcord_env.errors  # noqa: B018
