"""What crosses Redis: jobs and results as msgpack data, never pickles.

arq pickles jobs and results by default, so whoever could write to the queue's Redis could
run code in every worker and bot. Here both sides hand arq `dumps` and `loads` instead: a
payload is MAGIC followed by msgpack, in which the only objects are the dataclasses of
DATA_CLASSES (by name, built field by field), NumPy arrays of plain dtypes, paths, and the
errors of ERROR_TYPES (anything else a job raised comes back as `RemoteError`, its type's
name and message). Reading builds nothing else: a payload that is not ours (a pickle put
there by hand, garbage) is refused with one logged line and `Refused`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from pathlib import PurePath
from typing import Any

import msgpack
import numpy as np
from arq.worker import JobExecutionFailed

from bot.jobs.base import Card, Ran, WorkerDied
from engine.beat.maker import Beat
from engine.beat.request import BeatRequest, Edit
from engine.beat.stems import Stems
from engine.errors import EngineError
from engine.music.notes import Note
from engine.music.pattern import Pattern
from engine.sound.encode import EncodedAudio
from engine.sound.kits import Kit

log = logging.getLogger(__name__)

MAGIC = b"beatbot-msgpack-1:"
"""How every payload starts; a pickle starts with 0x80, and is refused unread."""
TAG = "__t"
DATA_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    BeatRequest, Edit, Ran, Beat, Kit, Pattern, Note, EncodedAudio, Stems, Card)}
"""The only objects a payload may hold, by name."""
DTYPES = frozenset({"|u1", "|i1", "<u2", "<i2", "<i4", "<i8", "<f4", "<f8", "|b1"})
"""NumPy dtypes an array may have (plain numbers: never objects)."""
REFUSED_JOB = "beatbot:refused"
"""The function name a refused job is read as on a worker: none has it, so arq fails the
job without running anything (and the waiting bot, if any, is told it failed)."""


class Refused(Exception):
    """Data read from Redis that BeatBot did not write (a pickle, garbage): not read."""


class RemoteError(Exception):
    """An error raised on the other side whose type is not one both sides rebuild.

    Args:
        kind: its type's qualified name (`builtins.MemoryError`).
        message: its message.
    """

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}" if message else kind)


def dumps(data: Any) -> bytes:
    """A job or result (arq's dict) as MAGIC + msgpack.

    Raises:
        TypeError: it holds an object that is not data (arq then stores a failure instead).
    """
    return MAGIC + msgpack.packb(data, default=_encode, use_bin_type=True)


def loads(payload: bytes) -> dict[str, Any]:
    """A job or result written by `dumps`.

    Raises:
        Refused: the payload is not ours (logged, in one line).
    """
    try:
        if not payload.startswith(MAGIC):
            raise Refused(f"it does not start with {MAGIC!r} (a pickle starts with 0x80)")
        return msgpack.unpackb(memoryview(payload)[len(MAGIC):], object_hook=_decode,
                               raw=False, strict_map_key=False)
    except Exception as error:
        reason = error if isinstance(error, Refused) else f"{type(error).__name__}: {error}"
        log.warning("refused data from the job queue that BeatBot did not write (%s); "
                    "starts %r: only BeatBot may write to its Redis", reason, bytes(payload[:12]))
        raise Refused(str(reason)) from None


def load_job(payload: bytes) -> dict[str, Any]:
    """A worker's `loads`: a refused job is read as a call of REFUSED_JOB, which no worker
    has, so it fails without running and without a traceback in the log."""
    try:
        return loads(payload)
    except Refused:
        return {"t": 1, "f": REFUSED_JOB, "a": [], "k": {}, "et": int(time.time() * 1000)}


class QuietRefusals(logging.Filter):
    """Drops arq's "function not found" line for a refused job (ours has said why)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop the record when it is arq's line about a refused job."""
        return REFUSED_JOB not in record.getMessage()


def _encode(value: Any) -> Any:
    """The msgpack hook for what it can't pack itself."""
    name = type(value).__name__
    if DATA_CLASSES.get(name) is type(value):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
        return {TAG: name, **fields}
    if isinstance(value, np.ndarray) and value.dtype.str in DTYPES:
        return {TAG: "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                "data": np.ascontiguousarray(value).tobytes()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, PurePath):
        return {TAG: "path", "path": str(value)}
    if isinstance(value, BaseException):
        return _encode_error(value)
    raise TypeError(f"{name} is not data that may cross the job queue")


def _decode(mapping: dict[str, Any]) -> Any:
    """The msgpack hook for every map: a tagged one becomes its object."""
    tag = mapping.get(TAG)
    if tag is None:
        return mapping
    if tag in DATA_CLASSES:
        return _build(DATA_CLASSES[tag], mapping)
    if tag == "ndarray" and mapping["dtype"] in DTYPES:
        array = np.frombuffer(mapping["data"], dtype=np.dtype(mapping["dtype"]))
        return array.reshape([int(n) for n in mapping["shape"]]).copy()
    if tag == "path":
        return PurePath(str(mapping["path"]))
    if tag == "error":
        return _decode_error(mapping)
    raise Refused(f"unknown tag {str(tag)[:40]!r}")


def _build(cls: type, mapping: dict[str, Any]) -> Any:
    """One of DATA_CLASSES from its fields; lists where the field is a tuple become tuples."""
    values = {}
    for spec in dataclasses.fields(cls):
        if spec.init and spec.name in mapping:
            value = mapping[spec.name]
            if isinstance(value, list) and str(spec.type).startswith("tuple"):
                value = tuple(value)
            values[spec.name] = value
    return cls(**values)


def _error_types() -> dict[str, type[BaseException]]:
    """The errors rebuilt as themselves: the engine's, a dead worker, arq's failures."""
    found: dict[str, type[BaseException]] = {}
    pending: list[type[BaseException]] = [EngineError, WorkerDied, JobExecutionFailed,
                                          TimeoutError, asyncio.CancelledError]
    while pending:
        kind = pending.pop()
        found[_qualified(kind)] = kind
        pending.extend(kind.__subclasses__())
    return found


def _qualified(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _encode_error(error: BaseException) -> dict[str, Any]:
    """An error as its type's name, its args and its attributes; only the message for a
    type the other side won't rebuild, or whose attributes are not data."""
    kind = _qualified(type(error))
    if kind in ERROR_TYPES:
        state = dict(getattr(error, "__dict__", {}))
        try:
            msgpack.packb([list(error.args), state], default=_encode, use_bin_type=True)
            return {TAG: "error", "type": kind, "args": list(error.args), "state": state}
        except (TypeError, ValueError):
            pass
    return {TAG: "error", "type": kind, "message": str(error)[:1000]}


def _decode_error(mapping: dict[str, Any]) -> BaseException:
    """The error, built as unpickling builds one but without running its `__init__`: its
    args and attributes set as they were."""
    kind = ERROR_TYPES.get(str(mapping.get("type")))
    if kind is None or "args" not in mapping:
        return RemoteError(str(mapping.get("type"))[:100], str(mapping.get("message", "")))
    error = kind.__new__(kind)
    error.args = tuple(mapping["args"])
    error.__dict__.update({str(key): value for key, value in (mapping.get("state") or {}).items()})
    return error


ERROR_TYPES = _error_types()
