"""The buttons under a beat: Regenerate, Variation, Extend, and what a stale button says."""

from __future__ import annotations

import io

import mido

from bot.app import create_bot
from engine.beat.syntax import parse_request
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
    assert _fields(second)["Seed"].startswith("5 then vary:")
    assert "then=vary:" in second.embeds[0].description
    original, varied = read_midi(await _midi(first)), read_midi(await _midi(second))
    assert original.pattern.steps == varied.pattern.steps
    assert log_rows(db_path)[-1]["source"] == "variation"
    assert '"then": "vary:' in log_rows(db_path)[-1]["params"]


TWO_BARS_KEPT = 2 * 4 * 480 - 120
"""Ticks of the first two bars that only their own hits reach: the learned groove may play
the next bar's first hit up to half a 16th (60 ticks) before the bar line."""


def _notes(midi: bytes, before_tick: int) -> list[tuple[int, int, int]]:
    """(tick, pitch, velocity) of every note-on before `before_tick`."""
    tick, found = 0, []
    for message in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(midi)).tracks):
        tick += message.time
        if message.type == "note_on" and message.velocity and tick < before_tick:
            found.append((tick, message.note, message.velocity))
    return found


async def test_extend_keeps_a_swung_beat_exactly(simcord_env, channel, alice):
    first = await _first_beat(channel, alice, "!beat bars=2 bpm=90 swing=50 seed=12")

    await alice.click(first, label="Extend")

    second = channel.last_message
    assert _fields(second)["Bars"] == "6"
    kept = _notes(await _midi(first), TWO_BARS_KEPT)
    assert kept and _notes(await _midi(second), TWO_BARS_KEPT) == kept


async def test_variation_keeps_most_of_the_swung_beat_it_varies(simcord_env, channel, alice,
                                                               maker):
    first = await _first_beat(channel, alice, "!beat bars=8 bpm=90 swing=60 seed=3")

    await alice.click(first, label="Variation")

    posted = await _midi(channel.last_message)
    recipe = channel.last_message.embeds[0].description.split("`!beat ")[1].rstrip("`")
    assert maker.make(parse_request(recipe)).midi == posted  # made again from its recipe
    original = maker.make(parse_request("bars=8 bpm=90 swing=60 seed=3")).pattern
    varied = maker.make(parse_request(recipe)).pattern
    same = (original.velocity == varied.velocity).all(axis=1)
    assert varied.steps == original.steps == 128
    # The press draws a new seed, and each step is kept with probability VARIATION_KEEP
    # (0.8): over 128 steps the share kept falls under 0.65 in about 1 press in 100,000.
    assert same.mean() >= 0.65


async def test_history_replays_variation_and_extend_lines_byte_for_byte(simcord_env, channel,
                                                                         alice):
    first = await _first_beat(channel, alice, "!beat bars=2 bpm=90 swing=50 seed=12")
    await alice.click(first, label="Variation")
    varied = channel.last_message
    await alice.click(varied, label="Extend")
    extended = channel.last_message
    made = {"!beat bars=2 bpm=90 swing=50 seed=12": await _midi(first),
            "variation": await _midi(varied), "extend": await _midi(extended)}

    await alice.send(channel, "!history")

    lines = [line.split("`")[1] for line in channel.last_message.content.splitlines()[1:]]
    assert len(lines) == 3 and "then=vary:" in lines[0] and ",extend:" in lines[0]
    replayed = []
    for line in lines:
        await alice.send(channel, line)
        replayed.append(await _midi(channel.last_message))
    assert replayed == [made["extend"], made["variation"], made[next(iter(made))]]
    assert read_midi(replayed[0]).pattern.bars == 6


async def test_extend_adds_four_bars_after_the_beat(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice, "!beat bars=2 seed=9")

    await alice.click(first, label="Extend")

    second = channel.last_message
    assert _fields(second)["Bars"] == "6"
    assert "then=extend:" in second.embeds[0].description
    original = read_midi(await _midi(first)).pattern
    extended = read_midi(await _midi(second)).pattern
    assert extended.steps == original.steps * 3
    assert extended.slice(0, original.steps) == original
    mido.MidiFile(file=io.BytesIO(await _midi(second)))  # parses
    assert log_rows(db_path)[-1]["source"] == "extend"


