"""`!help beat`, `!styles`, `!kits`, `!history` and `!stats`."""

from __future__ import annotations

from engine.beat.request import FIELDS


async def test_help_beat_lists_every_key_with_range_default_and_example(simcord_env, channel,
                                                                        alice):
    await alice.send(channel, "!help beat")

    text = channel.last_message.content
    listed = {"style": "see !styles, or any", "kit": "see !kits, or auto"}
    for field in FIELDS:
        allowed = listed.get(field.key, field.allowed)
        assert field.key in text and field.example in text and allowed in text
    assert "temperature, t" in text  # aliases
    assert "random" in text  # seed's default
    lines = {line.split()[0]: line for line in text.splitlines() if line.split()}
    assert " 120 " in lines["bpm"]  # the bot's default (settings), not the engine's
    assert len(text) <= 2000


async def test_help_lists_commands(simcord_env, channel, alice):
    await alice.send(channel, "!help")

    text = channel.last_message.content
    for name in ("beat", "styles", "kits", "history", "stats"):
        assert name in text


async def test_slash_help_lists_the_same_as_prefix_help(simcord_env, channel, alice):
    await alice.send(channel, "!help")
    prefix_help = channel.last_message.content

    result = await alice.slash(channel, "help")

    text = result.response.content
    for name in ("beat", "styles", "kits", "history", "stats"):
        assert name in text and name in prefix_help


async def test_slash_help_beat_shows_the_key_table(simcord_env, channel, alice):
    result = await alice.slash(channel, "help", command="beat")

    text = result.response.content
    assert "!beat" in text and "swing" in text and "then" in text and "```" in text


async def test_styles_and_kits(simcord_env, channel, alice):
    maker = simcord_env.bot.maker
    await alice.send(channel, "!styles")
    styles = channel.last_message.content
    await alice.send(channel, "!kits")
    kits = channel.last_message.content

    assert all(f"`{style}`" in styles for style in maker.styles) and "`any`" in styles
    assert all(f"`{kit}`" in kits for kit in maker.kit_names) and "`auto`" in kits


async def test_history_lists_your_beats_with_replay_lines(simcord_env, channel, alice, bob):
    await alice.send(channel, "!history")
    assert channel.last_message.content.startswith("No beats yet")
    for seed in (1, 2):
        await alice.send(channel, f"!beat style=trap seed={seed}")
    await bob.send(channel, "!beat seed=3")

    await alice.send(channel, "!history")

    text = channel.last_message.content
    assert text.startswith("Your last 2 beats")
    assert "`!beat bpm=120 bars=1 style=trap kit=" in text
    assert text.index("seed=2") < text.index("seed=1") and "seed=3" not in text


async def test_replayed_history_line_gives_the_same_beat(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=rock swing=20")
    first = channel.last_message
    await alice.send(channel, "!history")
    line = channel.last_message.content.splitlines()[1]
    replay = line[line.index("`") + 1: line.rindex("`")]

    await alice.send(channel, replay)

    midi = [await a.read() for m in (first, channel.last_message)
            for a in m.attachments if a.filename == "beat.mid"]
    assert midi[0] == midi[1]


async def test_stats(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=trap")
    await alice.send(channel, "!beat style=trap")
    await alice.send(channel, "!beat style=rock")
    await alice.send(channel, "!beat bpm=1")

    await alice.send(channel, "!stats")

    text = channel.last_message.content
    assert text.startswith("Today: 3 beats served (4 requests).")
    assert "Median time to reply: " in text and "Top styles: trap (2), rock (1)." in text
    assert simcord_env.errors  # the bpm=1 refusal


async def test_slash_help_for_an_unknown_command_says_so_as_prefix_help_does(simcord_env,
                                                                              channel, alice):
    await alice.send(channel, "!help nosuch")
    prefix_line = channel.last_message.content

    result = await alice.slash(channel, "help", command="nosuch")

    assert result.acknowledged and result.response.content == prefix_line
    assert "nosuch" in prefix_line
