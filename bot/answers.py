"""How each error is logged and answered: one table, first match wins."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from discord import app_commands
from discord.ext import commands

from bot.errors import (
    AlreadyMaking,
    BotUserError,
    JobFailed,
    MissingPermission,
    NoDrummers,
    QueueDown,
    QueueFull,
    ShuttingDown,
    UploadFailed,
    unwrap,
)
from bot.requestlog import LogUnavailable, Outcome
from bot.text import code, one_line
from engine.errors import (
    BadInput,
    BadMaterial,
    BadPrimer,
    BadValue,
    EngineError,
    ModelError,
    RenderError,
    TooLong,
)


@dataclass(frozen=True)
class Answer:
    """How one kind of error is logged and answered.

    Attributes:
        outcome: how the request is logged.
        expected: the user's doing or a known refusal (no traceback is logged).
        line: the one line for the user, or None for no reply (an unknown command).
    """

    outcome: Outcome
    expected: bool
    line: Callable[[BaseException], str | None]


def _said(prefix: str = "") -> Callable[[BaseException], str]:
    return lambda error: one_line(prefix + str(error))


def _fixed(line: str | None) -> Callable[[BaseException], str | None]:
    return lambda error: line


def _quoted(error: BaseException) -> str:
    return one_line(error.line(code))  # BadValue and BadInput quote the user's text


COOLDOWNS = (commands.CommandOnCooldown, app_commands.CommandOnCooldown)
CHECKS = (commands.CheckFailure, app_commands.CheckFailure)
ANSWERS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Answer], ...] = (
    (commands.CommandNotFound, Answer(Outcome.USER_ERROR, True, _fixed(None))),
    (COOLDOWNS, Answer(Outcome.COOLDOWN, True, lambda error: (
        f"Slow down: you can ask again in {math.ceil(error.retry_after)} s."))),
    ((QueueFull, AlreadyMaking, ShuttingDown, NoDrummers), Answer(Outcome.BUSY, True, _said())),
    ((UploadFailed, QueueDown, MissingPermission), Answer(Outcome.FAILED, True, _said())),
    (LogUnavailable, Answer(Outcome.FAILED, True, _said())),
    (BotUserError, Answer(Outcome.USER_ERROR, True, _said())),
    ((BadValue, BadInput), Answer(Outcome.USER_ERROR, True, _quoted)),
    (BadMaterial, Answer(Outcome.USER_ERROR, True, _said("That MIDI file can't be followed: "))),
    (BadPrimer, Answer(Outcome.USER_ERROR, True, _said("That MIDI file can't be continued: "))),
    (TooLong, Answer(Outcome.USER_ERROR, True, lambda error: (
        f"That beat is {error.bars} bars; extending it adds {error.adding}, and {error.limit} "
        "bars is the longest a beat can be."))),
    (RenderError, Answer(Outcome.FAILED, False, _said("The audio could not be made: "))),
    (ModelError, Answer(Outcome.FAILED, False, _fixed(
        "The beat model isn't available right now; please tell the bot's owner."))),
    (EngineError, Answer(Outcome.FAILED, False, _said())),
    (commands.UserInputError, Answer(Outcome.USER_ERROR, True, _said())),
    (CHECKS, Answer(Outcome.FAILED, True, _fixed("You can't use that command here."))),
    (JobFailed, Answer(Outcome.FAILED, False, _fixed(
        "Your beat could not be made: something broke on my side (it has been logged). "
        "Please try again."))),
    (BaseException, Answer(Outcome.FAILED, False, _fixed(
        "Something went wrong on my side; it has been logged. Please try again."))),
)
"""Error type -> how it is logged and answered; the first row that matches wins."""


def answer_for(error: BaseException) -> Answer:
    """The row of ANSWERS for an error, after peeling off discord.py's wrappers."""
    error = unwrap(error)
    return next(answer for kinds, answer in ANSWERS if isinstance(error, kinds))


def describe(error: BaseException) -> str | None:
    """The one line to show for an error, or None when it deserves no reply."""
    return answer_for(error).line(unwrap(error))
