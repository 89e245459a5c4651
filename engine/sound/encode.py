"""Encode rendered audio for Discord: MP3, Ogg (Opus) or WAV, always under the upload limit.

MP3 and Ogg go through the ffmpeg command, fed raw PCM on a pipe (no temporary files) and
started before the audio is ready, so its start-up overlaps the rest of the job. WAV is
written by pydub. A long beat steps its bitrate down until the file fits; without ffmpeg we
send WAV when that fits.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from engine.errors import RenderError
from engine.sound.render import SAMPLE_RATE

MAX_AUDIO_BYTES = 8 * 1024 * 1024
"""Discord's upload limit for a bot without boosts, bytes."""
LOW_RATE = 22050
"""Sample rate of the last-resort mono MP3 and WAV files, Hz."""
LOW_KBPS = 24
"""Bitrate of the last-resort mono MP3 or Ogg, kbit/s."""
FFMPEG_TIMEOUT_S = 60
"""Longest an encode may take (64 bars at 40 bpm take a few seconds)."""
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
    # The MP3 preview is mono: LAME's time is most of a request's, and one channel halves it.
    # Quality 7 (of 0 best to 9 fastest) is about 40 % faster again than the default 5; at
    # 128 kbit/s mono a drum preview loses nothing audible. Ogg and WAV stay stereo.
    "mp3": _Codec("libmp3lame", (128, 96, 64, 48, 32), ("-ac", "1", "-compression_level", "7")),
    # Opus in Ogg: what Discord's own voice messages use, so every client plays it inline.
    # Complexity 5 of 10 encodes about a third faster, inaudibly so at these bitrates.
    "ogg": _Codec("libopus", (128, 96, 64, 48, 32), ("-compression_level", "5"),
                  low_rate=24000),  # Opus has no 22050 Hz
}
"""ffmpeg encoder, bitrates to try (best first), extra ffmpeg options and the last-resort
sample rate per format."""


class Encoding:
    """One audio file being made. ffmpeg starts as soon as the length is known, so its
    start-up (tens of ms) overlaps generation and rendering; `feed` hands it the samples and
    returns at once, and `result` waits for the file.

    Args:
        audio_format: "mp3", "ogg" or "wav".
        seconds: the length of the audio that will be fed.
        max_bytes: the largest file allowed.

    Raises:
        RenderError: an unknown format.
    """

    def __init__(self, audio_format: str, seconds: float, max_bytes: int = MAX_AUDIO_BYTES
                 ) -> None:
        if audio_format not in (*CODECS, "wav"):
            raise RenderError(f"unknown audio format `{audio_format}`")
        self.format, self.max_bytes = audio_format, max_bytes
        self.samples: np.ndarray | None = None
        self.process: _Ffmpeg | None = None
        self.output: list[bytes] = []
        self.worker: threading.Thread | None = None
        codec = CODECS.get(audio_format)
        fitting = [k for k in codec.bitrates_kbps if _predicted_bytes(seconds, k) <= max_bytes
                   ] if codec else []
        if fitting and shutil.which("ffmpeg"):
            self.kbps = fitting[0]
            self.process = _spawn(audio_format, codec, self.kbps, 2)

    def feed(self, samples: np.ndarray) -> None:
        """Hand over the rendered samples (int16, (frames, 2)); encoding goes on meanwhile."""
        self.samples = samples
        if self.process is not None:
            pcm = np.ascontiguousarray(samples, dtype="<i2").tobytes()
            self.worker = threading.Thread(target=self._communicate, args=(pcm,), daemon=True)
            self.worker.start()

    def result(self) -> EncodedAudio:
        """Wait for the file; steps down (bitrate, mono, WAV) when the first try won't do.

        Raises:
            RenderError: no encoding fits, or ffmpeg failed or is missing and WAV won't fit.
        """
        if self.samples is None:
            raise RenderError("no audio was fed to the encoder")
        if self.format == "wav":
            return _wav(self.samples, self.max_bytes)
        if self.worker is not None:
            self.worker.join()
            data = self.output[0] if self.output else b""
            if data and len(data) <= self.max_bytes:
                return EncodedAudio(data, self.format, self.kbps)
        if shutil.which("ffmpeg") is None:
            return _without_ffmpeg(self.samples, self.max_bytes)
        return _compressed(self.samples, self.format, self.max_bytes)

    def cancel(self) -> None:
        """Stop a started ffmpeg that will not be fed (the render failed)."""
        if self.process is not None and self.worker is None:
            self.process.kill()
            self.process.wait()
            self.process.folder.cleanup()

    def _communicate(self, pcm: bytes) -> None:
        # On failure result() retries the slow way and reports any error.
        with contextlib.suppress(OSError, RenderError):
            self.output.append(_run(self.process, pcm, self.format))


