"""The bounded SMF reader: it reads what mido reads, and refuses malformed structure at once.

Files are real: written by mido and by write_midi, the shipped trap loops, and raw bytes where
mido would refuse to write them (numbers past 4 bytes, chunks past the file).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import mido
import numpy as np
import pytest

from engine.errors import BadPrimer
from engine.music.drums import TICKS_PER_STEP
from engine.music.midi_io import write_midi
from engine.music.notes import Note
from engine.music.smf import MAX_TRACKS, read_smf
from tests.midi_fixtures import drum_file

TRAP_DIR = Path(__file__).resolve().parents[3] / "engine/data/trap"
END = b"\x00\xff\x2f\x00"
KICK_ON = b"\x00\x99\x24\x64"


def _file(*bodies: bytes, declared: int | None = None, kind: int = 1,
          sizes: list[int] | None = None) -> bytes:
    """A MIDI file of raw track bodies; `declared` tracks and chunk `sizes` may lie."""
    count = len(bodies) if declared is None else declared
    sizes = sizes or [len(body) for body in bodies]
    head = b"MThd" + struct.pack(">LhHH", 6, kind, count, 480)
    return head + b"".join(b"MTrk" + struct.pack(">L", size) + body
                           for body, size in zip(bodies, sizes, strict=True))


def _mido_view(data: bytes) -> list[tuple]:
    """What mido reads: per track, its name, (tick, channel, pitch, velocity) of sounding
    note-ons, tempos, meters and end tick."""
    tracks = []
    for track in mido.MidiFile(file=io.BytesIO(data), clip=True).tracks:
        tick, notes, tempos, meters = 0, [], [], []
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity:
                notes.append((tick, msg.channel, msg.note, msg.velocity))
            elif msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                meters.append((msg.numerator, msg.denominator))
        tracks.append((track.name, notes, tempos, meters, tick))
    return tracks


def _our_view(data: bytes) -> list[tuple]:
    return [(t.name, t.notes, t.tempos, t.meters, t.end) for t in read_smf(data).tracks]


def _written(seed: int, count: int = 200, steps: int = 64) -> bytes:
    """`count` notes at random ticks, pitches and velocities, as write_midi writes them."""
    rng = np.random.default_rng(seed)
    ticks = rng.integers(0, steps * TICKS_PER_STEP, count)
    pitches, velocities = rng.integers(35, 60, count), rng.integers(1, 128, count)
    notes = [Note(int(t), int(p), int(v)) for t, p, v in zip(ticks, pitches, velocities,
                                                             strict=True)]
    return write_midi(notes, 93.0, steps)


REAL_FILES = {
    "written by write_midi": _written(1),
    "type 0 on channel 1": drum_file([(b / 2, 36 + b % 8, 100) for b in range(16)],
                                     file_type=0, channel=0),
    "tempo changes, 96 tpb": drum_file([(b, 38, 80) for b in range(8)], ticks_per_beat=96,
                                       tempos=[(0, 90.0), (3, 140.0)], track_name="Drums"),
    "running status, velocity above 127 clipped": _file(
        b"\x00\xff\x03\x04Kit\xe9" + KICK_ON + b"\x10\x26\xff" + b"\x10\x24\x00" + END),
    "sysex, and a data byte in sysex running status": _file(
        b"\x00\xf0\x03\x41\x10\xf7" + KICK_ON + b"\x00\xf7\x01\xf7" + b"\x00\x05\x01\x02"
        + b"\x00\x99\x26\x50" + END),
    **{path.name: path.read_bytes() for path in sorted(TRAP_DIR.glob("*.mid"))[::6]},
}


@pytest.mark.parametrize("name", list(REAL_FILES))
def test_reads_what_mido_reads(name):
    data = REAL_FILES[name]
    assert _our_view(data) == _mido_view(data)


@pytest.mark.groove
def test_the_largest_groove_files_read_as_mido_reads_them(groove_dir):
    """The limits were set from these; all 1,021 Groove files read alike when this was written."""
    largest = sorted(groove_dir.rglob("*.mid"), key=lambda path: path.stat().st_size)[-3:]
    for path in largest:
        data = path.read_bytes()
        assert _our_view(data) == _mido_view(data), path.name


@pytest.mark.parametrize(("data", "line"), [
    (_file(KICK_ON + b"\x81\x80\x80\x80\x00\x99\x24\x64" + END), "damaged"),  # 5-byte delta
    (_file(KICK_ON + b"\x00\xff\x01\x88\x80\x80\x80\x00" + END), "damaged"),  # 5-byte length
    (_file(KICK_ON + END, sizes=[2**31 - 1]), "damaged"),  # a track longer than the file
    (_file(KICK_ON + END, sizes=[len(KICK_ON) + 2]), "damaged"),  # an event past its track
    (_file(KICK_ON + b"\x00\xf8\x00\x24\x64" + END), "damaged"),  # running status on a clock
    (_file(b"\x00\xff\x51\x02\x07\xa1" + END), "damaged"),  # a tempo of 2 bytes
    (_file(KICK_ON + END, declared=2), "damaged"),  # a track declared, none there
    (_file(*[END] * 20, declared=65_535), f"65,535 tracks; at most {MAX_TRACKS}"),
    (_file(KICK_ON + END, kind=2), "type-2"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x80\x00" + b"MTrk", "no valid resolution"),
    (b"RIFF" + bytes(20), "not a MIDI file"),
])
def test_malformed_structure_is_one_line(data, line):
    with pytest.raises(BadPrimer, match=line) as refused:
        read_smf(data)
    assert "\n" not in str(refused.value)


def test_a_number_of_4_bytes_is_read_whole():
    """The largest delta time the standard allows (0x0FFFFFFF ticks) still reads."""
    track = read_smf(_file(b"\xff\xff\xff\x7f\x99\x24\x64" + END)).tracks[0]
    assert track.notes == [(0x0FFFFFFF, 9, 36, 100)] and track.end == 0x0FFFFFFF


def test_notes_tempos_and_names_are_kept_in_order():
    data = _file(b"\x00\xff\x03\x05Drums\x00\xff\x03\x03Two\x00\xff\x51\x03\x07\xa1\x20"
                 + KICK_ON + b"\x60\xff\x51\x03\x0f\x42\x40\x00\x24\x00" + END)
    (track,) = read_smf(data).tracks
    assert track.name == "Drums"
    assert track.tempos == [(0, 500_000), (0x60, 1_000_000)]
    assert track.notes == [(0, 9, 36, 100)] and track.end == 0x60
