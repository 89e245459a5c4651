"""Encode rendered audio for Discord: MP3, Ogg (Opus) or WAV, always under the upload limit.

Everything runs in this process, with no encoder program to start per beat:
- MP3 through LAME (the `lameenc` binding: its LAME is about three times faster than the
  one inside PyAV's wheel), in variable bitrate under a ceiling, behind the Xing (or Info)
  tag frame that tells players the length and the encoder's delay and padding, so the
  preview loops without a gap;
- Ogg Opus through the system's libopus (ctypes), after soxr resamples to Opus's 48 kHz,
  in Ogg pages written here (PyAV did this with its own FFmpeg: 100 MB for one codec);
- WAV through the standard library's `wave` (pydub only wrapped it, and without ffmpeg on
  the machine it warns at every start).
A long beat steps its bitrate down until the file fits, then goes mono at a low rate.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
import struct
import wave
import zlib
from dataclasses import dataclass

import lameenc
import numpy as np
import soxr

from engine.errors import RenderError
from engine.sound.render import SAMPLE_RATE

MAX_AUDIO_BYTES = 8 * 1024 * 1024
"""Discord's upload limit for a bot without boosts, bytes."""
LOW_RATE = 22050
"""Sample rate of the last-resort mono MP3 and WAV files, Hz."""
LOW_KBPS = 24
"""Bitrate of the last-resort mono MP3 or Ogg, kbit/s."""
CONTAINER_BYTES = 4096
"""Allowance for headers and framing when predicting a file's size from its bitrate."""
MP3_QUALITY = 7
"""LAME's algorithm quality, 0 (best) to 9 (fastest). 7 is about 40 % faster than the default
5, and for a mono drum preview loses nothing audible."""
MP3_VBR_QUALITY = 0
"""LAME's variable-bitrate quality, 0 (best) to 9, under the bitrate of the rung as a ceiling.
Against constant 128 kbit/s, a drum preview at 0 under a 128 ceiling averages about 100
kbit/s, measures closer to the render (25.7 dB signal to noise, against 24.2) and encodes
about 9 % faster: LAME's VBR spends bits only where the hits are."""
VBR_MTRH = 4
"""LAME's default variable-bitrate mode (vbr_mtrh in lame.h)."""
MONO_CHUNK_FRAMES = 16384
"""Frames downmixed and handed to LAME at a time: small enough to stay in the CPU's cache."""
LAME_DELAY = 576
"""Samples of silence LAME puts before the music; the Info tag tells decoders to skip them."""
OPUS_RATE = 48000
"""Opus's own sample rate, Hz; the 44.1 kHz render is resampled to it."""
OPUS_LOW_RATE = 24000
"""Sample rate of the last-resort mono Ogg, Hz (Opus has no 22050 Hz)."""
OPUS_COMPLEXITY = 5
"""libopus complexity, 0-10: 5 encodes about a third faster than 10, inaudibly so here."""
OPUS_FRAME_S = 0.02
"""Length of one Opus packet, seconds (libopus's usual 20 ms)."""
OPUS_MAX_PACKET = 4000
"""Room for one encoded packet, bytes (libopus's recommended upper bound)."""
OGG_PAGE_BYTES = 4096
"""Packets are gathered into Ogg pages of about this size (each page costs 27+ bytes)."""
OGG_SERIAL = 0x42454154
"""The Ogg stream's serial number ("BEAT"): fixed, so a beat's file is the same every time."""
BITRATES_KBPS = (128, 96, 64, 48, 32)
"""Bitrates to try for MP3 (the ceiling) and Ogg (the target), best first."""
MPEG1_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
"""Layer III bitrates by a frame header's bitrate index: MPEG-1 (44.1 kHz), MPEG-2 (22.05)."""
XING_BYTES = 120
"""The Xing fields: name, flags, frames, bytes, a 100-point seek table and a quality."""
LAME_TAG_BYTES = 36
"""The LAME tag after them: encoder, delay and padding, lengths and CRCs."""
TAG_BITRATE_INDEX = {True: 9, False: 8}
"""Bitrate of the tag's own frame, as LAME picks it: 128 kbit/s for MPEG-1, 64 for MPEG-2."""


@dataclass(frozen=True)
class EncodedAudio:
    """An audio file ready to upload.

    Attributes:
        data: the file's bytes.
        format: "mp3", "ogg" or "wav".
        bitrate_kbps: the encoder's bitrate (MP3: its ceiling; Ogg: its target), or None
            for WAV.
    """

    data: bytes
    format: str
    bitrate_kbps: int | None


