"""Drum MIDI in and out: read any drum file onto the grid (engine.music.smf reads its bytes,
linearly and within limits), write type-1 files with mido."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from engine.errors import BadMaterial, BadPrimer
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
from engine.music.pattern import Pattern, Rhythm
from engine.music.smf import MAX_EVENTS as MAX_EVENTS  # re-exported: the limits read_midi keeps
from engine.music.smf import MAX_NOTES as MAX_NOTES
from engine.music.smf import Smf, read_smf, unreadable

MAX_OFFSET = 0.5
"""Largest timing offset kept, in steps (a hit on the last step may sit later still)."""
MAX_STEPS = 64 * STEPS_PER_BAR * 4
"""Longest file we quantise (256 bars); longer input is refused, not truncated."""
DRUM_TRACK_WORDS = ("drum", "perc", "kit", "beat")
DRUM_TRACK_NAME = "Drums"
"""The name of a beat's one drum track."""
TAIL_STEPS = 2.0
"""A file that ends at most this many 16th steps past a bar line ends on that bar line: note
tails and swung, humanized last hits run a little past the loop's end."""
KIT_PITCHES = ((35, 36), (37, 38, 39, 40), (42, 44, 46, 51, 53, 59))
"""Kick, snare (or rim or clap) and hat (or ride) pitches: a track holding all three, and
mostly drum pitches, is read as drums even off channel 10 (how many DAWs export clips)."""
KIT_SHARE = 0.8
"""Share of a guessed drum track's notes that must be drum pitches."""

