"""Real encodes (LAME, libopus, WAV) decoded back with PyAV: length, channels, bitrate, fits."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import RenderError
from engine.music.drums import KICK, SNARE, STEPS_PER_BAR
from engine.music.notes import perform
from engine.music.pattern import Pattern
from engine.sound.encode import LOW_KBPS, LOW_RATE, MAX_AUDIO_BYTES, OPUS_RATE, encode
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
    return renderer.render(perform(pattern, kit.pitches), bpm, pattern.steps, kit)


@pytest.fixture(scope="module")
def one_bar(renderer) -> np.ndarray:
    return beat(renderer, 1, 120.0)


@dataclass
class Decoded:
    """What a decoder makes of a file: samples (channels, frames), rate and stated bitrate."""

    samples: np.ndarray
    frame_rate: int
    bit_rate: int | None

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def duration_seconds(self) -> float:
        return self.samples.shape[1] / self.frame_rate


def decode(encoded) -> Decoded:
    with av.open(io.BytesIO(encoded.data)) as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        frames = [frame.to_ndarray().reshape(channels, -1) if frame.format.is_planar
                  else frame.to_ndarray().reshape(-1, channels).T
                  for frame in container.decode(stream)]
        samples = np.concatenate(frames, axis=1)
        if samples.dtype != np.int16:  # float from MP3 and Opus
            samples = (samples * 32768).round().clip(-32768, 32767).astype(np.int16)
        return Decoded(samples, stream.rate, stream.bit_rate or container.bit_rate)


@pytest.mark.parametrize(("audio_format", "kbps", "channels"),
                         [("mp3", 128, 1), ("ogg", 128, 2), ("wav", None, 2)])
def test_each_format_decodes_back_with_the_right_duration(one_bar, audio_format, kbps,
                                                          channels):
    encoded = encode(one_bar, audio_format)
    assert (encoded.format, encoded.bitrate_kbps) == (audio_format, kbps)
    decoded = decode(encoded)
    assert decoded.channels == channels
    assert decoded.duration_seconds == pytest.approx(BAR_S, abs=0.03)
    if audio_format == "mp3":  # variable bitrate under the ceiling
        assert 0.4 * kbps * 1000 < decoded.bit_rate <= 1.02 * kbps * 1000
    if audio_format == "ogg":  # Opus varies its bitrate around the target
        assert 0.6 * kbps * 1000 < decoded.bit_rate < 1.1 * kbps * 1000


@pytest.mark.parametrize(("max_bytes", "kbps", "rate"), [
    (MAX_AUDIO_BYTES, 128, SAMPLE_RATE),
    (21_000, 64, SAMPLE_RATE),
    (9_000, LOW_KBPS, LOW_RATE),
])
def test_mp3_has_exactly_the_rendered_samples_so_it_loops_without_a_gap(one_bar, max_bytes,
                                                                        kbps, rate):
    """The tag's delay and padding make a decoder drop LAME's silence at both ends (Xing when
    the bitrate varied, Info when every frame came out at the ceiling)."""
    encoded = encode(one_bar, "mp3", max_bytes=max_bytes)
    assert encoded.bitrate_kbps == kbps
    assert b"Xing" in encoded.data[:64] or b"Info" in encoded.data[:64]
    decoded = decode(encoded)
    assert (decoded.frame_rate, decoded.samples.shape[1]) == (
        rate, len(one_bar) * rate // SAMPLE_RATE)


@pytest.mark.parametrize("max_bytes", [MAX_AUDIO_BYTES, 25_000])
def test_the_mp3_tag_counts_the_frames_and_bytes_a_demuxer_finds(one_bar, max_bytes):
    """Players take the length from the tag's frame count: it must be the real one."""
    data = encode(np.concatenate([one_bar] * 3), "mp3", max_bytes=max_bytes).data
    tag = max(data.find(b"Xing", 0, 64), data.find(b"Info", 0, 64))
    frames, size = (int.from_bytes(data[tag + at:tag + at + 4], "big") for at in (8, 12))
    with av.open(io.BytesIO(data)) as container:
        packets = [p for p in container.demux(audio=0) if p.size]
        encoder = container.streams.audio[0].metadata.get("encoder")
    assert encoder == "LAME3.100"  # FFmpeg names the encoder only when the tag's CRC holds
    assert size == len(data)
    assert frames == len(packets)  # the demuxer reads the tag's own frame as no music
    toc = data[tag + 16:tag + 116]  # where each percent of the music starts, of 256
    assert list(toc) == sorted(toc) and toc[50] * len(data) // 256 in range(
        int(0.4 * len(data)), int(0.6 * len(data)))


def test_ogg_has_exactly_the_rendered_length_at_48_khz(one_bar):
    decoded = decode(encode(one_bar, "ogg"))
    assert decoded.frame_rate == OPUS_RATE
    assert decoded.samples.shape[1] == round(len(one_bar) * OPUS_RATE / SAMPLE_RATE)


def test_wav_holds_the_samples_exactly(one_bar):
    decoded = decode(encode(one_bar, "wav"))
    assert decoded.frame_rate == SAMPLE_RATE
    assert np.array_equal(decoded.samples.T, one_bar)


def test_mp3_sounds_like_the_render(one_bar):
    """Sample for sample, with no shift: LAME's delay is gone."""
    decoded = decode(encode(one_bar, "mp3"))
    assert np.corrcoef(decoded.samples[0], one_bar.mean(axis=1))[0, 1] > 0.95


def test_ogg_sounds_like_the_render(one_bar):
    decoded = decode(encode(one_bar, "ogg"))
    times = np.arange(len(one_bar)) / SAMPLE_RATE
    opus_times = np.arange(decoded.samples.shape[1]) / OPUS_RATE
    left = np.interp(times, opus_times, decoded.samples[0])
    assert np.corrcoef(left, one_bar[:, 0])[0, 1] > 0.9


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
    assert decoded.duration_seconds == pytest.approx(BAR_S, abs=0.03)
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


def test_an_unknown_format_raises(one_bar):
    with pytest.raises(RenderError, match="flac"):
        encode(one_bar, "flac")
