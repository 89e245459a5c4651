"""Standard MIDI File bytes to what a drum primer needs, in one bounded pass over the bytes.

mido read every primer before. It reads a variable-length number by shifting an ever longer
Python int, so a track of 0xFF bytes (a delta time that never ends) cost time in the square of
its length: 8 to 14 s for 256 KB. It reads a track until its declared length is met exactly, however
far past the end of the file that is, and it builds a Python object per event (about 5 us).

This reader looks at each byte once and refuses, with one BadPrimer line, a number longer than
the standard's 4 bytes, a chunk longer than the file, and a file past the limits below. It
keeps only what the grid needs (sounding notes, tempos, meters, track names) as tuples. It
reads what mido reads the way mido reads it (running status, data bytes above 127 clipped to
127, the same data lengths for system messages), so a file mido reads gives the same notes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mido.messages.specs import SPEC_BY_STATUS

from engine.errors import BadPrimer

# Limits on what is read. The largest Groove MIDI file is 155 KB with one track, 42,242
# events and 11,513 notes.
MAX_TRACKS = 128
"""Most tracks a file may declare."""
MAX_EVENTS = 60_000
"""Most events (notes, controllers, meta, ...) in all tracks together."""
MAX_NOTES = 20_000
"""Most sounding note-ons (velocity above 0) in all tracks together."""
MAX_MESSAGE_BYTES = 1_000_000
"""Longest meta or sysex message, bytes (mido's limit too)."""
MAX_NUMBER_BYTES = 4
"""Longest variable-length number (delta time, meta or sysex length) the standard allows."""

META, SYSEX_STATUSES, NOTE_ON = 0xFF, (0xF0, 0xF7), 0x90
TRACK_NAME, SET_TEMPO, TIME_SIGNATURE = 0x03, 0x51, 0x58
"""Meta types read: the track's name, microseconds per beat, and the meter."""
TEMPO_BYTES, METER_BYTES = 3, 4
"""Shortest set_tempo and time_signature data mido decodes."""
_HEADER = struct.Struct(">4sLHHh")
"""MThd, its length, format, track count, division (negative: SMPTE time, not ticks)."""
HEADER_DATA_BYTES = 6
"""Least an MThd chunk may hold: format, track count, division."""
_DATA_BYTES = tuple(
    -1 if status not in SPEC_BY_STATUS or status in (0xF0, 0xFF)
    else int(SPEC_BY_STATUS[status]["length"]) - 1
    for status in range(256)
)
"""Data bytes after each status byte, as mido reads them (-1: mido refuses the status)."""


@dataclass
class Track:
    """One MTrk chunk, as far as a drum primer needs it.

    Attributes:
        name: the text of its first track name ('' without one), read as Latin-1.
        notes: (tick, channel 0-15, pitch, velocity) of each sounding note-on, in file order.
        tempos: (tick, microseconds per beat) of each tempo change, in file order.
        meters: (numerator, denominator) of each time signature, in file order.
        end: the tick where the track ends (after its last event's delta time).
    """

    name: str = ""
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)
    tempos: list[tuple[int, int]] = field(default_factory=list)
    meters: list[tuple[int, int]] = field(default_factory=list)
    end: int = 0


@dataclass(frozen=True)
class Smf:
    """A Standard MIDI File as read: its format (0 or 1), ticks per beat and tracks."""

    kind: int
    ticks_per_beat: int
    tracks: list[Track]


class _Damaged(Exception):
    """Malformed or cut short; read_smf words it."""


def read_smf(data: bytes) -> Smf:
    """Read MIDI bytes in time linear in their length.

    Raises:
        BadPrimer: not MIDI, damaged or cut short, type 2, no ticks-per-beat resolution, or
            past MAX_TRACKS, MAX_EVENTS or MAX_NOTES.
    """
    try:
        kind, count, ticks_per_beat, pos = _header(data)
        counts = [0, 0]  # events, notes: over all tracks
        tracks = []
        for _ in range(count):
            body, pos = _chunk(data, pos)
            tracks.append(_TrackReader(body, counts).read())
    except (_Damaged, IndexError):  # IndexError: an event ran past its chunk
        raise BadPrimer(unreadable(data)) from None
    return Smf(kind, ticks_per_beat, tracks)


def unreadable(data: bytes) -> str:
    """Why a file could not be read, in words (never a Python error name)."""
    if not data.startswith(b"MThd"):
        return "it is not a MIDI file (a .mid starts with MThd)"
    if b"MTrk" not in data:
        return "the MIDI file has no tracks"
    return "the MIDI file is damaged or cut short"


