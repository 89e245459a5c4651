"""Drum MIDI in and out with mido: read any drum file onto the grid, write type-1 files."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from engine.drums import (
    DRUM_CHANNEL,
    N_CLASSES,
    STEPS_PER_BAR,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    class_of,
)
from engine.errors import BadPrimer
from engine.pattern import Pattern
from engine.performance import Note

ROLL_WINDOW = 0.8
"""Hits of one class closer than this many steps after a hit join it as a roll."""
MAX_STEPS = 64 * STEPS_PER_BAR * 4
"""Longest file we quantise (256 bars); longer input is refused, not truncated."""
DRUM_TRACK_WORDS = ("drum", "perc", "kit", "beat")


@dataclass
class MidiBeat:
    """A drum MIDI file on the 16th grid.

    Attributes:
        pattern: the quantised hits, whole bars long.
        bpm: the first tempo in the file (120 when none is set).
        meters: every time signature in the file as (numerator, denominator).
        dropped: drum notes whose pitch maps to no class.
    """

    pattern: Pattern
    bpm: float
    meters: list[tuple[int, int]] = field(default_factory=list)
    dropped: int = 0

    @property
    def four_four(self) -> bool:
        """True when the file is in 4/4 throughout (or says nothing, which means 4/4)."""
        return all(m == (4, 4) for m in self.meters)


def read_midi(source: bytes | str | Path) -> MidiBeat:
    """Read a drum MIDI file (type 0 or 1, any resolution) onto the 16th grid.

    Drums are the notes on channel 10, or on any channel of a track named as drums.

    Raises:
        BadPrimer: the data is not a usable MIDI file or holds no drum notes.
    """
    midi = _open(source)
    onsets, bpm, meters, dropped = _scan(midi)
    if not onsets:
        raise BadPrimer("the MIDI file has no drum notes (channel 10 or a drum track)")
    steps_per_tick = 1.0 / (midi.ticks_per_beat / 4)
    last_hit = max(t for t, _, _ in onsets) * steps_per_tick
    end_step = max(np.floor(last_hit) + 1, _length(midi) * steps_per_tick)
    steps = int(np.ceil(end_step / STEPS_PER_BAR - 1e-6)) * STEPS_PER_BAR
    if steps > MAX_STEPS:
        raise BadPrimer(f"the MIDI file is longer than {MAX_STEPS // STEPS_PER_BAR} bars")
    pattern = _quantise(onsets, steps_per_tick, steps)
    return MidiBeat(pattern, bpm, meters, dropped)


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
    drums = [(0, mido.MetaMessage("track_name", name="Drums"))]
    for note in notes:
        on = mido.Message("note_on", channel=DRUM_CHANNEL, note=note.pitch, velocity=note.velocity)
        off = mido.Message("note_off", channel=DRUM_CHANNEL, note=note.pitch, velocity=0)
        drums += [(note.tick, on), (note.tick + note.duration, off)]
    midi.tracks.append(_track(drums, end))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _open(source: bytes | str | Path) -> mido.MidiFile:
    try:
        if isinstance(source, bytes):
            midi = mido.MidiFile(file=io.BytesIO(source), clip=True)
        else:
            midi = mido.MidiFile(source, clip=True)
    except Exception as error:  # mido raises many types on garbage
        raise BadPrimer(f"not a readable MIDI file ({type(error).__name__})") from None
    if midi.type == 2:
        raise BadPrimer("type-2 MIDI (independent patterns) is not supported; use type 0 or 1")
    if midi.ticks_per_beat <= 0:
        raise BadPrimer("the MIDI file has no valid resolution")
    return midi


def _scan(midi: mido.MidiFile) -> tuple[list[tuple[int, int, int]], float, list, int]:
    """Collect (tick, class, velocity) drum onsets, the first tempo, the meters, the dropped."""
    onsets, meters, dropped, tempo = [], [], 0, None
    for track in midi.tracks:
        named_drums = any(w in (track.name or "").lower() for w in DRUM_TRACK_WORDS)
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo" and tempo is None:
                tempo = msg.tempo
            elif msg.type == "time_signature":
                meters.append((msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0 and (
                msg.channel == DRUM_CHANNEL or named_drums
            ):
                cls = class_of(msg.note)
                if cls is None:
                    dropped += 1
                else:
                    onsets.append((tick, cls, msg.velocity))
    bpm = round(mido.tempo2bpm(tempo), 3) if tempo else 120.0
    return sorted(onsets), float(bpm), meters, dropped


def _length(midi: mido.MidiFile) -> int:
    """Return the last tick of any track."""
    return max((sum(msg.time for msg in track) for track in midi.tracks), default=0)


def _quantise(onsets: list[tuple[int, int, int]], steps_per_tick: float, steps: int) -> Pattern:
    """Place onsets on the nearest step; hits closely after a hit of the same class become rolls."""
    pattern = Pattern.empty(steps)
    anchor = [-np.inf] * N_CLASSES
    anchor_step = [0] * N_CLASSES
    for tick, cls, velocity in onsets:
        pos = tick * steps_per_tick
        if pos - anchor[cls] < ROLL_WINDOW - 1e-9:
            step = anchor_step[cls]
            pattern.roll[step, cls] = min(pattern.roll[step, cls] + 1, 4)
            continue
        step = min(int(np.floor(pos + 0.5)), steps - 1)
        if pattern.velocity[step, cls]:  # two hits rounded onto one step: keep the louder
            pattern.velocity[step, cls] = max(pattern.velocity[step, cls], velocity)
            continue
        anchor[cls], anchor_step[cls] = pos, step
        pattern.velocity[step, cls] = velocity
    return pattern


def _track(events: list[tuple[int, mido.Message]], end: int) -> mido.MidiTrack:
    """Build a track from absolute-tick events, ending at `end` ticks."""
    track = mido.MidiTrack()
    now = 0
    for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track
