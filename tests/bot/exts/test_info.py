"""`!styles`, `!kits` and `/help` (bot.exts.info), through simcord."""

from __future__ import annotations


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


async def test_slash_help_for_an_unknown_command_says_so_as_prefix_help_does(simcord_env,
                                                                              channel, alice):
    await alice.send(channel, "!help nosuch")
    prefix_line = channel.last_message.content

    result = await alice.slash(channel, "help", command="nosuch")

    assert result.acknowledged and result.response.content == prefix_line
    assert "nosuch" in prefix_line
