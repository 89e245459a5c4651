"""The bot (bot.app): the factory wires the extensions, executor and log in; a refused slash
sync is one line; the shards named in the settings are the ones answered; closing lets go of
everything."""

from __future__ import annotations

import io
import logging
import threading
from types import SimpleNamespace

import discord
import pytest
import simcord

from bot.app import EXTENSIONS, create_bot, make_executor, sync_refused_line
from bot.errors import ShuttingDown
from bot.settings import Settings

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.this-is-not-a-real-token-1234567890"


async def test_every_extension_is_loaded_the_error_handler_first(simcord_env):
    bot = simcord_env.bot

    assert list(bot.extensions) == list(EXTENSIONS)
    assert EXTENSIONS[0] == "bot.exts.error_handler"
    assert bot.beats is not None  # the beat extension hands the bot its service


@pytest.mark.bot_settings(workers=3)
def test_the_executor_runs_the_settings_workers_at_once_on_named_threads(settings):
    together = threading.Barrier(3, timeout=5)  # breaks unless 3 threads wait at once
    executor = make_executor(settings)
    try:
        futures = [executor.submit(_meet, together) for _ in range(3)]
        names = {future.result() for future in futures}
    finally:
        executor.shutdown(wait=True)

    assert len(names) == 3 and all(name.startswith("beatbot-make") for name in names)


def _meet(barrier: threading.Barrier) -> str:
    barrier.wait()
    return threading.current_thread().name


async def test_a_replaced_executor_works_until_the_bot_closes(settings, maker):
    bot = await create_bot(settings, maker)
    old = bot.executor
    try:
        async with simcord.run(bot):
            new = bot.replace_executor()

            assert new is bot.executor and new is not old
            assert new.submit(lambda: 6 * 7).result() == 42
            with pytest.raises(RuntimeError):  # the old one was shut down
                old.submit(int)
    finally:
        await bot.close()

    with pytest.raises(ShuttingDown):
        bot.replace_executor()
    with pytest.raises(RuntimeError):  # closing stopped the executor
        bot.executor.submit(int)
    assert not bot.retry_log.is_running()


def _refusal(status: int, text: str | dict) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="Refused")  # what aiohttp's reply holds
    return discord.HTTPException(response, text)


@pytest.mark.parametrize(("status", "guild_id", "fix"), [
    (403, 4242, "check BEATBOT_GUILD_ID=4242 (the bot must be in that server), and invite"),
    (404, 4242, "check BEATBOT_GUILD_ID=4242"),
    (403, None, "Likely fix: invite the bot with the applications.commands scope."),
    (400, None, "check that it takes every option type /beat uses"),
    (500, 4242, "it may be a passing fault: restart the bot later"),
    (429, None, "it may be a passing fault"),
])
def test_a_refused_sync_line_names_the_likely_fix_for_its_status(status, guild_id, fix):
    settings = Settings(_env_file=None, guild_id=guild_id, prefix="?")

    line = sync_refused_line(_refusal(status, "Missing Access"), settings)

    where = f"to guild {guild_id}" if guild_id else "globally"
    assert line.startswith(f"Discord refused the slash commands {where}: HTTP {status}: "
                           "Missing Access. Likely fix: ")
    assert fix in line and line.endswith("Running without slash commands; ?beat still works.")
    assert ("BEATBOT_GUILD_ID" in line) == (guild_id is not None and status in (403, 404))


def test_a_refused_sync_line_keeps_a_many_line_reason_whole_on_one_line():
    reason = {"code": 50035, "message": "Invalid Form Body", "errors": {
        "0": {"options": {"0": {"type": {"_errors": [
            {"code": "BASE_TYPE_CHOICES", "message": "must be 3, 4 or 5"}]}}}}}}
    refusal = _refusal(400, reason)
    assert "\n" in refusal.text

    line = sync_refused_line(refusal, Settings(_env_file=None))

    assert "\n" not in line and "Invalid Form Body In 0.options.0.type: must be 3, 4 or 5" in line


def test_a_refusal_without_a_reason_says_so():
    line = sync_refused_line(_refusal(503, ""), Settings(_env_file=None))
    assert "HTTP 503: no reason given. Likely fix:" in line


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


async def test_token_never_appears_in_logs(tmp_path, maker, caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    try:
        settings = Settings(_env_file=None, token=FAKE_TOKEN, database=tmp_path / "b.db",
                            default_bars=1, cooldown_s=0)
        bot = await create_bot(settings, maker)
        async with simcord.run(bot, shard_count=1) as env:
            channel = env.create_guild().create_text_channel("beats")
            alice = env.guild.add_member(env.create_user("alice"))
            await alice.send(channel, "!beat seed=1")
            await alice.send(channel, "!beat bpm=nope")
            assert env.errors
        await bot.close()
    finally:
        root.removeHandler(handler)

    logged = stream.getvalue() + caplog.text
    assert "starting with" in logged and "**********" in logged  # settings were logged...
    assert FAKE_TOKEN not in logged  # ...without the token
    assert FAKE_TOKEN.split(".")[0] not in logged


async def test_refused_slash_sync_is_one_line_and_the_bot_runs_on(tmp_path, maker, caplog):
    settings = Settings(_env_file=None, database=tmp_path / "b.db", default_bars=1,
                        cooldown_s=0, guild_id=4242)  # a guild the bot is not in
    bot = await create_bot(settings, maker)
    caplog.set_level(logging.WARNING)
    run = simcord.run(bot, shard_count=1)
    run._env.inject_error("PUT", "/applications/*/guilds/4242/commands", status=403, code=50001,
                          message="Missing Access")  # what Discord says to a wrong guild id
    async with run as env:
        refused = [r for r in caplog.records if "refused the slash commands" in r.getMessage()]
        assert len(refused) == 1 and not refused[0].exc_info
        assert "\n" not in refused[0].getMessage() and "4242" in refused[0].getMessage()
        channel = env.create_guild().create_text_channel("beats")
        alice = env.guild.add_member(env.create_user("alice"))
        await alice.send(channel, "!beat seed=1")
        assert channel.last_message.attachments
    await bot.close()


async def test_a_refused_sync_gives_the_servers_reason_first_and_whole(tmp_path, maker, caplog):
    settings = Settings(_env_file=None, database=tmp_path / "b.db", default_bars=1,
                        cooldown_s=0)
    bot = await create_bot(settings, maker)
    caplog.set_level(logging.WARNING)
    reason = ("Invalid Form Body In 0/options/0/type: must be equal to one of the allowed "
              "values (3, 4, 5) and 1/options/2/type: the same")
    run = simcord.run(bot, shard_count=1)
    run._env.inject_error("PUT", "/applications/*/commands", status=400, code=50035,
                          message=reason)
    async with run:
        line = next(r.getMessage() for r in caplog.records
                    if "refused the slash commands" in r.getMessage())
    await bot.close()
    assert "the same" in line and line.index("must be equal") < line.index("Likely fix")
    assert "BEATBOT_GUILD_ID" not in line and "option type" in line