def encode(samples: np.ndarray, audio_format: str, max_bytes: int = MAX_AUDIO_BYTES
           ) -> EncodedAudio:
    """Encode a render into a file of at most `max_bytes`.

    The MP3 preview is mono (one channel halves LAME's time, the largest of a beat's); Ogg
    and WAV stay stereo.

    Args:
        samples: int16 (frames, 2) at SAMPLE_RATE, as Renderer.render returns.
        audio_format: "mp3", "ogg" or "wav".
        max_bytes: the largest file allowed.

    Returns:
        The file. Bitrates step down until it fits, then it goes mono at LOW_KBPS and a low
        sample rate (WAV: mono, then mono at LOW_RATE).

    Raises:
        RenderError: an unknown format, no encoding fits, or the encoder failed.
    """
    if audio_format == "wav":
        return _wav(samples, max_bytes)
    if audio_format not in ("mp3", "ogg"):
        raise RenderError(f"unknown audio format `{audio_format}`")
    try:
        return _compressed(samples, audio_format, max_bytes)
    except (OSError, RuntimeError) as error:
        raise RenderError(f"the {audio_format} encoder failed ({error})") from error


def _compressed(samples: np.ndarray, audio_format: str, max_bytes: int) -> EncodedAudio:
    """The best bitrate that fits, else mono at LOW_KBPS and a low rate."""
    seconds = len(samples) / SAMPLE_RATE
    for kbps in BITRATES_KBPS:
        if _predicted_bytes(seconds, kbps) <= max_bytes:
            data = _mp3(samples, kbps) if audio_format == "mp3" else _opus(samples, kbps)
            if len(data) <= max_bytes:
                return EncodedAudio(data, audio_format, kbps)
    if audio_format == "mp3":
        data = _mp3(samples, LOW_KBPS, LOW_RATE)
    else:
        data = _opus(_mono(samples)[:, None], LOW_KBPS, OPUS_LOW_RATE)
    if len(data) <= max_bytes:
        return EncodedAudio(data, audio_format, LOW_KBPS)
    raise RenderError(f"the audio does not fit in {max_bytes // 1024} KB even in mono at "
                      f"{LOW_KBPS} kbps")


def _predicted_bytes(seconds: float, kbps: int) -> float:
    return seconds * kbps * 1000 / 8 + CONTAINER_BYTES


def _mono(samples: np.ndarray) -> np.ndarray:
    """The two channels averaged, int16 (frames,); in integers, ten times faster than floats."""
    total = np.add(samples[:, 0], samples[:, 1], dtype=np.int32)
    total += 1
    total >>= 1
    return total.astype(np.int16)


def _mp3(samples: np.ndarray, kbps: int, rate: int = SAMPLE_RATE) -> bytes:
    """A mono MP3 of the stereo `samples`, at most `kbps` at `rate` (LAME resamples when the
    rate is lower). LAME takes the downmix a chunk at a time, so no second copy of the
    whole beat is made."""
    encoder = lameenc.Encoder()
    encoder.set_vbr(VBR_MTRH)
    encoder.set_vbr_quality(MP3_VBR_QUALITY)
    encoder.set_vbr_max_bitrate_kbps(kbps)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(MP3_QUALITY)
    frames = [encoder.encode(_mono(samples[start:start + MONO_CHUNK_FRAMES]).tobytes())
              for start in range(0, len(samples), MONO_CHUNK_FRAMES)]
    frames.append(encoder.flush())
    return _tagged_mp3(b"".join(frames), round(len(samples) * rate / SAMPLE_RATE))