async def test_extend_of_a_long_swung_beat_reaches_64_bars(simcord_env, channel, alice):
    first = await _first_beat(channel, alice, "!beat bars=60 bpm=300 swing=75 seed=4")

    await alice.click(first, label="Extend")

    assert _fields(channel.last_message)["Bars"] == "64"


async def test_extend_past_64_bars_is_refused_privately(simcord_env, channel, alice, db_path):
    first = await _first_beat(channel, alice, "!beat bars=62 bpm=300 seed=9")

    result = await alice.click(first, label="Extend")

    assert result.ephemeral
    line = result.response.content
    assert "62 bars" in line and "64" in line and "\n" not in line
    assert "MIDI" not in line and "`bars`" not in line
    assert channel.last_message.id == first.id
    assert log_rows(db_path)[-1]["outcome"] == "user_error"
    assert log_rows(db_path)[-1]["source"] == "extend"


async def test_someone_else_can_press_and_is_credited(simcord_env, channel, alice, bob, db_path):
    first = await _first_beat(channel, alice)

    await bob.click(first, label="Regenerate")

    assert "bob" in channel.last_message.embeds[0].title
    assert log_rows(db_path)[-1]["user_id"] == bob.id


async def test_buttons_work_long_after_the_beat(simcord_env, channel, alice):
    first = await _first_beat(channel, alice)
    await simcord_env.advance_time(24 * 3600)

    await alice.click(first, label="Extend")

    assert _fields(channel.last_message)["Bars"] == "5"


async def _restart(simcord_env, settings, maker) -> None:
    old = simcord_env.bot
    await simcord_env.restart_bot(await create_bot(settings, maker))
    await old.database.close()


async def test_buttons_work_after_a_restart(simcord_env, channel, alice, settings, maker):
    first = await _first_beat(channel, alice, "!beat bars=2 bpm=90 swing=50 seed=12")
    await alice.click(first, label="Variation")
    varied = channel.last_message
    await _restart(simcord_env, settings, maker)

    result = await alice.click(varied, label="Extend")

    assert not result.ephemeral
    extended = channel.last_message
    assert _fields(extended)["Bars"] == "6"
    assert _notes(await _midi(extended), TWO_BARS_KEPT) == _notes(await _midi(varied),
                                                                TWO_BARS_KEPT)


async def test_a_recipe_too_long_for_a_custom_id_is_read_from_the_embed(
        simcord_env, channel, alice, settings, maker):
    text = ("!beat bpm=85.25 bars=2 temp=1.25 style=neworleans kit=acoustic seed=4294967295 "
            "fills=2 swing=33.5 humanize=0.25 format=ogg")
    first = await _first_beat(channel, alice, text)
    ids = [c.custom_id for row in first.components for c in row.children]
    assert all(len(custom_id) <= 100 and ":#" in custom_id for custom_id in ids)
    await _restart(simcord_env, settings, maker)

    await alice.click(first, label="Variation")

    second = channel.last_message
    assert "then=vary:" in second.embeds[0].description
    assert "humanize=0.25" in second.embeds[0].description


async def test_a_button_from_an_older_version_says_how_to_make_it_again(simcord_env, channel,
                                                                        alice, db_path):
    import discord

    old = discord.ui.View(timeout=None)
    old.add_item(discord.ui.Button(label="Extend", custom_id="beatbot:extend:0123456789abcdef"))
    embed = discord.Embed(description="Replay: `!beat bpm=100 bars=1 style=rock kit=808 seed=11`")
    posted = await simcord_env.bot.get_channel(channel.id).send(embed=embed, view=old)

    result = await alice.click(posted, label="Extend")

    assert result.ephemeral and "older version" in result.response.content
    assert "`!beat bpm=100 bars=1 style=rock kit=808 seed=11`" in result.response.content
    assert log_rows(db_path)[-1]["outcome"] == "user_error"


async def test_a_digest_whose_embed_is_gone_is_refused_not_guessed(simcord_env, channel, alice,
                                                                   db_path):
    import discord

    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Variation",
                                    custom_id="beatbot:variation:#0123456789abcdef0123"))
    posted = await simcord_env.bot.get_channel(channel.id).send("a beat", view=view)

    result = await alice.click(posted, label="Variation")

    assert result.ephemeral and "older version" in result.response.content
    assert log_rows(db_path)[-1]["outcome"] == "user_error"
