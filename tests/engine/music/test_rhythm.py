"""Material to follow: any instrument's notes onto the grid, and one line for what can't be
used."""

import io

import mido
import numpy as np
import pytest

from engine.errors import BadMaterial, BadPrimer
from engine.music.midi_io import read_rhythm
from tests.midi_fixtures import drum_file

BASS_LINE = [(0.0, 40, 90), (0.75, 40, 80), (1.5, 43, 90), (2.0, 45, 100), (3.5, 40, 70)]
"""One bar of a bass line: (beat, pitch, velocity)."""


@pytest.mark.parametrize(("channel", "pitch_shift", "name"), [
    (0, 0, ""), (1, 0, "Bass"), (4, 24, "Riff"), (9, 0, "Drums"), (15, -12, "")])
def test_any_instrument_gives_its_onset_steps(channel, pitch_shift, name):
    data = drum_file([(b, p + pitch_shift, v) for b, p, v in BASS_LINE], channel=channel,
                     track_name=name)

    rhythm, bpm = read_rhythm(data)

    assert rhythm.steps == 16 and bpm == 120
    assert np.flatnonzero(rhythm.onsets).tolist() == [0, 3, 6, 8, 14]


def test_a_chord_is_one_onset_and_timing_is_kept():
    hits = [(0.0, 60, 90), (0.0, 64, 90), (0.0, 67, 90), (1.06, 60, 90), (1.94, 62, 90)]

    rhythm, _ = read_rhythm(drum_file(hits, channel=0))

    assert np.flatnonzero(rhythm.onsets).tolist() == [0, 4, 8]
    assert rhythm.offsets[4] == pytest.approx(0.24, abs=0.01)
    assert rhythm.offsets[8] == pytest.approx(-0.24, abs=0.01)


def test_material_runs_its_whole_length_in_bars():
    rhythm, _ = read_rhythm(drum_file([(0.0, 40, 90)], channel=0, length_beats=12))

    assert rhythm.steps == 48 and rhythm.bars == 3


@pytest.mark.parametrize(("data", "words"), [
    (b"hello", "not a MIDI file"),
    (drum_file([], channel=0, length_beats=4), "no notes to follow"),
    (drum_file([(b, 40, 90) for b in range(0, 4 * 70, 4)], channel=0), "longer than 64 bars"),
])
def test_what_cannot_be_followed_is_refused_in_one_line(data, words):
    with pytest.raises(BadMaterial) as refused:
        read_rhythm(data, 64 * 16)

    line = str(refused.value)
    assert words in line and "\n" not in line
    assert isinstance(refused.value, BadPrimer)  # front ends that word primers still answer


def test_a_type_0_file_with_tempo_is_read():
    midi = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90))])
    for _ in range(8):
        track += [mido.Message("note_on", note=50, velocity=80, time=0),
                  mido.Message("note_off", note=50, time=48)]
        track.append(mido.Message("note_off", note=50, time=48))
    midi.tracks.append(track)

    out = io.BytesIO()
    midi.save(file=out)

    rhythm, bpm = read_rhythm(out.getvalue())

    assert bpm == 90 and rhythm.onsets.sum() == 8 and rhythm.steps == 32
