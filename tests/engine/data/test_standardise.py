"""Single-part loops named after their part land on GM drum pitches on channel 10."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

from engine.data.standardise import (
    UnreadableLoop,
    part_of,
    standardise_file,
    standardise_folder,
)
from engine.music.drums import (
    CLOSED_HAT,
    CRASH,
    DRUM_CHANNEL,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HAT,
    RIDE,
    SNARE,
)
from engine.music.midi_io import read_midi

PIANO_CHANNEL = 0
"""MIDI channel 1, where a sample pack might leave its loops."""


def loop_bytes(
    notes: list[tuple[int, int, int]],
    ticks_per_beat: int = 96,
    midi_type: int = 1,
    channel: int = PIANO_CHANNEL,
) -> bytes:
    """A real MIDI loop: (tick, pitch, velocity) notes 10 ticks long, 140 bpm, 4/4."""
    meta = [
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140), time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
    ]
    events = [(0, mido.Message("program_change", channel=channel, program=5))]
    for tick, pitch, velocity in notes:
        on = mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)
        events += [(tick, on), (tick + 10, mido.Message("note_off", channel=channel, note=pitch))]
    notes_track = mido.MidiTrack()
    now = 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        notes_track.append(msg.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=ticks_per_beat)
    if midi_type == 0:
        midi.tracks.append(mido.MidiTrack(meta + list(notes_track)))
    else:
        midi.tracks += [mido.MidiTrack(meta), notes_track]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def note_events(data: bytes) -> list[tuple[int, str, int, int, int]]:
    """(absolute tick, type, channel, pitch, velocity) of every note message, merged."""
    events, tick = [], 0
    for msg in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(data)).tracks):
        tick += msg.time
        if msg.type in ("note_on", "note_off"):
            events.append((tick, msg.type, msg.channel, msg.note, msg.velocity))
    return events


KICK_NOTES = [(0, 60, 120), (72, 60, 90), (240, 60, 100), (312, 60, 70)]
"""A kick loop on middle C at 96 ticks a beat: 1, the a of 1, 3, 3-a (steps 0, 3, 10, 13)."""


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("01_Kick.mid", KICK),
        ("808 kick.mid", KICK),
        ("808.mid", KICK),
        ("BD_01.mid", KICK),
        ("Bass Drum.mid", KICK),
        ("kicks.mid", KICK),
        ("Kick Ch1.mid", KICK),
        ("Snare_3.mid", SNARE),
        ("808 snare.mid", SNARE),
        ("clap.mid", SNARE),
        ("rimshot.mid", SNARE),
        ("SD.mid", SNARE),
        ("02_Hi_Hat.mid", CLOSED_HAT),
        ("HH closed.mid", CLOSED_HAT),
        ("hats_07.mid", CLOSED_HAT),
        ("open hat 2.mid", OPEN_HAT),
        ("HiHatOpen.mid", OPEN_HAT),
        ("OH.mid", OPEN_HAT),
        ("tom_hi.mid", HIGH_TOM),
        ("High Tom.mid", HIGH_TOM),
        ("Floor Tom.mid", LOW_TOM),
        ("tom_low_2.mid", LOW_TOM),
        ("toms.mid", MID_TOM),
        ("mid tom.mid", MID_TOM),
        ("Crash.mid", CRASH),
        ("cymbal.mid", CRASH),
        ("crashes.mid", CRASH),
        ("Ride.mid", RIDE),
        ("ride cymbal.mid", RIDE),
        ("melody.mid", None),
        ("bass.mid", None),
        ("kick_and_snare.mid", None),
        ("loop 01.mid", None),
    ],
)
def test_part_of_reads_the_part_from_the_name(name: str, part: int | None) -> None:
    assert part_of(name) == part


def test_kick_on_middle_c_channel_1_becomes_gm_kick_on_channel_10() -> None:
    source = loop_bytes(KICK_NOTES)
    out = standardise_file(source, KICK)
    before, after = note_events(source), note_events(out)
    assert [(t, kind, v) for t, kind, _, _, v in after] == [(t, k, v) for t, k, _, _, v in before]
    assert {(channel, pitch) for _, _, channel, pitch, _ in after} == {(DRUM_CHANNEL, 36)}


def test_standardised_loop_keeps_tempo_meter_and_resolution() -> None:
    out = standardise_file(loop_bytes(KICK_NOTES, ticks_per_beat=96), KICK)
    midi = mido.MidiFile(file=io.BytesIO(out))
    beat = read_midi(out)
    assert midi.ticks_per_beat == 96
    assert beat.bpm == pytest.approx(140, abs=0.01)
    assert beat.meters == [(4, 4)]
    assert beat.pattern.onsets[:, KICK].nonzero()[0].tolist() == [0, 3, 10, 13]
    assert beat.pattern.velocity[[0, 3, 10, 13], KICK].tolist() == [120, 90, 100, 70]


def test_type_0_loop_is_standardised_and_stays_type_0() -> None:
    out = standardise_file(loop_bytes(KICK_NOTES, midi_type=0), SNARE)
    assert mido.MidiFile(file=io.BytesIO(out)).type == 0
    assert read_midi(out).pattern.onsets[:, SNARE].sum() == len(KICK_NOTES)


def test_program_changes_are_dropped_without_moving_notes() -> None:
    out = standardise_file(loop_bytes(KICK_NOTES), KICK)
    types = {m.type for track in mido.MidiFile(file=io.BytesIO(out)).tracks for m in track}
    assert "program_change" not in types
    assert [e[0] for e in note_events(out)] == [e[0] for e in note_events(loop_bytes(KICK_NOTES))]


def test_hat_loop_on_gm_hat_pitches_keeps_open_and_closed_apart() -> None:
    notes = [(0, 42, 100), (48, 46, 90), (96, 61, 80)]
    pitches = [e[3] for e in note_events(standardise_file(loop_bytes(notes), CLOSED_HAT))]
    assert pitches[::2] == [42, 46, 42]


def test_garbage_and_empty_files_raise_unreadable_loop() -> None:
    with pytest.raises(UnreadableLoop):
        standardise_file(b"not midi at all", KICK)
    with pytest.raises(UnreadableLoop):
        standardise_file(loop_bytes([]), KICK)


def make_pack(root: Path) -> None:
    """A sample-pack folder: a kick, a hat loop named by its folder, a melody and a bad file."""
    (root / "Hats").mkdir(parents=True)
    (root / "01_Kick.mid").write_bytes(loop_bytes(KICK_NOTES))
    (root / "Hats" / "loop 1.mid").write_bytes(loop_bytes(KICK_NOTES))
    (root / "melody.mid").write_bytes(loop_bytes(KICK_NOTES))
    (root / "Snare_broken.mid").write_bytes(b"MThd garbage")


def test_folder_maps_known_parts_and_counts_the_rest(tmp_path: Path) -> None:
    make_pack(tmp_path / "pack")
    report = standardise_folder(tmp_path / "pack", tmp_path / "out")
    assert (report.mapped, report.unknown, report.unreadable) == (2, 1, 1)
    assert read_midi(tmp_path / "out/01_Kick.mid").pattern.onsets[:, KICK].sum() == 4
    assert read_midi(tmp_path / "out/Hats/loop 1.mid").pattern.onsets[:, CLOSED_HAT].sum() == 4
    assert not (tmp_path / "out/melody.mid").exists()
    assert not (tmp_path / "out/Snare_broken.mid").exists()
