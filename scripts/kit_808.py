"""The `808` kit: TR-808-style drums synthesised in numpy, for trap and hip-hop.

Every sound is made here from sines, band-limited square waves and seeded noise, so the kit
is ours to give away (CC0). Recipes follow the 808's circuits loosely: a bridged-T bass drum
gliding down to ~50 Hz, a two-tone snare with snappy noise, and hats and cymbals from six
detuned square oscillators through high-pass filters.
"""

from __future__ import annotations

import numpy as np
from dsp import RATE, band, decay, noise, sweep, times, to_pcm, trim_tail
from sf2_format import (
    GEN_EXCLUSIVE_CLASS,
    GEN_PAN,
    GEN_RELEASE_VOL_ENV,
    Sample,
    Zone,
)

METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
"""The six square-wave oscillators of the 808's cymbal and hi-hat circuit, Hz."""
HAT_CLASS = 1
"""Exclusive class shared by the hats: a closed hat chokes a ringing open hat."""
KICK_CLASS = 2
"""Exclusive class of the kick: like an 808 played mono, a new kick cuts the last one's tail,
so overlapping booms never cancel or pile up."""
CLAP_BURSTS_S = (0.0, 0.009, 0.018)
"""Onsets of the clap's bursts, seconds."""
PANS = (0, 0, -150, -150, 150, 0, -150, -200, 200)
"""Pan per class, 0.1% units (-500 left, 500 right), drummer's view."""
LONG_RELEASE_TC = 8000
"""Release of 100 s (timecents): a note-off barely touches a sound; it rings to its end."""
ATTACK_S = 0.001
"""Fade-in of every sound, seconds, so no sound starts with a click."""
TAIL_FLOOR_DB = -60.0


def kick() -> np.ndarray:
    """Long, boomy 808 bass drum gliding from 170 Hz down to 50 Hz, lightly saturated."""
    t = times(1.8)
    body = np.sin(sweep(t, 170.0, 50.0, 0.03)) * decay(t, 1.7)
    click = band(noise(0.02, seed=1), 1500.0, 8000.0) * decay(times(0.02), 0.006)
    body[: len(click)] += 0.25 * click / np.abs(click).max()
    return np.tanh(1.8 * body)


def snare() -> np.ndarray:
    """808 snare layered with a clap, as trap snares usually are: two detuned drum tones,
    a snappy burst of noise and three quick clap bursts with a short tail."""
    t = times(0.5)
    tones = (np.sin(sweep(t, 220.0, 185.0, 0.015)) * decay(t, 0.18)
             + 0.5 * np.sin(sweep(t, 370.0, 330.0, 0.015)) * decay(t, 0.12))
    snap = band(noise(0.5, seed=2), 1200.0, 9000.0) * decay(t, 0.32)
    clap = band(noise(0.5, seed=7), 900.0, 5000.0) * _clap_envelope(t)
    return 0.8 * tones + _unit(snap) + 0.6 * _unit(clap)


def _clap_envelope(t: np.ndarray) -> np.ndarray:
    """Hands that never quite meet: bursts CLAP_BURSTS_S apart, then a short room tail."""
    bursts = sum((t >= d) * decay(np.maximum(t - d, 0.0), 0.02) for d in CLAP_BURSTS_S)
    tail_start = CLAP_BURSTS_S[-1] + 0.009
    return bursts + 0.6 * (t >= tail_start) * decay(np.maximum(t - tail_start, 0.0), 0.3)


def _unit(signal: np.ndarray) -> np.ndarray:
    return signal / np.abs(signal).max()


def metal(seconds: float) -> np.ndarray:
    """The 808 metal source: six band-limited square waves summed."""
    t = times(seconds)
    out = np.zeros_like(t)
    for hz in METAL_HZ:
        for harmonic in range(1, int(RATE / 2 / hz), 2):
            out += np.sin(2 * np.pi * hz * harmonic * t) / harmonic
    return out


