"""The bot's own errors (bot.errors): each says what the user must read, and `unwrap` peels
discord.py's wrappers and ours down to what went wrong."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord.ext import commands

from bot.errors import (
    AlreadyMaking,
    BotUserError,
    JobFailed,
    LoggedFailure,
    MissingPermission,
    NoDrummers,
    OldButton,
    QueueDown,
    QueueFull,
    ShuttingDown,
    UploadFailed,
    unwrap,
)
from engine.errors import BadValue


@pytest.mark.parametrize(("error", "line"), [
    (QueueFull(12), "Busy: every drummer is playing. Try again in 12 s."),
    (AlreadyMaking(), "You already have a beat cooking; wait for it to land, then ask again."),
    (ShuttingDown(), "I'm restarting and not taking new beats; try again in a minute."),
    (QueueDown(), "I can't reach my drummers right now (the job queue is down); please try "
                  "again in a minute."),
    (NoDrummers(), "No drummer is on duty right now; please try again in a minute."),
    (UploadFailed(413), "Discord would not take the upload (HTTP 413), even without the audio. "
                        "Please try again in a moment."),
    (MissingPermission(("Attach Files",)), "I can't post beats in this channel: I need the "
     "Attach Files permission here. A server admin can grant it in the channel's settings."),
    (MissingPermission(("Attach Files", "Embed Links")), "I can't post beats in this channel: "
     "I need the Attach Files and Embed Links permissions here. A server admin can grant them "
     "in the channel's settings."),
    (OldButton(None), "These buttons no longer work: they are from an older version of the "
                      "bot, or the beat's embed was removed."),
    (OldButton("!beat bpm=90 seed=7"), "These buttons no longer work: they are from an older "
     "version of the bot, or the beat's embed was removed. Make it again with "
     "`!beat bpm=90 seed=7`."),
])
def test_each_refusal_is_one_line_the_user_reads_as_is(error, line):
    assert isinstance(error, BotUserError) and isinstance(error, commands.CommandError)
    assert str(error) == line and "\n" not in line


def test_refusals_keep_what_they_were_made_with():
    assert QueueFull(7).retry_after_s == 7
    assert UploadFailed(500).status == 500
    assert MissingPermission(("Send Messages",)).names == ("Send Messages",)


def test_a_failed_job_is_no_user_error_and_keeps_its_cause():
    cause = ZeroDivisionError("division by zero")

    failed = JobFailed(cause)

    assert not isinstance(failed, BotUserError)
    assert failed.cause is cause and str(failed) == "ZeroDivisionError: division by zero"


def _invoked(error: BaseException) -> commands.CommandInvokeError:
    return commands.CommandInvokeError(error)


@app_commands.command(name="probe")
async def _probe(interaction) -> None:
    """A real slash command for discord.py's wrappers to name."""


BAD = BadValue("bpm", 500, "a number from 40 to 300")


@pytest.mark.parametrize(("wrapped", "inner"), [
    (BAD, BAD),
    (_invoked(BAD), BAD),
    (commands.HybridCommandError(app_commands.CommandInvokeError(_probe, BAD)), BAD),
    (_invoked(LoggedFailure(BAD)), BAD),
    (LoggedFailure(_invoked(QueueDown())), QueueDown),
    (commands.ConversionError(None, BAD), BAD),
    (_invoked(JobFailed(BAD)), JobFailed),  # a job's failure is what went wrong: kept whole
])
def test_unwrap_peels_every_wrapper_down_to_what_went_wrong(wrapped, inner):
    found = unwrap(wrapped)
    assert found is inner if isinstance(inner, BaseException) else type(found) is inner


def test_a_logged_failure_says_what_it_wraps():
    assert str(LoggedFailure(QueueFull(3))) == str(QueueFull(3))

