"""A request through the whole engine: MIDI, audio and picture."""

import io
from dataclasses import replace

import mido
import numpy as np
import pytest

from engine.beat.request import BeatRequest, Edit
from engine.errors import BadPrimer, BadValue
from engine.music.drums import TICKS_PER_STEP


def test_a_request_makes_midi_audio_and_a_picture(maker):
    beat = maker.make(BeatRequest(bpm=85, bars=2, style="trap", seed=7))
    midi = mido.MidiFile(file=io.BytesIO(beat.midi))
    assert midi.length == pytest.approx(2 * 4 * 60 / 85, abs=0.01)
    assert beat.audio.format == "mp3" and len(beat.audio.data) > 1000
    assert beat.image.startswith(b"\x89PNG")
    assert beat.kit.name == "808" and beat.request.seed == 7
    assert set(beat.timings_ms) >= {"generate", "midi", "render", "encode", "image", "total"}


def test_same_request_same_midi(maker):
    request = BeatRequest(bpm=100, bars=4, seed=3, swing=20, humanize=0.5)
    assert maker.make(request).midi == maker.make(request).midi


def _note_ticks(midi: bytes) -> list[int]:
    track = mido.MidiFile(file=io.BytesIO(midi)).tracks[1]
    ticks = np.cumsum([m.time for m in track])
    return [int(t) for t, m in zip(ticks, track, strict=True)
            if m.type == "note_on" and m.velocity]


def test_groove_zero_is_on_the_grid_and_the_default_plays_the_learned_timing(maker):
    request = BeatRequest(bpm=95, bars=4, style="funk", seed=5)
    on_grid = maker.make(replace(request, groove=0.0))
    on_step = [t for t in _note_ticks(on_grid.midi) if t % TICKS_PER_STEP == 0]
    assert len(on_step) >= on_grid.pattern.onsets.sum()  # every hit's first note
    grooved = maker.make(request)
    off = [t % TICKS_PER_STEP for t in _note_ticks(grooved.midi)]
    assert np.mean([o != 0 for o in off]) > 0.5
    assert grooved.image == on_grid.image  # the picture stays on the grid
    assert grooved.pattern == on_grid.pattern


def test_extend_continues_the_midi_of_a_beat(maker):
    first = maker.make(BeatRequest(bars=2, seed=1, style="rock"))
    extended = maker.make(replace(first.request, primer=first.midi, bars=4, seed=2))
    assert extended.pattern.bars == 6
    assert extended.pattern.slice(0, 32) == first.pattern


def test_a_primer_too_long_for_the_bar_limit_is_refused(maker):
    long = maker.make(BeatRequest(bars=62, seed=1)).midi
    with pytest.raises(BadValue, match="bars"):
        maker.make(BeatRequest(bars=4, primer=long))


def test_a_garbage_primer_is_refused(maker):
    with pytest.raises(BadPrimer):
        maker.make(BeatRequest(primer=b"MThd garbage"))


@pytest.mark.parametrize("seed", range(5))
def test_a_variation_keeps_the_users_primer_bars_and_varies_only_ours(maker, seed):
    primer = maker.make(BeatRequest(bars=2, seed=40 + seed, style="rock"))
    continued = maker.make(BeatRequest(bars=2, seed=seed, style="rock", primer=primer.midi))
    varied = maker.make(replace(continued.request, then=(Edit("vary", 100 + seed),)))
    primer_steps = primer.pattern.steps
    assert varied.pattern.slice(0, primer_steps) == continued.pattern.slice(0, primer_steps)
    assert varied.pattern.slice(primer_steps, varied.pattern.steps) != (
        continued.pattern.slice(primer_steps, continued.pattern.steps))


def test_a_variation_without_a_primer_varies_the_whole_beat_as_before(maker):
    plain = maker.make(BeatRequest(bars=2, seed=3, style="rock"))
    varied = maker.make(replace(plain.request, then=(Edit("vary", 9),)))
    assert varied.pattern.slice(0, 16) != plain.pattern.slice(0, 16)
