"""The sharded gateway: each bot process runs the shards named in its settings."""

from __future__ import annotations

import pytest
import simcord
from pydantic import ValidationError

from bot.app import create_bot
from bot.settings import Settings


def test_shard_settings_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BEATBOT_SHARD_IDS", "2, 3")
    monkeypatch.setenv("BEATBOT_SHARD_COUNT", "4")

    settings = Settings(_env_file=None)

    assert (settings.shard_ids, settings.shard_count) == ([2, 3], 4)


@pytest.mark.parametrize(("fields", "message"), [
    ({"shard_ids": "0,1"}, "BEATBOT_SHARD_IDS needs BEATBOT_SHARD_COUNT"),
    ({"shard_ids": "0,4", "shard_count": 4}, "each shard id must be from 0 to 3"),
])
def test_bad_shard_settings_say_what_is_wrong(fields, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **fields)


@pytest.mark.parametrize("shard", [0, 1])
async def test_a_bot_answers_only_the_guilds_of_its_shards(maker, settings, shard):
    settings = settings.model_copy(update={"shard_count": 2, "shard_ids": [shard]})
    bot = await create_bot(settings, maker)
    try:
        async with simcord.run(bot) as env:
            alice = env.create_user("alice")
            answered = {}
            for owner in (shard, 1 - shard):
                guild = env.create_guild(f"shard {owner}", shard_id=owner)
                channel = guild.create_text_channel("beats")
                await guild.add_member(alice).send(channel, "!kits")
                answered[owner] = channel.last_message.author.id == bot.user.id
    finally:
        await bot.close()

    assert answered == {shard: True, 1 - shard: False}
