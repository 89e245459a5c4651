"""SoundFont 2 building blocks shared by the reader and the writer: record layouts and
generator numbers (SF2 specification 2.01, sections 7 and 8)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

NAME_BYTES = 20
"""Fixed width of every name field in the pdta records."""
SAMPLE_PADDING = 46
"""Zero sample points the spec requires after each sample in the smpl chunk."""

PHDR = struct.Struct("<20sHHHIII")
BAG = struct.Struct("<HH")
MOD = struct.Struct("<HHhHH")
GEN = struct.Struct("<HH")
INST = struct.Struct("<20sH")
SHDR = struct.Struct("<20sIIIIIBbHH")

# Generator operators used by the kits (spec section 8.1.2).
GEN_START_OFFSET = 0
GEN_PAN = 17
GEN_ATTACK_VOL_ENV = 34
GEN_HOLD_VOL_ENV = 35
GEN_DECAY_VOL_ENV = 36
GEN_SUSTAIN_VOL_ENV = 37
GEN_RELEASE_VOL_ENV = 38
GEN_INSTRUMENT = 41
GEN_KEY_RANGE = 43
GEN_VEL_RANGE = 44
GEN_INITIAL_ATTENUATION = 48
GEN_SAMPLE_ID = 53
GEN_SAMPLE_MODES = 54
GEN_EXCLUSIVE_CLASS = 57
GEN_OVERRIDING_ROOT_KEY = 58

RANGE_GENS = (GEN_KEY_RANGE, GEN_VEL_RANGE)
"""Generators whose amount is a (low, high) byte pair, not a number."""
INSTRUMENT_ONLY_GENS = frozenset((0, 1, 2, 3, 4, 12, 45, 46, 47, 50, 53, 54, 57, 58))
"""Generators a preset zone may not hold: sample offsets, keynum, velocity, sample, modes,
exclusive class and root key."""

MONO_SAMPLE = 1
DRUM_BANK = 128
"""MIDI bank of percussion presets in General MIDI soundfonts."""


@dataclass(frozen=True, eq=False)
class Sample:
    """One mono sample.

    Attributes:
        name: at most 20 ASCII characters.
        pcm: 1-D int16 sample points.
        rate: sample rate, Hz.
        root_key: MIDI key at which the sample plays unpitched.
        correction: pitch correction, cents.
        loop: (start, end) loop points relative to the sample start.
        kind: SF2 sample type (1 mono, 2 right, 4 left of a stereo pair).
        link: index of the other half of a stereo pair (0 for mono).
    """

    name: str
    pcm: np.ndarray
    rate: int
    root_key: int
    correction: int = 0
    loop: tuple[int, int] | None = None
    kind: int = MONO_SAMPLE
    link: int = 0


@dataclass(frozen=True)
class Zone:
    """One instrument zone: a key and velocity range playing one sample.

    Attributes:
        keys: (low, high) MIDI keys, inclusive.
        sample: index into the sample list.
        velocities: (low, high) velocities, inclusive.
        gens: other generators as (operator, signed amount), in file order.
        mods: modulators as (source, destination, amount, amount source, transform).
    """

    keys: tuple[int, int]
    sample: int
    velocities: tuple[int, int] = (0, 127)
    gens: tuple[tuple[int, int], ...] = ()
    mods: tuple[tuple[int, int, int, int, int], ...] = field(default=())


def signed(amount: int) -> int:
    """Read a raw 16-bit generator amount as a signed number."""
    return amount - 0x10000 if amount >= 0x8000 else amount


def encode_name(name: str) -> bytes:
    """Pack a name into a 20-byte zero-padded field."""
    return name.encode("ascii")[: NAME_BYTES - 1].ljust(NAME_BYTES, b"\0")


def decode_name(raw: bytes) -> str:
    """Unpack a 20-byte name field."""
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")
