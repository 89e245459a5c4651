"""The controls under a beat through simcord: the "New …" and "Mute …" menus and the Stems
button, each replayable from its recipe, through `!history`, and after a restart."""

from __future__ import annotations

import io
import zipfile

from bot.app import create_bot
from engine.music.drums import part_classes
from engine.music.midi_io import read_midi
from tests.bot.conftest import log_rows

FIRST = "!beat bars=2 bpm=100 style=rock seed=11"


async def _first_beat(channel, alice, text: str = FIRST):
    await alice.send(channel, text)
    return channel.last_message


def _menu_id(message, action: str) -> str:
    ids = [c.custom_id for row in message.components for c in row.children]
    return next(custom_id for custom_id in ids if custom_id.startswith(f"beatbot:{action}:"))


async def _file(message, name: str) -> bytes:
    (attachment,) = [a for a in message.attachments if a.filename == name]
    return await attachment.read()


def _replay(message) -> str:
    description = message.embeds[0].description
    return description[description.index("`") + 1: description.rindex("`")]


async def test_new_hats_writes_the_hats_new_and_keeps_every_other_drum(simcord_env, channel,
                                                                        alice, db_path):
    first = await _first_beat(channel, alice)

    await alice.select(first, ["hats"], custom_id=_menu_id(first, "new"))

    second = channel.last_message
    assert "then=new:hats:" in _replay(second)
    before = read_midi(await _file(first, "beat.mid")).pattern
    after = read_midi(await _file(second, "beat.mid")).pattern
    kept = [c for c in range(before.velocity.shape[1]) if c not in part_classes(["hats"])]
    assert (after.velocity[:, kept] == before.velocity[:, kept]).all()
    assert (after.offset[:, kept] == before.offset[:, kept]).all()
    assert log_rows(db_path)[-1]["source"] == "new"


async def test_mute_leaves_parts_out_and_unmuting_brings_back_the_same_beat(simcord_env,
                                                                            channel, alice):
    first = await _first_beat(channel, alice, "!beat bars=2 bpm=100 style=funk seed=3")

    await alice.select(first, ["toms", "cymbals"], custom_id=_menu_id(first, "mute"))
    muted = channel.last_message
    await alice.select(muted, [], custom_id=_menu_id(muted, "mute"))
    unmuted = channel.last_message

    assert "mute=toms,cymbals" in _replay(muted) and "seed=3" in _replay(muted)
    fields = {field.name: field.value for field in muted.embeds[0].fields}
    assert fields["Muted"] == "toms, cymbals"
    pattern = read_midi(await _file(muted, "beat.mid")).pattern
    assert not pattern.velocity[:, part_classes(["toms", "cymbals"])].any()
    assert await _file(unmuted, "beat.mid") == await _file(first, "beat.mid")
    assert "mute=" not in _replay(unmuted)


async def test_stems_posts_a_zip_of_the_same_beat(simcord_env, channel, alice):
    first = await _first_beat(channel, alice)

    await alice.click(first, label="Stems")

    second = channel.last_message
    assert "stems=yes" in _replay(second) and "seed=11" in _replay(second)
    assert await _file(second, "beat.mid") == await _file(first, "beat.mid")
    names = zipfile.ZipFile(io.BytesIO(await _file(second, "beat_stems.zip"))).namelist()
    assert "stems.mid" in names and "kick.mp3" in names
    stems_button = [c for row in second.components for c in row.children
                    if getattr(c, "label", None) == "Stems"]
    assert stems_button[0].disabled


async def test_a_new_part_recipe_replays_byte_for_byte_from_history(simcord_env, channel,
                                                                    alice):
    first = await _first_beat(channel, alice)
    await alice.select(first, ["kick"], custom_id=_menu_id(first, "new"))
    made = channel.last_message
    await alice.send(channel, "!history")
    line = channel.last_message.content.splitlines()[1]
    replay = line[line.index("`") + 1: line.rindex("`")]
    assert "then=new:kick:" in replay

    await alice.send(channel, replay)

    assert await _file(channel.last_message, "beat.mid") == await _file(made, "beat.mid")


async def test_the_menus_work_after_a_restart(simcord_env, channel, alice, settings, maker):
    first = await _first_beat(channel, alice)
    await alice.select(first, ["snare"], custom_id=_menu_id(first, "new"))
    once = channel.last_message
    old = simcord_env.bot
    await simcord_env.restart_bot(await create_bot(settings, maker))
    await old.database.close()

    await alice.select(first, ["snare"], custom_id=_menu_id(first, "new"))

    again = channel.last_message
    assert "then=new:snare:" in _replay(again) and again.id != once.id
    await alice.select(again, ["toms"], custom_id=_menu_id(again, "mute"))
    assert "mute=toms" in _replay(channel.last_message)


async def test_muting_every_part_is_not_offered_and_a_typed_one_says_why(simcord_env, channel,
                                                                         alice):
    first = await _first_beat(channel, alice)
    menu = [c for row in first.components for c in row.children
            if getattr(c, "custom_id", "").startswith("beatbot:mute:")][0]
    assert menu.max_values == len(menu.options) - 1

    await alice.send(channel, "!beat bars=1 mute=kick,snare,hats,toms,cymbals")

    line = channel.last_message.content
    assert "\n" not in line and "mute" in line and not channel.last_message.attachments
    assert simcord_env.errors
