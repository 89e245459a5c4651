"""Drum MIDI in and out with mido: read any drum file onto the grid, write type-1 files."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
from mido.messages.specs import SPEC_BY_STATUS

from engine.errors import BadPrimer
from engine.music.drums import (
    DRUM_CHANNEL,
    N_CLASSES,
    ROLL_WINDOW,
    STEPS_PER_BAR,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    class_of,
)
from engine.music.notes import Note
from engine.music.pattern import Pattern

MAX_OFFSET = 0.5
"""Largest timing offset kept, in steps (a hit on the last step may sit later still)."""
MAX_STEPS = 64 * STEPS_PER_BAR * 4
"""Longest file we quantise (256 bars); longer input is refused, not truncated."""
DRUM_TRACK_WORDS = ("drum", "perc", "kit", "beat")
TAIL_STEPS = 2.0
"""A file that ends at most this many 16th steps past a bar line ends on that bar line: note
tails and swung, humanized last hits run a little past the loop's end."""
KIT_PITCHES = ((35, 36), (37, 38, 39, 40), (42, 44, 46, 51, 53, 59))
"""Kick, snare (or rim or clap) and hat (or ride) pitches: a track holding all three, and
mostly drum pitches, is read as drums even off channel 10 (how many DAWs export clips)."""
KIT_SHARE = 0.8
"""Share of a guessed drum track's notes that must be drum pitches."""

# Limits on what read_midi will parse. mido builds a Python object per event (about 10 us
# each), so a hostile file is measured first, cheaply, and refused before mido sees it. The
# largest Groove MIDI file is 155 KB with one track, 42,242 events and 11,513 notes.
MAX_MIDI_BYTES = 1024 * 1024
"""Largest file read, bytes."""
MAX_TRACKS = 128
"""Most tracks a file may declare."""
MAX_EVENTS = 60_000
"""Most events (notes, controllers, meta, ...) in all tracks together: about 0.6 s in mido."""
MAX_NOTES = 20_000
"""Most sounding note-ons (velocity above 0) in all tracks together."""
PRIMER_BPM_RANGE = (20.0, 1000.0)
"""A first tempo outside this (BPM) is taken for a broken file; 0 us per beat is one too."""
MAX_MESSAGE_BYTES = 1_000_000
"""mido refuses longer meta and sysex messages; so does the structure check."""
_HEADER = struct.Struct(">4sLhhh")
_DATA_BYTES = tuple(
    -1 if status not in SPEC_BY_STATUS or status in (0xF0, 0xFF)
    else int(SPEC_BY_STATUS[status]["length"]) - 1
    for status in range(256)
)
"""Data bytes after each status byte, as mido reads them (-1: mido refuses the status)."""


@dataclass
class MidiBeat:
    """A drum MIDI file on the 16th grid.

    Attributes:
        pattern: the quantised hits, whole bars long.
        bpm: the first tempo in the file (120 when none is set).
        meters: every time signature in the file as (numerator, denominator).
        dropped: drum notes whose pitch maps to no class.
        guessed_channel: the MIDI channel (1-16) read as drums because its notes are drum
            pitches, when the file has no channel-10 or drum-named track; else None.
    """

    pattern: Pattern
    bpm: float
    meters: list[tuple[int, int]] = field(default_factory=list)
    dropped: int = 0
    guessed_channel: int | None = None

    @property
    def four_four(self) -> bool:
        """True when the file is in 4/4 throughout (or says nothing, which means 4/4)."""
        return all(m == (4, 4) for m in self.meters)


