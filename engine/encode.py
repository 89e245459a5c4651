"""Encode rendered audio for Discord: MP3, Ogg (Opus) or WAV, always under the upload limit.

MP3 and Ogg go through pydub and the ffmpeg command. A long beat steps its bitrate down until
the file fits; without ffmpeg we send WAV when that fits.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass

import numpy as np
from pydub import AudioSegment
from pydub.exceptions import CouldntEncodeError

from engine.errors import RenderError
from engine.render import SAMPLE_RATE

MAX_AUDIO_BYTES = 8 * 1024 * 1024
"""Discord's upload limit for a bot without boosts, bytes."""
LOW_RATE = 22050
"""Sample rate of the last-resort mono MP3 and WAV files, Hz."""
LOW_KBPS = 24
"""Bitrate of the last-resort mono MP3 or Ogg, kbit/s."""
CONTAINER_BYTES = 4096
"""Allowance for headers and framing when predicting a file's size from its bitrate."""


@dataclass(frozen=True)
class EncodedAudio:
    """An audio file ready to upload.

    Attributes:
        data: the file's bytes.
        format: "mp3", "ogg" or "wav" (what the file is, which may differ from what was asked).
        bitrate_kbps: the encoder's bitrate, or None for WAV.
    """

    data: bytes
    format: str
    bitrate_kbps: int | None


@dataclass(frozen=True)
class _Codec:
    name: str
    bitrates_kbps: tuple[int, ...]
    parameters: tuple[str, ...] = ()
    low_rate: int = LOW_RATE


CODECS = {
    # LAME quality 7 (of 0 best to 9 fastest) encodes about 40 % faster than its default 5;
    # at 192 kbit/s a drum preview loses nothing audible, and encoding is the slowest stage.
    "mp3": _Codec("libmp3lame", (192, 128, 96, 64, 48, 32), ("-compression_level", "7")),
    # Opus in Ogg: what Discord's own voice messages use, so every client plays it inline.
    # Complexity 5 of 10 encodes about a third faster, inaudibly so at these bitrates.
    "ogg": _Codec("libopus", (128, 96, 64, 48, 32), ("-compression_level", "5"),
                  low_rate=24000),  # Opus has no 22050 Hz
}
"""ffmpeg encoder, bitrates to try (best first), extra ffmpeg options and the last-resort
sample rate per format."""


def encode(samples: np.ndarray, audio_format: str, max_bytes: int = MAX_AUDIO_BYTES
           ) -> EncodedAudio:
    """Encode a render into a file of at most `max_bytes`.

    Args:
        samples: int16 (frames, 2) at SAMPLE_RATE, as Renderer.render returns.
        audio_format: "mp3", "ogg" or "wav".
        max_bytes: the largest file allowed.

    Returns:
        The file. Bitrates step down until it fits, then it goes mono at LOW_KBPS and a low
        sample rate. Without
        ffmpeg, MP3 and Ogg requests get WAV when that fits.

    Raises:
        RenderError: no encoding fits, ffmpeg is missing and WAV is too large, or ffmpeg failed.
    """
    if audio_format == "wav":
        return _wav(samples, max_bytes)
    if audio_format not in CODECS:
        raise RenderError(f"unknown audio format `{audio_format}`")
    if shutil.which("ffmpeg") is None:
        return _without_ffmpeg(samples, max_bytes)
    return _compressed(samples, audio_format, max_bytes)


def _compressed(samples: np.ndarray, audio_format: str, max_bytes: int) -> EncodedAudio:
    codec = CODECS[audio_format]
    seconds = len(samples) / SAMPLE_RATE
    for kbps in codec.bitrates_kbps:
        if _predicted_bytes(seconds, kbps) <= max_bytes:
            data = _ffmpeg(_segment(samples), audio_format, codec, kbps)
            if len(data) <= max_bytes:
                return EncodedAudio(data, audio_format, kbps)
    low = _segment(samples).set_channels(1)
    data = _ffmpeg(low, audio_format, codec, LOW_KBPS, ("-ar", str(codec.low_rate)))
    if len(data) <= max_bytes:
        return EncodedAudio(data, audio_format, LOW_KBPS)
    raise RenderError(f"the audio does not fit in {max_bytes // 1024} KB even in mono at "
                      f"{LOW_KBPS} kbps")


def _predicted_bytes(seconds: float, kbps: int) -> float:
    return seconds * kbps * 1000 / 8 + CONTAINER_BYTES


def _segment(samples: np.ndarray, rate: int = SAMPLE_RATE) -> AudioSegment:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=channels)


def _ffmpeg(segment: AudioSegment, audio_format: str, codec: _Codec, kbps: int,
            extra: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    try:
        segment.export(out, format=audio_format, codec=codec.name, bitrate=f"{kbps}k",
                       parameters=[*codec.parameters, *extra])
    except FileNotFoundError as error:
        raise RenderError("ffmpeg is missing: install it to get MP3 or Ogg audio") from error
    except CouldntEncodeError as error:
        raise RenderError(f"ffmpeg could not encode {audio_format} audio") from error
    return out.getvalue()


def _without_ffmpeg(samples: np.ndarray, max_bytes: int) -> EncodedAudio:
    """WAV stands in for MP3/Ogg when ffmpeg is missing, but only at full quality."""
    data = _wav_bytes(samples, SAMPLE_RATE)
    if len(data) > max_bytes:
        raise RenderError("ffmpeg is missing and the WAV file is too large to send; "
                          "install ffmpeg for MP3 or Ogg audio")
    return EncodedAudio(data, "wav", None)


def _wav(samples: np.ndarray, max_bytes: int) -> EncodedAudio:
    """WAV as rendered; if too large, mono; then mono at LOW_RATE."""
    mono = samples.mean(axis=1).round().astype(np.int16)
    # Averaging frame pairs low-passes before halving the rate, which keeps aliasing down.
    halved = mono[: len(mono) // 2 * 2].reshape(-1, 2).mean(axis=1).round().astype(np.int16)
    for candidate, rate in ((samples, SAMPLE_RATE), (mono, SAMPLE_RATE), (halved, LOW_RATE)):
        data = _wav_bytes(candidate, rate)
        if len(data) <= max_bytes:
            return EncodedAudio(data, "wav", None)
    raise RenderError(f"the WAV file does not fit in {max_bytes // 1024} KB even in mono at "
                      f"{LOW_RATE} Hz; ask for mp3 or ogg")


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    _segment(samples, rate).export(out, format="wav")
    return out.getvalue()