def hat(seconds: float, ring_s: float) -> np.ndarray:
    """A hi-hat: the metal source (plus a little noise) high-passed, ringing for `ring_s`."""
    t = times(seconds)
    source = metal(seconds) / len(METAL_HZ) + 0.3 * noise(seconds, seed=3)
    return band(source, 7000.0, 16000.0, order=3) * decay(t, ring_s)


def tom(high_hz: float, low_hz: float) -> np.ndarray:
    """808 tom: a sine falling from high_hz to low_hz with a soft noise attack."""
    t = times(0.9)
    body = np.sin(sweep(t, high_hz, low_hz, 0.08)) * decay(t, 0.75)
    breath = band(noise(0.9, seed=4), 300.0, 3000.0) * decay(t, 0.06)
    return np.tanh(1.3 * (body + 0.15 * breath))


def crash() -> np.ndarray:
    """808-style crash: metal through two band-passes and washy noise, long decay."""
    t = times(2.6)
    source = metal(2.6)
    shimmer = band(source, 3000.0, 4000.0, order=3) + band(source, 6500.0, 12000.0, order=3)
    wash = band(noise(2.6, seed=5), 4500.0, 15000.0)
    return (0.6 * shimmer / np.abs(shimmer).max() + wash / np.abs(wash).max()) * decay(t, 2.4)


def ride() -> np.ndarray:
    """Ride: a bell-like ping of inharmonic partials over a quiet metallic shimmer."""
    t = times(2.2)
    ping = sum(np.sin(2 * np.pi * hz * t) * decay(t, 1.6 * s) / i
               for i, (hz, s) in enumerate(((587.0, 1.0), (1622.0, 0.8), (3185.0, 0.6),
                                            (5240.0, 0.4)), start=1))
    shimmer = band(metal(2.2), 5000.0, 14000.0, order=3)
    tick = band(noise(2.2, seed=6), 3000.0, 12000.0) * decay(t, 0.03)
    return (0.5 * ping + 0.5 * shimmer / np.abs(shimmer).max() * decay(t, 1.9)
            + 0.4 * tick / np.abs(tick).max())


SOUNDS = (
    ("808 Kick", kick, -0.5),
    ("808 Snare", snare, -1.5),
    ("808 Closed Hat", lambda: hat(0.3, 0.13), -6.0),
    ("808 Open Hat", lambda: hat(0.9, 0.75), -7.0),
    ("808 Low Tom", lambda: tom(110.0, 82.0), -2.0),
    ("808 Mid Tom", lambda: tom(160.0, 120.0), -2.0),
    ("808 High Tom", lambda: tom(230.0, 172.0), -2.5),
    ("808 Crash", crash, -6.0),
    ("808 Ride", ride, -9.0),
)
"""(name, recipe, peak dBFS) per drum class, in engine.music.drums.CLASSES order."""


def build(keys: tuple[int, ...]) -> tuple[list[Sample], list[Zone]]:
    """Return the kit's samples and zones: class i sounds on keys[i], unpitched."""
    samples, zones = [], []
    for i, ((name, recipe, peak_db), key) in enumerate(zip(SOUNDS, keys, strict=True)):
        signal = recipe()
        signal[: int(ATTACK_S * RATE)] *= np.linspace(0.0, 1.0, int(ATTACK_S * RATE))
        pcm = trim_tail(to_pcm(signal, peak_db), TAIL_FLOOR_DB)
        samples.append(Sample(name, pcm, RATE, key, loop=(0, len(pcm))))
        zones.append(Zone((key, key), i, gens=_gens(name, PANS[i])))
    return samples, zones


def _gens(name: str, pan: int) -> tuple[tuple[int, int], ...]:
    gens = [(GEN_PAN, pan), (GEN_RELEASE_VOL_ENV, LONG_RELEASE_TC)]
    if "Hat" in name:
        gens.append((GEN_EXCLUSIVE_CLASS, HAT_CLASS))
    if "Kick" in name:
        gens.append((GEN_EXCLUSIVE_CLASS, KICK_CLASS))
    return tuple(gens)