def read_midi(source: bytes | str | Path, max_steps: int | None = MAX_STEPS) -> MidiBeat:
    """Read a drum MIDI file (type 0 or 1, any resolution) onto the 16th grid.

    Drums are the notes on channel 10, or on any channel of a track named as drums; failing
    both, the channel of a track whose notes are drum pitches (see KIT_PITCHES).

    Args:
        source: file bytes or a path.
        max_steps: longest file accepted; None for trusted data sets, whose long
            performances run past the primer limit.

    Raises:
        BadPrimer: the data is not a usable MIDI file, holds no drum notes, or passes one of
            the limits above (checked before parsing, so a refusal is quick and small).
    """
    midi = open_midi(_bytes_of(source))
    onsets, bpm, meters, dropped = _scan(midi)
    guessed = None
    if not onsets:
        guessed = _drum_pitch_channel(midi)
        if guessed is not None:
            onsets, bpm, meters, dropped = _scan(midi, guessed)
    if not onsets:
        raise BadPrimer("the MIDI file has no drum notes (channel 10, a drum track, or a "
                        "track of drum pitches)")
    steps_per_tick = 1.0 / (midi.ticks_per_beat / 4)
    last_hit = _last_hit(onsets, steps_per_tick)
    end_step = max(np.floor(last_hit) + 1, _length(midi) * steps_per_tick - TAIL_STEPS)
    steps = int(np.ceil(end_step / STEPS_PER_BAR - 1e-6)) * STEPS_PER_BAR
    if max_steps is not None and steps > max_steps:
        raise BadPrimer(f"the MIDI file is longer than {max_steps // STEPS_PER_BAR} bars")
    pattern = _quantise(onsets, steps_per_tick, steps)
    return MidiBeat(pattern, bpm, meters, dropped, None if guessed is None else guessed + 1)


def write_midi(notes: list[Note], bpm: float, steps: int) -> bytes:
    """Write notes as a type-1 file: a tempo track (4/4) and a drum track on channel 10.

    Args:
        notes: the notes, ticks at TICKS_PER_BEAT.
        bpm: tempo.
        steps: length in 16th steps; the file ends exactly there so it loops in a DAW.
    """
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    end = steps * TICKS_PER_STEP
    meta = [
        (0, mido.MetaMessage("track_name", name="BeatBot")),
        (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))),
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    midi.tracks.append(_track(meta, end))
    # Offs before ons at a tick (a stable sort keeps the notes' order otherwise). A Note's
    # pitch and velocity are checked data bytes already; mido's own checks were a third of
    # a beat's MIDI time, so each message is made once, unchecked, with its delta time.
    events = sorted([(n.tick, 1, n.pitch, n.velocity) for n in notes]
                    + [(n.tick + n.duration, 0, n.pitch, 0) for n in notes],
                    key=lambda e: e[:2])
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="Drums")])
    now = 0
    for tick, on, pitch, velocity in events:
        drums.append(mido.Message("note_on" if on else "note_off", skip_checks=True,
                                  channel=DRUM_CHANNEL, note=pitch, velocity=velocity,
                                  time=tick - now))
        now = tick
    drums.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    midi.tracks.append(drums)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _bytes_of(source: bytes | str | Path) -> bytes:
    """The file's bytes, refusing an empty or oversized file before reading it all."""
    if isinstance(source, bytes):
        size = len(source)
    else:
        try:
            size = Path(source).stat().st_size
        except OSError as error:
            reason = (error.strerror or "it can't be opened").lower()
            raise BadPrimer(f"the file can't be read: {reason}") from None
    if size == 0:
        raise BadPrimer("the file is empty")
    if size > MAX_MIDI_BYTES:
        raise BadPrimer(f"the file is {size // 1024} KB; at most {MAX_MIDI_BYTES // 1024} KB "
                        "is read")
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def open_midi(data: bytes) -> mido.MidiFile:
    """Parse MIDI bytes with mido, after the cheap structure checks; type 0 or 1 only.

    Raises:
        BadPrimer: garbage, a type-2 file, or a file past the limits above.
    """
    _check_structure(data)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except Exception:  # mido raises many types on garbage
        raise BadPrimer(_unreadable(data)) from None
    if midi.type == 2:
        raise BadPrimer("type-2 MIDI (independent patterns) is not supported; use type 0 or 1")
    if midi.ticks_per_beat <= 0:
        raise BadPrimer("the MIDI file has no valid resolution")
    return midi


