"""The buttons under a beat: Regenerate, Variation, Extend, and what a stale button says."""

from __future__ import annotations

import io

import mido

from bot.app import create_bot
from engine.music.midi_io import read_midi
from tests.bot.conftest import log_rows
from tests.bot.test_beat import deferred_first


def _fields(message) -> dict[str, str]:
    return {field.name: field.value for field in message.embeds[0].fields}


async def _midi(message) -> bytes:
    (attachment,) = [a for a in message.attachments if a.filename == "beat.mid"]
    return await attachment.read()


async def _first_beat(channel, alice, text: str = "!beat bpm=100 style=rock seed=11"):
    await alice.send(channel, text)
    return channel.last_message


async def test_regenerate_keeps_settings_with_a_new_seed(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice)

    result = await alice.click(first, label="Regenerate")

    assert deferred_first(simcord_env)
    assert result.response.id == channel.last_message.id
    second = channel.last_message
    assert second.id != first.id
    before, after = _fields(first), _fields(second)
    assert after["Seed"] != before["Seed"]
    assert (after["BPM"], after["Style"], after["Kit"]) == (
        before["BPM"], before["Style"], before["Kit"])
    assert {a.filename for a in second.attachments} == {"beat.mp3", "beat.mid", "grid.png"}
    rows = log_rows(db_path)
    assert [(r["source"], r["outcome"]) for r in rows] == [("prefix", "ok"), ("regenerate", "ok")]


async def test_variation_varies_the_same_beat(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice, "!beat bars=2 style=hiphop seed=5")

    await alice.click(first, label="Variation")

    second = channel.last_message
    assert _fields(second)["Seed"] != "5"
    assert second.embeds[0].description.startswith("A variation")
    original, varied = read_midi(await _midi(first)), read_midi(await _midi(second))
    assert original.pattern.steps == varied.pattern.steps
    assert log_rows(db_path)[-1]["source"] == "variation"
    assert '"vary": true' in log_rows(db_path)[-1]["params"]


async def test_extend_adds_four_bars_after_the_beat(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice, "!beat bars=2 seed=9")

    await alice.click(first, label="Extend")

    second = channel.last_message
    assert _fields(second)["Bars"].startswith("6 (2 primer + 4 new)")
    original = read_midi(await _midi(first)).pattern
    extended = read_midi(await _midi(second)).pattern
    assert extended.steps == original.steps * 3
    assert extended.slice(0, original.steps) == original
    mido.MidiFile(file=io.BytesIO(await _midi(second)))  # parses
    assert log_rows(db_path)[-1]["source"] == "extend"


async def test_extend_past_64_bars_is_refused(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice, "!beat bars=62 bpm=300 seed=9")

    result = await alice.click(first, label="Extend")

    (reply,) = [m for m in channel.history() if m.author.bot and "`bars`" in m.content]
    assert "after a 62-bar primer" in reply.content and "\n" not in reply.content
    assert result.acknowledged
    assert log_rows(db_path)[-1]["outcome"] == "user_error"
    assert simcord_env.errors


async def test_someone_else_can_press_and_is_credited(simcord_env, channel, alice, bob, db_path):
    first = await _first_beat(channel, alice)

    await bob.click(first, label="Regenerate")

    assert "bob" in channel.last_message.embeds[0].title
    assert log_rows(db_path)[-1]["user_id"] == bob.id


async def test_button_after_timeout_says_it_expired(simcord_env, channel, alice, settings):
    first = await _first_beat(channel, alice)
    await simcord_env.advance_time(settings.button_timeout_s + 1)

    result = await alice.click(first, label="Extend")

    assert result.ephemeral
    assert "expired" in result.response.content
    assert "!beat bpm=100" in result.response.content and "seed=11" in result.response.content
    assert channel.last_message.id == first.id or channel.last_message.flags.ephemeral


async def test_button_after_restart_says_it_expired(simcord_env, channel, alice, settings, maker):
    first = await _first_beat(channel, alice)
    old = simcord_env.bot
    await simcord_env.restart_bot(await create_bot(settings, maker))
    await old.database.close()

    result = await alice.click(first, label="Regenerate")

    assert result.ephemeral
    assert "expired" in result.response.content and "restarts" in result.response.content
