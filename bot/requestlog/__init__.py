"""The request log: one row per beat request, whatever became of it.

What the rest of the bot uses is here; `store` holds the database work, `schema` the table.
"""

from bot.requestlog.records import Outcome, PastBeat, RequestRecord, Stats
from bot.requestlog.store import (
    Database,
    LogOpenFailed,
    LogUnavailable,
    describe_target,
    spill_path,
)

__all__ = ["Database", "LogOpenFailed", "LogUnavailable", "Outcome", "PastBeat",
           "RequestRecord", "Stats", "describe_target", "spill_path"]
