"""Small numpy signal helpers for building drum samples: no SciPy needed."""

from __future__ import annotations

import numpy as np

RATE = 44100
"""Sample rate of every kit sample, Hz (the renderer's rate, so nothing is resampled)."""
FULL_SCALE = 32767
TAIL_FADE_S = 0.01
"""Fade applied where a sample's tail is cut, seconds."""


def times(seconds: float) -> np.ndarray:
    """Return the time of each sample point of a `seconds`-long sound, in seconds."""
    return np.arange(int(seconds * RATE)) / RATE


def decay(t: np.ndarray, seconds: float) -> np.ndarray:
    """Exponential decay that falls by 60 dB after `seconds`."""
    return 10.0 ** (-3.0 * t / seconds)


def sweep(t: np.ndarray, start_hz: float, end_hz: float, seconds: float) -> np.ndarray:
    """Phase (radians) of a sine gliding exponentially from start_hz towards end_hz.

    The glide's time constant is `seconds`; the phase is the integral of the frequency.
    """
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / seconds)
    return 2 * np.pi * np.cumsum(freq) / RATE


def band(signal: np.ndarray, low_hz: float = 0.0, high_hz: float = RATE / 2,
         order: int = 2) -> np.ndarray:
    """Zero-phase band-pass in the frequency domain, with Butterworth-like slopes.

    Args:
        signal: 1-D float signal.
        low_hz: high-pass corner (0 for none).
        high_hz: low-pass corner (Nyquist for none).
        order: slope steepness; 6 dB/octave per order.
    """
    spectrum = np.fft.rfft(signal)
    freq = np.fft.rfftfreq(len(signal), 1 / RATE) + 1e-9
    gain = 1 / np.sqrt(1 + (low_hz / freq) ** (2 * order)) if low_hz else 1.0
    gain = gain / np.sqrt(1 + (freq / high_hz) ** (2 * order))
    return np.fft.irfft(spectrum * gain, len(signal))


def noise(seconds: float, seed: int) -> np.ndarray:
    """White noise, uniform in [-1, 1], from a fixed seed so builds are reproducible."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, int(seconds * RATE))


def to_pcm(signal: np.ndarray, peak_db: float) -> np.ndarray:
    """Scale a float signal so its peak sits at `peak_db` dBFS; return int16 points."""
    scaled = signal / np.abs(signal).max() * FULL_SCALE * 10 ** (peak_db / 20)
    return np.round(scaled).astype(np.int16)


def trim_tail(pcm: np.ndarray, floor_db: float) -> np.ndarray:
    """Cut the tail once the sound stays `floor_db` below its peak; fade the cut.

    Shorter samples make shorter FluidSynth voices, which is most of the render time.
    """
    level = np.abs(pcm.astype(np.float64))
    quiet = np.maximum.accumulate(level[::-1])[::-1] < level.max() * 10 ** (floor_db / 20)
    end = int(np.argmax(quiet)) if quiet.any() else len(pcm)
    fade = min(end, int(TAIL_FADE_S * RATE))
    out = pcm[:end].astype(np.float64)
    out[end - fade:] *= np.linspace(1.0, 0.0, fade)
    return np.round(out).astype(np.int16)


def trim_head(pcm: np.ndarray, floor_db: float) -> np.ndarray:
    """Cut the near-silence before a sound starts, so its hit lands on its note's time."""
    level = np.abs(pcm.astype(np.float64))
    start = int(np.argmax(level >= level.max() * 10 ** (floor_db / 20)))
    return pcm[start:]
