"""The bot's own errors, and how any error becomes one line for the user and an outcome."""

from __future__ import annotations

import math

from discord import app_commands
from discord.ext import commands

from bot.database import Outcome
from bot.text import inline, one_line
from engine.errors import BadPrimer, BadValue, EngineError, ModelError, RenderError


class BotUserError(commands.CommandError):
    """A refusal the user should read as is (`outcome` says how it is logged)."""

    outcome: Outcome = "user_error"


class QueueFull(BotUserError):
    """Every worker is busy and the wait line is full.

    Args:
        retry_after_s: a guess of when to try again, whole seconds.
    """

    outcome: Outcome = "busy"

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"Busy: every drummer is playing. Try again in {retry_after_s} s.")


class AlreadyMaking(BotUserError):
    """The user already has a beat being made."""

    outcome: Outcome = "busy"

    def __init__(self) -> None:
        super().__init__("You already have a beat cooking; wait for it to land, then ask again.")


class ShuttingDown(BotUserError):
    """The bot is stopping: it finishes the beats it has started but takes no new ones."""

    outcome: Outcome = "busy"

    def __init__(self) -> None:
        super().__init__("I'm restarting and not taking new beats; try again in a minute.")


class UploadFailed(BotUserError):
    """Discord refused the beat's message twice, the second time without the audio.

    Args:
        status: the HTTP status of the last refusal.
    """

    outcome: Outcome = "failed"

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(f"Discord would not take the upload (HTTP {status}), even without the "
                         "audio. Please try again in a moment.")


class JobFailed(commands.CommandError):
    """Making a beat failed in a way the engine did not mean (a bug, a dead worker).

    Args:
        original: what the job raised.
    """

    def __init__(self, original: BaseException) -> None:
        self.cause = original
        super().__init__(f"{type(original).__name__}: {original}")


class LoggedFailure(commands.CommandError):
    """Wraps an error of a request that the beat service has already written to the log."""

    def __init__(self, original: BaseException) -> None:
        self.original = original
        super().__init__(str(original))


def unwrap(error: BaseException) -> BaseException:
    """Peel discord.py's and our wrappers off an error, down to what went wrong."""
    wrappers = (commands.CommandInvokeError, commands.HybridCommandError,
                app_commands.CommandInvokeError, commands.ConversionError, LoggedFailure)
    while isinstance(error, wrappers) and getattr(error, "original", None) is not None:
        error = error.original
    return error


def outcome_of(error: BaseException) -> Outcome:
    """How a failed request is logged."""
    error = unwrap(error)
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return "cooldown"
    if isinstance(error, BotUserError):
        return error.outcome
    if isinstance(error, BadValue | BadPrimer | commands.UserInputError):
        return "user_error"
    return "failed"


def describe(error: BaseException) -> str | None:
    """The one line to show for an error, or None when it deserves no reply (unknown command).

    Unexpected errors get a generic line; the caller logs those (see `is_expected`).
    """
    error = unwrap(error)
    if isinstance(error, commands.CommandNotFound):
        return None
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return f"Slow down: you can ask again in {math.ceil(error.retry_after)} s."
    if isinstance(error, EngineError):
        return _engine_line(error)
    if isinstance(error, commands.UserInputError | BotUserError):
        return one_line(str(error))
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, JobFailed):
        return ("Your beat could not be made: something broke on my side (it has been logged). "
                "Please try again.")
    return "Something went wrong on my side; it has been logged. Please try again."


def is_expected(error: BaseException) -> bool:
    """True for errors that are the user's doing or a known refusal (not worth a traceback)."""
    error = unwrap(error)
    expected = (commands.UserInputError, commands.CommandNotFound, commands.CheckFailure,
                commands.CommandOnCooldown, app_commands.CheckFailure, BotUserError,
                BadValue, BadPrimer)
    return isinstance(error, expected)


def _engine_line(error: EngineError) -> str:
    if isinstance(error, BadValue):
        return str(BadValue(error.field, inline(error.value), error.allowed))
    if isinstance(error, BadPrimer):
        return one_line(f"That MIDI file can't be continued: {error}")
    if isinstance(error, RenderError):
        return one_line(f"The audio could not be made: {error}")
    if isinstance(error, ModelError):
        return "The beat model isn't available right now; please tell the bot's owner."
    return one_line(str(error))
