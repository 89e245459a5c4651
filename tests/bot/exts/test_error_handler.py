"""The one error handler (bot.exts.error_handler), through simcord: every command error is one
line in reply, nothing pings, only surprises are logged with a traceback, and unloading it
gives the command tree its own hook back."""

from __future__ import annotations

import logging

import pytest
from discord.ext import commands

from bot.exts.error_handler import ErrorHandler
from bot.text import ZERO_WIDTH_SPACE

RAISED = {
    "boom": RuntimeError("the drummer fell off the stool"),
    "bad": commands.BadArgument("line one\nline two @everyone <@&1>"),
}


async def _raise(ctx: commands.Context, name: str) -> None:
    raise RAISED[name]


@pytest.fixture
def raising(simcord_env):
    """The bot with a `!raise NAME` command that raises RAISED[NAME] (a test's own command)."""
    simcord_env.bot.add_command(commands.Command(_raise, name="raise"))
    return simcord_env


@pytest.mark.parametrize(("name", "line", "traceback"), [
    ("boom", "Something went wrong on my side; it has been logged. Please try again.", True),
    ("bad", f"line one line two @{ZERO_WIDTH_SPACE}everyone <@{ZERO_WIDTH_SPACE}&1>", False),
])
async def test_a_command_error_is_one_line_in_reply_and_only_surprises_log_a_traceback(
        raising, channel, alice, caplog, name, line, traceback):
    caplog.set_level(logging.INFO, logger="bot.exts.error_handler")

    asked = await alice.send(channel, f"!raise {name}")

    answer = channel.last_message
    assert answer.author.id == raising.bot.user.id and answer.content == line
    assert answer.reference is not None and answer.reference.message_id == asked.id
    logged = [r for r in caplog.records if r.name == "bot.exts.error_handler"]
    assert bool(logged) == traceback
    if traceback:
        (record,) = logged
        assert record.levelno == logging.ERROR and "command raise" in record.getMessage()
        assert record.exc_info[1] is RAISED["boom"]
    raising.errors  # noqa: B018 - the error, acknowledged


async def test_an_unknown_command_gets_no_answer(simcord_env, channel, alice, caplog):
    await alice.send(channel, "!nosuchcommand")

    assert channel.last_message.author.id == alice.user.id
    assert not [r for r in caplog.records if r.name == "bot.exts.error_handler"]


async def test_unloading_gives_the_tree_its_hook_back_and_loading_takes_it_again(simcord_env):
    bot = simcord_env.bot
    assert bot.tree.on_error == bot.get_cog("ErrorHandler").on_app_command_error

    await bot.unload_extension("bot.exts.error_handler")
    before = bot.tree.on_error
    assert not isinstance(getattr(before, "__self__", None), ErrorHandler)
    await bot.load_extension("bot.exts.error_handler")
    handler = bot.get_cog("ErrorHandler")
    assert bot.tree.on_error == handler.on_app_command_error != before
    await bot.unload_extension("bot.exts.error_handler")

    assert bot.tree.on_error is before
