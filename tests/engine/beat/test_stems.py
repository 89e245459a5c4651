"""Stems: an audio file per drum at the mix's level (they add up to the mix) and a MIDI track
per drum, zipped; rendered through the real FluidSynth."""

import io
import wave
import zipfile
from dataclasses import replace

import av
import mido
import numpy as np
import pytest

from engine.beat.request import BeatRequest
from engine.beat.stems import STEMS_MIDI, pack_stems
from engine.music.drums import CLASSES, DRUM_CHANNEL, KICK
from engine.sound.encode import EncodedAudio

NULL_DBFS = -60.0


def _zip(beat) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(beat.stems.zip))


def _wav(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as file:
        frames = file.readframes(file.getnframes())
    return np.frombuffer(frames, np.int16).reshape(-1, 2).astype(np.int64)


def _dbfs(residual: np.ndarray) -> float:
    peak = np.abs(residual).max(initial=0)
    return 20 * np.log10(peak / 32767) if peak else -np.inf


def _stems(beat) -> dict[str, np.ndarray]:
    archive = _zip(beat)
    return {name.rpartition(".")[0]: _wav(archive.read(name))
            for name in archive.namelist() if name.endswith(".wav")}


@pytest.mark.parametrize("style", ["funk", "trap", "rock"])
def test_wav_stems_sum_to_the_mix_within_minus_60_dbfs(maker, style):
    beat = maker.make(BeatRequest(bars=2, style=style, seed=11, audio_format="wav", stems=True))

    stems = _stems(beat)
    mix = _wav(beat.audio.data)
    assert set(stems) == {CLASSES[c] for c in beat.pattern.playing()}
    assert _dbfs(sum(stems.values()) - mix) <= NULL_DBFS
    assert beat.stems.residual_dbfs <= NULL_DBFS


def test_the_audio_of_a_muted_kick_beat_is_the_mix_of_the_other_stems(maker):
    request = BeatRequest(bars=2, style="hiphop", seed=4, audio_format="wav", stems=True)
    stems = _stems(maker.make(request))
    muted = maker.make(replace(request, mute=("kick",)))

    others = sum(audio for name, audio in stems.items() if name != "kick")
    mix = _wav(muted.audio.data)
    # The muted beat is normalised on its own peak: compare at the stems' level.
    scale = np.abs(others).max() / np.abs(mix).max()
    assert _dbfs(mix * scale - others) <= NULL_DBFS
    assert "kick" not in _stems(muted)


@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_compressed_stems_decode_to_the_mix_length(maker, audio_format):
    beat = maker.make(BeatRequest(bars=2, style="funk", seed=2, audio_format=audio_format,
                                  stems=True))
    archive = _zip(beat)
    names = [n for n in archive.namelist() if n.endswith(audio_format)]

    assert names and all(n.rpartition(".")[0] in CLASSES for n in names)
    mix_frames = _decoded_frames(beat.audio.data)
    for name in names:
        assert _decoded_frames(archive.read(name)) == mix_frames


def _decoded_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(frame.samples for frame in container.decode(audio=0))


def test_the_midi_stems_have_a_named_channel_10_track_per_drum_and_the_tempo(maker):
    beat = maker.make(BeatRequest(bpm=97, bars=2, style="rock", seed=5, stems=True))
    midi = mido.MidiFile(file=io.BytesIO(_zip(beat).read(STEMS_MIDI)))

    assert midi.type == 1
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempos == [mido.bpm2tempo(97)]
    names = [track.name for track in midi.tracks[1:]]
    assert names == [CLASSES[c] for c in beat.pattern.playing()]
    for track in midi.tracks[1:]:
        assert {m.channel for m in track if m.type.startswith("note")} == {DRUM_CHANNEL}
    notes = sorted((m.note, m.velocity) for t in midi.tracks[1:] for m in t
                   if m.type == "note_on" and m.velocity)
    assert notes == sorted((n.pitch, n.velocity) for n in beat.notes)


def test_stems_over_the_upload_limit_hold_the_midi_alone_and_say_so():
    audio = {KICK: EncodedAudio(b"x" * 5000, "wav", None)}

    stems = pack_stems(b"MThd", audio, -90.0, limit=4000)

    assert stems.files == (STEMS_MIDI,)
    assert zipfile.ZipFile(io.BytesIO(stems.zip)).namelist() == [STEMS_MIDI]
    assert "upload limit" in stems.note and "\n" not in stems.note


def test_equal_requests_make_equal_stems(maker):
    request = BeatRequest(bars=1, style="trap", seed=9, stems=True)  # Ogg has a random serial
    assert maker.make(request).stems.zip == maker.make(request).stems.zip
