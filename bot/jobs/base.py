"""What both job back ends share: the interface the beat service talks to, a finished job,
and the error of a job that ended its worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.requestlog import RequestRecord
    from engine.beat.maker import Beat
    from engine.beat.request import BeatRequest

T = TypeVar("T")

FIRST_JOB_S = 1.0
"""Guess of one job's length (seconds) before any has finished or run that long."""


class WorkerDied(Exception):
    """A job ended its worker's run with a BaseException (SystemExit, KeyboardInterrupt, ...).

    Raised in its place: a BaseException that reached the event loop would stop it.

    Args:
        original: what the job raised.
    """

    def __init__(self, original: BaseException) -> None:
        self.original = original
        super().__init__(f"the worker died: {type(original).__name__}: {original}")


@dataclass(frozen=True)
class Ran(Generic[T]):
    """A finished job: its result, and how long it waited for a worker (ms)."""

    result: T
    wait_ms: float


@dataclass(frozen=True)
class Card:
    """Who asked for a job and where, and the log row's fields: with it, any bot process can
    answer the job, should the one that queued it die (see RedisJobs' adoption).

    Attributes:
        user_id: who asked.
        channel_id: where to answer.
        guild_id: the channel's guild (None in DMs).
        message_id: the request's message, answered in reply; None for a slash command or
            a button press (their answers go to the channel).
        source: `prefix`, `slash` or the button pressed.
        request_key: the log row's unique key: the row is written once, whoever writes it.
        created_at: when the request came in (ISO 8601, UTC).
        params: the request as user keys.
    """

    user_id: int
    channel_id: int | None
    guild_id: int | None
    message_id: int | None
    source: str
    request_key: str
    created_at: str
    params: dict[str, object]


def card_for(origin: object, record: RequestRecord) -> Card:
    """The card of a request from `origin` (a command context or a button press), with its
    log row's fields as they are when the job is queued."""
    ctx = getattr(origin, "ctx", None)
    message = ctx.message if ctx is not None and ctx.interaction is None else None
    return Card(user_id=record.user_id, channel_id=record.channel_id,
                guild_id=record.guild_id, message_id=message.id if message else None,
                source=record.source, request_key=record.request_key,
                created_at=record.created_at.isoformat(), params=dict(record.params))


OnQueued = Callable[[int], Awaitable[object]]
"""Awaited with a request's 1-based place in line when it has to wait."""


class BeatJobs(Protocol):
    """Makes beats for the beat service, and keeps the limits users see.

    The service calls `admit` for a request, then `make`, then always `release`.
    """

    async def admit(self, user_id: int) -> None:
        """Take a place for one request of this user, or refuse it.

        Raises:
            AlreadyMaking: the user has a beat in flight.
            QueueFull: every worker is busy and the line is full.
            commands.CommandOnCooldown: the user is over their rate.
            BotUserError: the back end can't take beats now (it says why).
        """

    async def make(self, request: BeatRequest, on_queued: OnQueued | None = None,
                   card: Card | None = None) -> Ran[Beat]:
        """Make the beat of an admitted request (`card`: who to answer, should this process
        die before the beat is made; a back end that outlives nothing ignores it).

        Raises:
            EngineError: the engine refused the request (a bad primer, ...).
            Exception: anything else went wrong (the service reports it as JobFailed).
        """

    async def release(self, user_id: int) -> None:
        """Give back the place `admit` took (whatever `make` did)."""

    async def close(self) -> None:
        """Let go of what the back end holds (connections; never the engine)."""
