"""Drums for your material through simcord: `!beat follow=yes` with a bass line attached,
`/beat follow:<file>`, the buttons on a followed beat, and one line for what can't be used."""

from __future__ import annotations

from engine.music.midi_io import read_midi
from tests.bot.conftest import log_rows
from tests.midi_fixtures import drum_file

BASS = drum_file([(beat, 40, 90) for beat in (0, 0.75, 1.5, 2, 3, 4, 4.75, 5.5, 6, 7)],
                 channel=0)
"""A two-bar bass line on channel 1 (pitch 40 is an E, not a drum, off channel 10)."""


async def _file(message, name: str) -> bytes:
    (attachment,) = [a for a in message.attachments if a.filename == name]
    return await attachment.read()


async def test_follow_yes_makes_drums_for_the_attached_bass_line(simcord_env, channel, alice,
                                                                  db_path):
    await alice.send(channel, "!beat follow=yes style=funk seed=4", attachments=[
        ("bass.mid", BASS)])

    reply = channel.last_message
    assert "Following your MIDI file" in reply.embeds[0].description
    assert "follow=yes" in reply.embeds[0].description
    assert await _file(reply, "follow.mid") == BASS
    assert read_midi(await _file(reply, "beat.mid")).pattern.bars == 2
    assert log_rows(db_path)[-1]["outcome"] == "ok"


async def test_regenerate_under_a_followed_beat_follows_the_same_material(simcord_env, channel,
                                                                         alice):
    await alice.send(channel, "!beat follow=yes seed=4", attachments=[("bass.mid", BASS)])
    first = channel.last_message

    await alice.click(first, label="Regenerate")

    second = channel.last_message
    assert second.id != first.id and "follow=yes" in second.embeds[0].description
    assert await _file(second, "follow.mid") == BASS


async def test_slash_follow_takes_the_material_as_its_own_option(simcord_env, channel, alice):
    await alice.slash(channel, "beat", seed=4, follow=("bass.mid", BASS))

    reply = channel.last_message
    assert "follow=yes" in reply.embeds[0].description
    assert await _file(reply, "follow.mid") == BASS


async def test_material_with_no_notes_gets_one_line(simcord_env, channel, alice, db_path):
    empty = drum_file([], channel=0, length_beats=4)
    await alice.send(channel, "!beat follow=yes", attachments=[("empty.mid", empty)])

    line = channel.last_message.content
    assert line.startswith("That MIDI file can't be followed: ") and "\n" not in line
    assert not channel.last_message.attachments
    assert log_rows(db_path)[-1]["outcome"] == "user_error"
    assert simcord_env.errors


async def test_follow_yes_without_a_file_says_what_to_attach(simcord_env, channel, alice):
    await alice.send(channel, "!beat follow=yes")

    line = channel.last_message.content
    assert "follow=yes" in line and "attach" in line and "\n" not in line
    assert simcord_env.errors
