"""Encoding with real ffmpeg: formats decode back, files fit, and WAV stands in without ffmpeg."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment

from engine.errors import RenderError
from engine.music.drums import KICK, SNARE, STEPS_PER_BAR
from engine.music.notes import perform
from engine.music.pattern import Pattern
from engine.sound.encode import LOW_KBPS, LOW_RATE, MAX_AUDIO_BYTES, encode
from engine.sound.kits import load_kits
from engine.sound.render import SAMPLE_RATE, Renderer

SOUNDFONT_DIR = Path(__file__).resolve().parents[3] / "soundfonts"
BAR_S = 2.0
"""One bar at 120 bpm, seconds."""


@pytest.fixture(scope="module")
def renderer():
    kits = load_kits(SOUNDFONT_DIR)
    renderer = Renderer(kits)
    yield renderer
    renderer.close()


def beat(renderer, bars: int, bpm: float) -> np.ndarray:
    """A real render: kick and snare with 8th hats, on the 808 kit."""
    kit = renderer.kits["808"]
    pattern = Pattern.empty(bars * STEPS_PER_BAR)
    pattern.velocity[0::8, KICK] = 120
    pattern.velocity[4::8, SNARE] = 110
    pattern.velocity[::2, 2] = 80
    return renderer.render(perform(pattern, bpm, kit.pitches), bpm, pattern.steps, kit)


@pytest.fixture(scope="module")
def one_bar(renderer) -> np.ndarray:
    return beat(renderer, 1, 120.0)


def decode(encoded) -> AudioSegment:
    return AudioSegment.from_file(io.BytesIO(encoded.data), format=encoded.format)


@pytest.mark.parametrize(("audio_format", "kbps", "channels"),
                         [("mp3", 128, 1), ("ogg", 128, 2), ("wav", None, 2)])
def test_each_format_decodes_back_with_the_right_duration(one_bar, audio_format, kbps,
                                                          channels):
    encoded = encode(one_bar, audio_format)
    assert (encoded.format, encoded.bitrate_kbps) == (audio_format, kbps)
    decoded = decode(encoded)
    assert decoded.channels == channels
    assert decoded.duration_seconds == pytest.approx(BAR_S, abs=0.03)


def test_wav_holds_the_samples_exactly(one_bar):
    decoded = decode(encode(one_bar, "wav"))
    assert decoded.frame_rate == SAMPLE_RATE
    samples = np.frombuffer(decoded.raw_data, np.int16).reshape(-1, 2)
    assert np.array_equal(samples, one_bar)


def test_mp3_sounds_like_the_render(one_bar):
    decoded = decode(encode(one_bar, "mp3"))
    samples = np.frombuffer(decoded.raw_data, np.int16)[: len(one_bar)]
    mono = one_bar[: len(samples)].mean(axis=1)
    assert np.corrcoef(samples, mono)[0, 1] > 0.95


@pytest.mark.slow
def test_64_bars_at_40_bpm_fit_under_8_mb(renderer):
    long = beat(renderer, 64, 40.0)
    assert len(long) / SAMPLE_RATE == pytest.approx(384.0, abs=0.01)
    encoded = encode(long, "mp3")
    assert len(encoded.data) <= MAX_AUDIO_BYTES
    assert encoded.bitrate_kbps < 192
    assert decode(encoded).duration_seconds == pytest.approx(384.0, abs=0.1)


@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_the_bitrate_drops_until_the_file_fits(one_bar, audio_format):
    full = encode(one_bar, audio_format)
    limit = len(full.data) * 2 // 3
    smaller = encode(one_bar, audio_format, max_bytes=limit)
    assert len(smaller.data) <= limit
    assert smaller.bitrate_kbps < full.bitrate_kbps
    assert decode(smaller).duration_seconds == pytest.approx(BAR_S, abs=0.03)


@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_the_last_resort_is_mono_at_a_low_rate(one_bar, audio_format):
    encoded = encode(one_bar, audio_format, max_bytes=9_000)
    assert len(encoded.data) <= 9_000
    assert encoded.bitrate_kbps == LOW_KBPS
    decoded = decode(encoded)
    assert decoded.channels == 1
    if audio_format == "mp3":  # Opus always decodes at 48 kHz, whatever it was fed
        assert decoded.frame_rate == LOW_RATE


def test_audio_that_cannot_fit_raises(one_bar):
    with pytest.raises(RenderError, match="does not fit"):
        encode(one_bar, "mp3", max_bytes=2_000)


@pytest.mark.parametrize(("max_bytes", "channels", "rate"), [
    (400_000, 2, SAMPLE_RATE),
    (200_000, 1, SAMPLE_RATE),
    (100_000, 1, LOW_RATE),
])
def test_a_large_wav_goes_mono_then_half_rate(one_bar, max_bytes, channels, rate):
    encoded = encode(one_bar, "wav", max_bytes=max_bytes)
    decoded = decode(encoded)
    assert len(encoded.data) <= max_bytes
    assert (decoded.channels, decoded.frame_rate) == (channels, rate)
    assert decoded.duration_seconds == pytest.approx(BAR_S, abs=0.001)


def test_a_wav_too_large_even_then_raises(one_bar):
    with pytest.raises(RenderError, match="WAV"):
        encode(one_bar, "wav", max_bytes=50_000)


@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_without_ffmpeg_wav_stands_in(one_bar, audio_format, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no ffmpeg in it
    encoded = encode(one_bar, audio_format)
    assert (encoded.format, encoded.bitrate_kbps) == ("wav", None)
    assert encoded.data[:4] == b"RIFF"
    assert np.array_equal(np.frombuffer(encoded.data[44:], np.int16).reshape(-1, 2), one_bar)


def test_without_ffmpeg_a_large_file_raises(one_bar, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="ffmpeg is missing"):
        encode(one_bar, "mp3", max_bytes=100_000)


def test_an_unknown_format_raises(one_bar):
    with pytest.raises(RenderError, match="flac"):
        encode(one_bar, "flac")