def _header(data: bytes) -> tuple[int, int, int, int]:
    """The format, track count, ticks per beat and where the first track starts.

    Raises:
        BadPrimer: type 2, more than MAX_TRACKS tracks, or no ticks-per-beat resolution.
    """
    if len(data) < _HEADER.size:
        raise _Damaged
    name, size, kind, count, division = _HEADER.unpack_from(data)
    if name != b"MThd" or size < HEADER_DATA_BYTES:
        raise _Damaged
    if kind == 2:
        raise BadPrimer("type-2 MIDI (independent patterns) is not supported; use type 0 or 1")
    if count > MAX_TRACKS:
        raise BadPrimer(f"the file has {count:,} tracks; at most {MAX_TRACKS} are read")
    if division <= 0:
        raise BadPrimer("the MIDI file has no valid resolution")
    return kind, count, division, 8 + size


def _chunk(data: bytes, pos: int) -> tuple[bytes, int]:
    """The body of the MTrk chunk at `pos`, and where the next chunk starts.

    A chunk claiming more bytes than the file holds is damaged at once: mido would read on
    to the end of the file and fail there (the 0x7FFFFFFF-byte track of issue 12).
    """
    if data[pos:pos + 4] != b"MTrk" or pos + 8 > len(data):
        raise _Damaged
    end = pos + 8 + int.from_bytes(data[pos + 4:pos + 8], "big")
    if end > len(data):
        raise _Damaged
    return data[pos + 8:end], end


class _TrackReader:
    """Walks one chunk's events from the start; indexing past its end raises IndexError."""

    def __init__(self, body: bytes, counts: list[int]) -> None:
        self.body, self.counts, self.pos = body, counts, 0
        self.track, self.tick, self.running = Track(), 0, None
        self.named = False

    def read(self) -> Track:
        """Read every event; the chunk must end exactly after the last one."""
        while self.pos < len(self.body):
            self._event()
        self.track.end = self.tick
        return self.track

    def _event(self) -> None:
        """Read one event: delta time, status (or running status), data."""
        self.tick += self._number()
        status = self.body[self.pos]
        self.pos += 1
        running = status < 0x80  # running status: this was the first data byte
        if running:
            self._require(self.running is not None)
            status = self.running
        elif status != META:  # as in mido, sysex and system messages set running status
            self.running = status
        if status == META:
            self._meta()
        elif status in SYSEX_STATUSES:  # a running-status byte is dropped, as in mido
            self._skip(self._number())
        else:
            self._message(status, running)
        self._count(0, MAX_EVENTS, "MIDI events")

    def _meta(self) -> None:
        """Read a meta event; keep the first track name, tempos and meters."""
        kind = self.body[self.pos]
        self.pos += 1
        data = self._skip(self._number())
        if kind == TRACK_NAME and not self.named:
            self.track.name, self.named = data.decode("latin-1"), True
        elif kind == SET_TEMPO:
            self._require(len(data) >= TEMPO_BYTES)
            self.track.tempos.append((self.tick, int.from_bytes(data[:TEMPO_BYTES], "big")))
        elif kind == TIME_SIGNATURE:
            self._require(len(data) >= METER_BYTES)
            self.track.meters.append((data[0], 2 ** data[1]))

    def _message(self, status: int, running: bool) -> None:
        """Step over a channel or system message's data bytes; keep sounding note-ons."""
        start, size = self.pos - running, _DATA_BYTES[status]
        self._require(size >= running)  # no such status, or running status on a 1-byte one
        self.pos = start + size
        self._require(self.pos <= len(self.body))
        if status & 0xF0 == NOTE_ON and self.body[start + 1]:  # velocity 0 is a note-off
            pitch, velocity = min(self.body[start], 127), min(self.body[start + 1], 127)
            self.track.notes.append((self.tick, status & 0x0F, pitch, velocity))  # clip, as mido
            self._count(1, MAX_NOTES, "notes")

    def _number(self) -> int:
        """A variable-length number of at most MAX_NUMBER_BYTES bytes."""
        value = 0
        for pos in range(self.pos, self.pos + MAX_NUMBER_BYTES):
            byte = self.body[pos]
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                self.pos = pos + 1
                return value
        raise _Damaged  # the continuation bit never clears: garbage, never a long number

    def _skip(self, length: int) -> bytes:
        """The next `length` bytes, which must lie inside the chunk."""
        self._require(length <= MAX_MESSAGE_BYTES and self.pos + length <= len(self.body))
        self.pos += length
        return self.body[self.pos - length:self.pos]

    def _count(self, which: int, limit: int, what: str) -> None:
        self.counts[which] += 1
        if self.counts[which] > limit:
            raise BadPrimer(f"the file holds more than {limit:,} {what}")

    @staticmethod
    def _require(condition: bool) -> None:
        if not condition:
            raise _Damaged
