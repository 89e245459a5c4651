"""What the request log holds: a request's outcome, its row, and what reads give back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a request, as the log stores it (bot.errors maps errors to these)."""

    OK = "ok"
    USER_ERROR = "user_error"
    BUSY = "busy"
    COOLDOWN = "cooldown"
    FAILED = "failed"


OUTCOMES: tuple[str, ...] = tuple(Outcome)


class LogUnavailable(Exception):
    """The request log can't be read right now (its database is down or locked)."""

    def __init__(self) -> None:
        super().__init__("The request log can't be read right now; beats still work, so try "
                         "this again in a minute.")



@dataclass
class RequestRecord:
    """One request as it is logged. Times are milliseconds; None where the stage never ran.

    Attributes:
        user_id: who asked.
        guild_id: where (None in DMs).
        channel_id: the channel it came from.
        source: `prefix`, `slash`, or the button pressed (`regenerate`, `variation`, `extend`).
        created_at: when it arrived (UTC).
        params: the request as user keys (see `BeatRequest.params`).
        seed: the seed, once known.
        outcome: what became of it.
        error: the one line the user saw, or an audio error on an otherwise good beat.
        request_key: unique to this request, so that a row sent twice (a commit whose
            acknowledgement was lost, a spill file loaded again) is stored once.
    """

    user_id: int
    guild_id: int | None
    channel_id: int | None
    source: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    params: dict[str, object] = field(default_factory=dict)
    seed: int | None = None
    outcome: Outcome = Outcome.FAILED
    error: str | None = None
    queue_ms: float | None = None
    generate_ms: float | None = None
    render_ms: float | None = None
    encode_ms: float | None = None
    upload_ms: float | None = None
    total_ms: float | None = None
    request_key: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class PastBeat:
    """A beat from someone's history."""

    created_at: datetime
    params: dict[str, object]
    seed: int


@dataclass(frozen=True)
class Stats:
    """What the bot served since a moment (usually midnight UTC).

    Attributes:
        beats: requests answered with a beat.
        requests: requests of any outcome.
        p50_ms: median receive-to-reply time of the beats, or None with no beats.
        top_styles: (style, count), most used first.
    """

    beats: int
    requests: int
    p50_ms: float | None
    top_styles: list[tuple[str, int]]