MAX_MIDI_BYTES = 1024 * 1024
"""Largest file read, bytes."""
PRIMER_BPM_RANGE = (20.0, 1000.0)
"""A first tempo outside this (BPM) is taken for a broken file; 0 us per beat is one too."""


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
            the limits (engine.music.smf), found in one pass in time linear in its size.
    """
    midi = read_smf(_bytes_of(source))
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


def read_rhythm(source: bytes | str | Path, max_steps: int | None = MAX_STEPS
                ) -> tuple[Rhythm, float]:
    """Read the rhythm of any MIDI file (any instrument, any channel, drums too) onto the
    16th grid: the steps where notes start, and how far the first note of each step sits
    from it. A file's length is read as `read_midi` reads a primer's.

    Args:
        source: file bytes or a path.
        max_steps: longest file accepted (None for no limit).

    Returns:
        The rhythm, whole bars long, and the file's first tempo (120 without one).

    Raises:
        BadMaterial: the data is not usable MIDI, holds no notes, or passes a limit.
    """
    try:
        midi = read_smf(_bytes_of(source))
        bpm = _bpm(next((t.tempos[0][1] for t in midi.tracks if t.tempos), None))
    except BadMaterial:
        raise
    except BadPrimer as error:
        raise BadMaterial(str(error)) from None
    ticks = sorted({tick for track in midi.tracks for tick, *_ in track.notes})
    if not ticks:
        raise BadMaterial("the MIDI file has no notes to follow")
    steps_per_tick = 1.0 / (midi.ticks_per_beat / 4)
    end_step = max(np.floor(ticks[-1] * steps_per_tick + 0.5) + 1,
                   _length(midi) * steps_per_tick - TAIL_STEPS)
    steps = int(np.ceil(end_step / STEPS_PER_BAR - 1e-6)) * STEPS_PER_BAR
    if max_steps is not None and steps > max_steps:
        raise BadMaterial(f"the MIDI file is longer than {max_steps // STEPS_PER_BAR} bars")
    onsets = np.zeros(steps, bool)
    offsets = np.zeros(steps, np.float32)
    for tick in ticks:  # in time order: a step keeps its first note's timing
        pos = tick * steps_per_tick
        step = min(int(np.floor(pos + 0.5)), steps - 1)
        if not onsets[step]:
            onsets[step] = True
            offsets[step] = min(max(pos - step, -MAX_OFFSET), MAX_OFFSET)
    return Rhythm(onsets, offsets), bpm


def write_midi(notes: list[Note], bpm: float, steps: int) -> bytes:
    """Write notes as a type-1 file: a tempo track (4/4) and a drum track on channel 10.

    Args:
        notes: the notes, ticks at TICKS_PER_BEAT.
        bpm: tempo.
        steps: length in 16th steps; the file ends exactly there so it loops in a DAW.
    """
    return write_tracks({DRUM_TRACK_NAME: notes}, bpm, steps)


def write_tracks(tracks: dict[str, list[Note]], bpm: float, steps: int) -> bytes:
    """Write a type-1 file: the tempo track (4/4), then one named track per entry, each on
    channel 10 (a drum's stems: `{"kick": [...], "snare": [...]}`).

    Args:
        tracks: notes by track name, in the order the tracks are written.
        bpm: tempo.
        steps: length in 16th steps; every track ends exactly there.
    """
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    end = steps * TICKS_PER_STEP
    meta = [
        (0, mido.MetaMessage("track_name", name="BeatBot")),
        (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))),
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    midi.tracks.append(_track(meta, end))
    for name, notes in tracks.items():
        midi.tracks.append(_drum_track(name, notes, end))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _drum_track(name: str, notes: list[Note], end: int) -> mido.MidiTrack:
    """One named channel-10 track of notes, ending at `end` ticks."""
    # Offs before ons at a tick (a stable sort keeps the notes' order otherwise). A Note's
    # pitch and velocity are checked data bytes already; mido's own checks were a third of
    # a beat's MIDI time, so each message is made once, unchecked, with its delta time.
    events = sorted([(n.tick, 1, n.pitch, n.velocity) for n in notes]
                    + [(n.tick + n.duration, 0, n.pitch, 0) for n in notes],
                    key=lambda e: e[:2])
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    now = 0
    for tick, on, pitch, velocity in events:
        drums.append(mido.Message("note_on" if on else "note_off", skip_checks=True,
                                  channel=DRUM_CHANNEL, note=pitch, velocity=velocity,
                                  time=tick - now))
        now = tick
    drums.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return drums


def _bytes_of(source: bytes | str | Path) -> bytes:
    """The file's bytes, refusing an empty or oversized file before reading it all."""
    if isinstance(source, bytes):
        _check_size(len(source))
        data = source
    else:
        data = read_at_most(Path(source))
    if not data:
        raise BadPrimer("the file is empty")
    return data


def read_at_most(path: Path, limit: int = MAX_MIDI_BYTES,
                 check_size: Callable[[int], None] | None = None) -> bytes:
    """The bytes of `path`, refusing a file whose size is past `limit` before reading any of
    it. A device or pipe says it has 0 bytes: it is read one byte past the limit at most.

    Args:
        path: the file.
        limit: the most bytes read, and kept.
        check_size: raises for a size past the limit (by default, BadPrimer saying so).

    Raises:
        BadPrimer: the file can't be opened or read.
    """
    check = check_size or _check_size
    try:
        with path.open("rb") as file:
            check(os.fstat(file.fileno()).st_size)
            data = file.read(limit + 1)
    except OSError as error:
        reason = (error.strerror or "it can't be opened").lower()
        raise BadPrimer(f"{path.name} can't be read: {reason}") from None
    check(len(data))
    return data


def _check_size(size: int) -> None:
    """Refuse `size` bytes past MAX_MIDI_BYTES."""
    if size > MAX_MIDI_BYTES:
        raise BadPrimer(f"the file is over {MAX_MIDI_BYTES // 1024} KB; at most that much is read")


def open_midi(data: bytes) -> mido.MidiFile:
    """Parse MIDI bytes with mido once read_smf has read them (so mido's work is linear and
    bounded); type 0 or 1 only.

    Raises:
        BadPrimer: garbage, a type-2 file, or a file past the limits of engine.music.smf.
    """
    read_smf(data)
    try:
        return mido.MidiFile(file=io.BytesIO(data), clip=True)
    except Exception:  # mido raises many types on meta data it can't decode
        raise BadPrimer(unreadable(data)) from None


def _drum_pitch_channel(midi: Smf) -> int | None:
    """The channel (0-15) whose notes are mostly drum pitches of a whole kit, or None."""
    pitches: dict[int, list[int]] = {}
    for track in midi.tracks:
        for _, channel, pitch, _ in track.notes:
            pitches.setdefault(channel, []).append(pitch)
    for channel, notes in sorted(pitches.items(), key=lambda item: -len(item[1])):
        drums = sum(class_of(note) is not None for note in notes)
        present = set(notes)
        whole_kit = all(present.intersection(kind) for kind in KIT_PITCHES)
        if whole_kit and drums >= KIT_SHARE * len(notes):
            return channel
    return None


def _scan(midi: Smf, channel: int | None = None
          ) -> tuple[list[tuple[int, int, int]], float, list, int]:
    """Collect (tick, class, velocity) drum onsets, the first tempo, the meters, the dropped.

    Drums are the notes on `channel` (0-15) when given, else those on channel 10 or in a
    track named as drums.
    """
    onsets, dropped = [], 0
    drums = DRUM_CHANNEL if channel is None else channel
    for track in midi.tracks:
        named = channel is None and any(w in track.name.lower() for w in DRUM_TRACK_WORDS)
        for tick, note_channel, pitch, velocity in track.notes:
            if note_channel == drums or named:
                cls = class_of(pitch)
                if cls is None:
                    dropped += 1
                else:
                    onsets.append((tick, cls, velocity))
    tempo = next((track.tempos[0][1] for track in midi.tracks if track.tempos), None)
    meters = [meter for track in midi.tracks for meter in track.meters]
    return sorted(onsets), _bpm(tempo), meters, dropped


def _bpm(tempo: int | None) -> float:
    """BPM of the first tempo (120 without one), refusing one no drum loop could have."""
    if tempo is None:
        return 120.0
    bpm = mido.tempo2bpm(tempo) if tempo > 0 else float("inf")
    if not PRIMER_BPM_RANGE[0] <= bpm <= PRIMER_BPM_RANGE[1]:
        raise BadPrimer(f"its tempo ({tempo:,} microseconds per beat) is not a usable tempo")
    return float(round(bpm, 3))


def _length(midi: Smf) -> int:
    """Return the last tick of any track."""
    return max((track.end for track in midi.tracks), default=0)


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
        pattern.offset[step, cls] = min(max(pos - step, -MAX_OFFSET), MAX_OFFSET)  # np.clip: 3 us
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
