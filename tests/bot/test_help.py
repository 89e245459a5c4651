"""`!help` and `!help beat` (bot.help): the command list, and every key with its range,
default and example."""

from __future__ import annotations

import pytest

from engine.beat.request import FIELDS


async def test_help_beat_lists_every_key_with_range_default_and_example(simcord_env, channel,
                                                                        alice):
    await alice.send(channel, "!help beat")

    text = channel.last_message.content
    listed = {"style": "see !styles, or any", "kit": "see !kits, or auto"}
    for field in FIELDS:
        allowed = listed.get(field.key, field.allowed)
        assert field.key in text and field.example in text and allowed in text
    assert "temperature=temp, t=temp" in text  # aliases
    assert "random" in text  # seed's default
    lines = {line.split()[0]: line for line in text.splitlines() if line.split()}
    assert " 120 " in lines["bpm"]  # the bot's default (settings), not the engine's
    assert len(text) <= 2000


async def test_help_lists_commands(simcord_env, channel, alice):
    await alice.send(channel, "!help")

    text = channel.last_message.content
    for name in ("beat", "styles", "kits", "history", "stats"):
        assert name in text


@pytest.mark.bot_settings(prefix="?", default_format="wav", default_style="rock",
                          default_bars=2)
async def test_help_beat_shows_the_settings_prefix_and_defaults(simcord_env, channel, alice):
    await alice.send(channel, "?help beat")

    text = channel.last_message.content
    assert text.startswith("**?beat** key=value") and "See `?styles` and `?kits`." in text
    assert "see ?styles, or any" in text and "!styles" not in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split()}
    defaults = {key: rows[key][-2] for key in ("bars", "style", "format", "kit", "seed")}
    assert defaults == {"bars": "2", "style": "rock", "format": "wav", "kit": "auto",
                        "seed": "random"}


async def test_help_for_another_command_is_the_usual_help(simcord_env, channel, alice):
    await alice.send(channel, "!help kits")

    text = channel.last_message.content
    assert "List the drum kits." in text and "```" not in text


async def test_help_beat_names_the_controls_with_an_example_each_and_fits_one_message(
        simcord_env, channel, alice):
    await alice.send(channel, "!help beat")

    text = channel.last_message.content
    assert len(text) <= 2000
    for words in ("Stems", "stems=yes", "New …", "then=new:hats:5", "Mute …",
                  "mute=toms,cymbals", "keep=kick,snare"):
        assert words in text


@pytest.mark.bot_settings(prefix="beat!")
async def test_help_beat_fits_one_message_with_the_longest_prefix(simcord_env, channel, alice):
    await alice.send(channel, "beat!help beat")

    text = channel.last_message.content
    assert text.startswith("**beat!beat**") and len(text) <= 2000
    assert "complexity=busy" in text and "follow=yes" in text