def _unreadable(data: bytes) -> str:
    """Why mido could not read a file, in words (never a Python error name)."""
    if not data.startswith(b"MThd"):
        return "it is not a MIDI file (a .mid starts with MThd)"
    if b"MTrk" not in data:
        return "the MIDI file has no tracks"
    return "the MIDI file is damaged or cut short"


class _Unreadable(Exception):
    """The structure check met what mido would also fail on; mido then says what."""


def _check_structure(data: bytes) -> None:
    """Walk the chunks and events the way mido will read them, counting, without decoding.

    Raises:
        BadPrimer: type 2, or more than MAX_TRACKS, MAX_EVENTS or MAX_NOTES.
    """
    if len(data) < _HEADER.size:
        return
    name, size, kind, tracks, _ = _HEADER.unpack_from(data)
    if name != b"MThd" or size < 6:
        return
    if kind == 2:
        raise BadPrimer("type-2 MIDI (independent patterns) is not supported; use type 0 or 1")
    if tracks > MAX_TRACKS:
        raise BadPrimer(f"the file has {tracks:,} tracks; at most {MAX_TRACKS} are read")
    counts = [0, 0]  # events, notes
    pos = 8 + size
    try:
        for _ in range(tracks):
            pos = _walk_track(data, pos, counts)
    except _Unreadable:
        return  # mido refuses it with its own reason


def _walk_track(data: bytes, pos: int, counts: list[int]) -> int:
    """Step over one MTrk chunk's events from `pos` (as mido's read_track); return the end."""
    if data[pos:pos + 4] != b"MTrk" or pos + 8 > len(data):
        raise _Unreadable
    size = int.from_bytes(data[pos + 4:pos + 8], "big")
    start = pos = pos + 8
    last = None
    while pos - start != size:  # mido stops only on the exact size, so this does too
        pos = _varint(data, pos)[1]  # the delta time
        status, pos, peek = _byte(data, pos), pos + 1, 0
        if status < 0x80:  # running status: this was the first data byte
            if last is None:
                raise _Unreadable
            status, peek = last, 1
        elif status != 0xFF:
            last = status
        pos = _step(data, pos, status, peek, counts)
        counts[0] += 1
        if counts[0] > MAX_EVENTS:
            raise BadPrimer(f"the file holds more than {MAX_EVENTS:,} MIDI events")
    return pos


def _step(data: bytes, pos: int, status: int, peek: int, counts: list[int]) -> int:
    """Step over one event's data (after its status byte); count sounding note-ons."""
    if status == 0xFF:  # meta: type, length, data
        length, pos = _varint(data, pos + 1)
        return _skip(data, pos, length)
    if status in (0xF0, 0xF7):  # sysex: length, data (a running-status byte is dropped)
        length, pos = _varint(data, pos)
        return _skip(data, pos, length)
    length = _DATA_BYTES[status]
    if length < 0:
        raise _Unreadable
    if status & 0xF0 == 0x90 and _byte(data, pos + 1 - peek):  # note_on, velocity above 0
        counts[1] += 1
        if counts[1] > MAX_NOTES:
            raise BadPrimer(f"the file holds more than {MAX_NOTES:,} notes")
    return _skip(data, pos, length - peek)


def _skip(data: bytes, pos: int, length: int) -> int:
    if length > MAX_MESSAGE_BYTES or pos + length > len(data):
        raise _Unreadable
    return pos + length