def encode(samples: np.ndarray, audio_format: str, max_bytes: int = MAX_AUDIO_BYTES
           ) -> EncodedAudio:
    """Encode a render into a file of at most `max_bytes`.

    Args:
        samples: int16 (frames, 2) at SAMPLE_RATE, as Renderer.render returns.
        audio_format: "mp3", "ogg" or "wav".
        max_bytes: the largest file allowed.

    Returns:
        The file. Bitrates step down until it fits, then it goes mono at LOW_KBPS and a low
        sample rate. Without ffmpeg, MP3 and Ogg requests get WAV when that fits.

    Raises:
        RenderError: no encoding fits, ffmpeg is missing and WAV is too large, or ffmpeg failed.
    """
    encoding = Encoding(audio_format, len(samples) / SAMPLE_RATE, max_bytes)
    encoding.feed(samples)
    return encoding.result()


def _compressed(samples: np.ndarray, audio_format: str, max_bytes: int) -> EncodedAudio:
    codec = CODECS[audio_format]
    seconds = len(samples) / SAMPLE_RATE
    stereo = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    for kbps in codec.bitrates_kbps:
        if _predicted_bytes(seconds, kbps) <= max_bytes:
            data = _run(_spawn(audio_format, codec, kbps, 2), stereo, audio_format)
            if len(data) <= max_bytes:
                return EncodedAudio(data, audio_format, kbps)
    mono = samples.mean(axis=1).round().astype("<i2").tobytes()
    process = _spawn(audio_format, codec, LOW_KBPS, 1, ("-ar", str(codec.low_rate)))
    data = _run(process, mono, audio_format)
    if len(data) <= max_bytes:
        return EncodedAudio(data, audio_format, LOW_KBPS)
    raise RenderError(f"the audio does not fit in {max_bytes // 1024} KB even in mono at "
                      f"{LOW_KBPS} kbps")


def _predicted_bytes(seconds: float, kbps: int) -> float:
    return seconds * kbps * 1000 / 8 + CONTAINER_BYTES


class _Ffmpeg(subprocess.Popen):
    """ffmpeg reading raw 16-bit PCM on stdin into a temporary file. A file, not stdout,
    because only a seekable output gets the MP3 header that tells players the encoder's
    delay and padding, which gapless looping needs."""

    def __init__(self, command: list[str], folder: tempfile.TemporaryDirectory) -> None:
        super().__init__(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
        self.folder = folder

    def read_output(self) -> bytes:
        """The encoded file (call after the process ended), then the folder is removed."""
        try:
            return (Path(self.folder.name) / "out").read_bytes()
        finally:
            self.folder.cleanup()


def _spawn(audio_format: str, codec: _Codec, kbps: int, channels: int,
           extra: tuple[str, ...] = ()) -> _Ffmpeg:
    """Start ffmpeg reading raw 16-bit PCM on stdin."""
    folder = tempfile.TemporaryDirectory(prefix="beatbot-")
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
               "-c:a", codec.name, "-b:a", f"{kbps}k", *codec.parameters, *extra,
               "-f", audio_format, str(Path(folder.name) / "out")]
    try:
        return _Ffmpeg(command, folder)
    except FileNotFoundError as error:
        folder.cleanup()
        raise RenderError("ffmpeg is missing: install it to get MP3 or Ogg audio") from error


def _run(process: _Ffmpeg, pcm: bytes, audio_format: str) -> bytes:
    try:
        process.communicate(pcm, timeout=FFMPEG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.read_output()
        raise RenderError(f"ffmpeg took over {FFMPEG_TIMEOUT_S} s to encode") from None
    if process.returncode != 0:
        process.folder.cleanup()
        raise RenderError(f"ffmpeg could not encode {audio_format} audio")
    return process.read_output()


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


def _segment(samples: np.ndarray, rate: int = SAMPLE_RATE) -> AudioSegment:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=channels)
