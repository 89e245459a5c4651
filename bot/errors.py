"""The bot's own errors (bot.answers says how each is logged and answered)."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands


class BotUserError(commands.CommandError):
    """A refusal the user should read as is (ANSWERS says how it is logged)."""


class QueueFull(BotUserError):
    """Every worker is busy and the wait line is full.

    Args:
        retry_after_s: a guess of when to try again, whole seconds.
    """

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"Busy: every drummer is playing. Try again in {retry_after_s} s.")


class AlreadyMaking(BotUserError):
    """The user already has a beat being made."""

    def __init__(self) -> None:
        super().__init__("You already have a beat cooking; wait for it to land, then ask again.")


class ShuttingDown(BotUserError):
    """The bot is stopping: it finishes the beats it has started but takes no new ones."""

    def __init__(self) -> None:
        super().__init__("I'm restarting and not taking new beats; try again in a minute.")


class QueueDown(BotUserError):
    """Redis (the job queue) can't be reached."""

    def __init__(self) -> None:
        super().__init__("I can't reach my drummers right now (the job queue is down); "
                         "please try again in a minute.")


class NoDrummers(BotUserError):
    """No `beatbot worker` is alive to make beats."""

    def __init__(self) -> None:
        super().__init__("No drummer is on duty right now; please try again in a minute.")


class UploadFailed(BotUserError):
    """Discord refused the beat's message twice, the second time without the audio.

    Args:
        status: the HTTP status of the last refusal.
    """

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(f"Discord would not take the upload (HTTP {status}), even without the "
                         "audio. Please try again in a moment.")


class MissingPermission(BotUserError):
    """The bot lacks a channel permission it needs to post a beat (Discord's 403, 50013).

    Args:
        names: the permissions, as Discord's settings name them (`Attach Files`).
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        wanted = " and ".join(names)
        plural, them = ("s", "them") if len(names) > 1 else ("", "it")
        super().__init__(f"I can't post beats in this channel: I need the {wanted} "
                         f"permission{plural} here. A server admin can grant {them} in the "
                         "channel's settings.")


class OldButton(BotUserError):
    """A button whose recipe can't be read: from an older version of the bot (its custom_id
    holds none), or carrying a digest whose embed was removed.

    Args:
        replay: the beat's replay line (`!beat bpm=90 ... seed=7`), when its embed has one.
    """

    def __init__(self, replay: str | None) -> None:
        again = f" Make it again with `{replay}`." if replay else ""
        super().__init__("These buttons no longer work: they are from an older version of the "
                         "bot, or the beat's embed was removed." + again)


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
