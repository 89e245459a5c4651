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
    return env.bot.get_cog("Beats").service.queue


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