def _byte(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise _Unreadable
    return data[pos]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A MIDI variable-length number at `pos`: (value, position after it)."""
    value = 0
    while True:
        byte = _byte(data, pos)
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos


def _drum_pitch_channel(midi: mido.MidiFile) -> int | None:
    """The channel (0-15) whose notes are mostly drum pitches of a whole kit, or None."""
    pitches: dict[int, list[int]] = {}
    for track in midi.tracks:
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                pitches.setdefault(msg.channel, []).append(msg.note)
    for channel, notes in sorted(pitches.items(), key=lambda item: -len(item[1])):
        drums = sum(class_of(note) is not None for note in notes)
        whole_kit = all(set(notes) & set(kind) for kind in KIT_PITCHES)
        if whole_kit and drums >= KIT_SHARE * len(notes):
            return channel
    return None


def _scan(midi: mido.MidiFile, channel: int | None = None
          ) -> tuple[list[tuple[int, int, int]], float, list, int]:
    """Collect (tick, class, velocity) drum onsets, the first tempo, the meters, the dropped.

    Drums are the notes on `channel` (0-15) when given, else those on channel 10 or in a
    track named as drums.
    """
    onsets, meters, dropped, tempo = [], [], 0, None
    for track in midi.tracks:
        named = channel is None and any(w in (track.name or "").lower() for w in DRUM_TRACK_WORDS)
        drums = DRUM_CHANNEL if channel is None else channel
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo" and tempo is None:
                tempo = msg.tempo
            elif msg.type == "time_signature":
                meters.append((msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0 and (
                msg.channel == drums or named
            ):
                cls = class_of(msg.note)
                if cls is None:
                    dropped += 1
                else:
                    onsets.append((tick, cls, msg.velocity))
    return sorted(onsets), _bpm(tempo), meters, dropped


def _bpm(tempo: int | None) -> float:
    """BPM of the first tempo (120 without one), refusing one no drum loop could have."""
    if tempo is None:
        return 120.0
    bpm = mido.tempo2bpm(tempo) if tempo > 0 else float("inf")
    if not PRIMER_BPM_RANGE[0] <= bpm <= PRIMER_BPM_RANGE[1]:
        raise BadPrimer(f"its tempo ({tempo:,} microseconds per beat) is not a usable tempo")
    return float(round(bpm, 3))


def _length(midi: mido.MidiFile) -> int:
    """Return the last tick of any track."""
    return max((sum(msg.time for msg in track) for track in midi.tracks), default=0)


def _last_hit(onsets: list[tuple[int, int, int]], steps_per_tick: float) -> float:
    """Where the last hit starts, in steps. A roll's later notes are part of its hit, so a
    late, swung roll on a loop's last step does not make the file a bar longer."""
    anchor = [-np.inf] * N_CLASSES
    last = 0.0
    for tick, cls, _ in onsets:
        pos = tick * steps_per_tick
        if not _in_roll(pos, anchor[cls]):
            anchor[cls], last = pos, max(last, pos)
    return last


def _in_roll(pos: float, anchor: float) -> bool:
    """A note this soon after the hit of its class at `anchor` (steps) belongs to its roll."""
    return pos - anchor < ROLL_WINDOW - 1e-9


def _quantise(onsets: list[tuple[int, int, int]], steps_per_tick: float, steps: int) -> Pattern:
    """Place onsets on the nearest step, keeping how far each sits from it (Pattern.offset);
    hits closely after a hit of the same class become rolls."""
    pattern = Pattern.empty(steps)
    anchor = [-np.inf] * N_CLASSES
    anchor_step = [0] * N_CLASSES
    for tick, cls, velocity in onsets:
        pos = tick * steps_per_tick
        if _in_roll(pos, anchor[cls]):
            step = anchor_step[cls]
            pattern.roll[step, cls] = min(pattern.roll[step, cls] + 1, 4)
            continue
        step = min(int(np.floor(pos + 0.5)), steps - 1)
        if pattern.velocity[step, cls]:  # two hits rounded onto one step: keep the louder
            pattern.velocity[step, cls] = max(pattern.velocity[step, cls], velocity)
            continue
        anchor[cls], anchor_step[cls] = pos, step
        pattern.velocity[step, cls] = velocity
        pattern.offset[step, cls] = np.clip(pos - step, -MAX_OFFSET, MAX_OFFSET)
    return pattern


def _track(events: list[tuple[int, mido.Message]], end: int) -> mido.MidiTrack:
    """Build a track from absolute-tick events, ending at `end` ticks."""
    track = mido.MidiTrack()
    now = 0
    for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(skip_checks=True, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track