def _tagged_mp3(frames: bytes, music_samples: int) -> bytes:
    """LAME's frames behind an Info tag frame (the LAME tag that LAME's command-line tool
    writes): frame count, size and seek table, so players know the length, and the encoder
    delay and padding, so they drop LAME's silence at both ends and the beat loops without a
    gap. "Xing" when the bitrate varied, "Info" when every frame has one bitrate. lameenc
    does not write this frame; its fields come from walking the frame headers (a fraction of
    a millisecond, against 3-4 ms for FFmpeg's muxer, which also cannot know the delay).
    """
    mpeg1 = len(frames) > 1 and frames[1] >> 3 & 1 == 1
    rate = SAMPLE_RATE if mpeg1 else LOW_RATE
    starts, bitrates, at = [], set(), 0
    while at + 4 <= len(frames) and frames[at] == 0xFF:
        starts.append(at)
        bitrates.add(index := frames[at + 2] >> 4)
        at += _frame_bytes(mpeg1, rate, index, frames[at + 2] >> 1 & 1)
    if not starts:
        raise RenderError("LAME wrote no MP3 frames")
    tag = bytearray(_frame_bytes(mpeg1, rate, TAG_BITRATE_INDEX[mpeg1], 0))
    tag[:4] = frames[0], frames[1], TAG_BITRATE_INDEX[mpeg1] << 4 | frames[2] & 0x0C, frames[3]
    total = len(tag) + len(frames)
    toc = bytes(min(255, (len(tag) + starts[len(starts) * i // 100]) * 256 // total)
                for i in range(100))
    frame_samples = 1152 if mpeg1 else 576
    padding = max(len(starts) * frame_samples - music_samples - LAME_DELAY, 0)
    lame = bytearray(LAME_TAG_BYTES)
    lame[:9] = b"LAME3.100"
    lame[21:24] = (LAME_DELAY << 12 | padding).to_bytes(3, "big")
    lame[28:32] = total.to_bytes(4, "big")  # the music CRC after it stays 0: no player reads it
    xing_at = 4 + (17 if mpeg1 else 9)  # past the header and a mono frame's side information
    tag[xing_at:xing_at + XING_BYTES + LAME_TAG_BYTES] = (
        (b"Xing" if len(bitrates) > 1 else b"Info") + (0x0F).to_bytes(4, "big")
        + len(starts).to_bytes(4, "big") + total.to_bytes(4, "big") + toc + bytes(4) + lame)
    crc_at = xing_at + XING_BYTES + LAME_TAG_BYTES - 2  # the tag's CRC covers all before it
    tag[crc_at:crc_at + 2] = _crc16(bytes(tag[:crc_at])).to_bytes(2, "big")
    return bytes(tag) + frames


def _frame_bytes(mpeg1: bool, rate: int, bitrate_index: int, padded: int) -> int:
    """Length of a layer III frame."""
    if mpeg1:
        return 144000 * MPEG1_KBPS[bitrate_index] // rate + padded
    return 72000 * MPEG2_KBPS[bitrate_index] // rate + padded


def _crc16(data: bytes) -> int:
    """CRC-16/ARC (reflected polynomial 0x8005), the LAME tag's checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _opus(samples: np.ndarray, kbps: int, rate: int = OPUS_RATE) -> bytes:
    """Ogg Opus of int16 (frames, channels) samples at SAMPLE_RATE, resampled to `rate`.

    The stream is exactly the render's length: the header's pre-skip drops the encoder's
    delay and the last page's granule position cuts the padding of the last packet.
    """
    frames = round(len(samples) * rate / SAMPLE_RATE)
    resampled = soxr.resample(np.ascontiguousarray(samples, dtype=np.int16), SAMPLE_RATE, rate)
    pcm = np.zeros((frames, samples.shape[1]), np.int16)  # soxr may be a sample off
    pcm[:len(resampled[:frames])] = resampled[:frames]
    encoder = _OpusEncoder(rate, samples.shape[1], kbps)
    try:
        packets = encoder.encode_all(pcm)
        lookahead = encoder.lookahead()
    finally:
        encoder.close()
    scale = OPUS_RATE // rate  # granule positions and pre-skip count 48 kHz samples
    head = struct.pack("<8sBBHIhB", b"OpusHead", 1, samples.shape[1], lookahead * scale,
                       SAMPLE_RATE, 0, 0)
    vendor = _libopus().opus_get_version_string()
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    return _ogg([head, tags], packets, encoder.frame_size * scale, (lookahead + frames) * scale)


class _OpusEncoder:
    """One libopus encoder: `kbps` target, OPUS_COMPLEXITY, 20 ms packets."""

    APPLICATION_AUDIO = 2049
    SET_BITRATE = 4002
    SET_COMPLEXITY = 4010
    GET_LOOKAHEAD = 4027

    def __init__(self, rate: int, channels: int, kbps: int) -> None:
        self.lib = _libopus()
        self.channels = channels
        self.frame_size = round(rate * OPUS_FRAME_S)
        error = ctypes.c_int()
        self.state = self.lib.opus_encoder_create(rate, channels, self.APPLICATION_AUDIO,
                                                  ctypes.byref(error))
        self._check(error.value, "create")
        self._check(self.lib.opus_encoder_ctl(self.state, self.SET_BITRATE,
                                              ctypes.c_int32(kbps * 1000)), "bitrate")
        self._check(self.lib.opus_encoder_ctl(self.state, self.SET_COMPLEXITY,
                                              ctypes.c_int32(OPUS_COMPLEXITY)), "complexity")

    def lookahead(self) -> int:
        """The encoder's delay, samples at its rate (the stream's pre-skip)."""
        value = ctypes.c_int32()
        self._check(self.lib.opus_encoder_ctl(self.state, self.GET_LOOKAHEAD,
                                              ctypes.byref(value)), "lookahead")
        return value.value

    def encode_all(self, pcm: np.ndarray) -> list[bytes]:
        """Packets of `pcm` (frames, channels), the last 20 ms zero-padded, with one packet
        more so that the encoder's delay does not cut the end."""
        packets = -(-len(pcm) // self.frame_size) + 1
        padded = np.zeros((packets * self.frame_size, self.channels), np.int16)
        padded[:len(pcm)] = pcm
        out = ctypes.create_string_buffer(OPUS_MAX_PACKET)
        result = []
        for frame in padded.reshape(packets, -1):
            size = self.lib.opus_encode(self.state, frame.ctypes.data, self.frame_size, out,
                                        OPUS_MAX_PACKET)
            self._check(min(size, 0), "encode")
            result.append(out.raw[:size])
        return result

    def close(self) -> None:
        """Free the encoder."""
        self.lib.opus_encoder_destroy(self.state)

    def _check(self, code: int, step: str) -> None:
        if code < 0:
            reason = self.lib.opus_strerror(code).decode()
            raise RuntimeError(f"libopus {step}: {reason}")


@functools.cache
def _libopus() -> ctypes.CDLL:
    """The system's libopus (Debian's libopus0), typed.

    Raises:
        OSError: libopus is not installed.
    """
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_int)]
    lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                ctypes.c_char_p, ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_strerror.restype = ctypes.c_char_p
    lib.opus_get_version_string.restype = ctypes.c_char_p
    return lib


def _ogg(headers: list[bytes], packets: list[bytes], packet_samples: int, end: int) -> bytes:
    """An Ogg stream: each header packet on a page of its own, then the audio packets
    gathered into pages; `packet_samples` and `end` (the granule position of the last
    page) count 48 kHz samples."""
    pages = [_ogg_page([packet], 0, seq, 0x02 if seq == 0 else 0)
             for seq, packet in enumerate(headers)]
    batch, granule = [], 0
    for index, packet in enumerate(packets):
        batch.append(packet)
        granule += packet_samples
        last = index == len(packets) - 1
        if last or sum(map(len, batch)) >= OGG_PAGE_BYTES or len(batch) * 6 > 250:
            pages.append(_ogg_page(batch, min(granule, end) if not last else end,
                                   len(pages), 0x04 if last else 0))
            batch = []
    return b"".join(pages)


def _ogg_page(packets: list[bytes], granule: int, seq: int, flags: int) -> bytes:
    """One Ogg page holding whole packets (each under 255 * 6 bytes, as Opus packets are)."""
    lacing = b"".join(b"\xff" * (len(p) // 255) + bytes([len(p) % 255]) for p in packets)
    page = bytearray(struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, OGG_SERIAL, seq,
                                 0, len(lacing)) + lacing + b"".join(packets))
    page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
    return bytes(page)


_REFLECT = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, no inversions), through zlib's
    reflected CRC-32 on bit-reversed bytes: C speed, no table walked in Python."""
    raw = zlib.crc32(data.translate(_REFLECT), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def _wav(samples: np.ndarray, max_bytes: int) -> EncodedAudio:
    """WAV as rendered; if too large, mono; then mono at LOW_RATE."""
    mono = _mono(samples)
    # Averaging frame pairs low-passes before halving the rate, which keeps aliasing down.
    halved = mono[: len(mono) // 2 * 2].reshape(-1, 2).mean(axis=1).round().astype(np.int16)
    for candidate, rate in ((samples, SAMPLE_RATE), (mono, SAMPLE_RATE), (halved, LOW_RATE)):
        data = _wav_bytes(candidate, rate)
        if len(data) <= max_bytes:
            return EncodedAudio(data, "wav", None)
    raise RenderError(f"the WAV file does not fit in {max_bytes // 1024} KB even in mono at "
                      f"{LOW_RATE} Hz; ask for mp3 or ogg")


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of int16 samples, (frames,) or (frames, channels)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return out.getvalue()
