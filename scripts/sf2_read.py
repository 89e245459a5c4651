"""Read a SoundFont 2 file and flatten one preset into instrument zones with their samples.

Only what the kit builder needs: the pdta records, the sample points and the SF2 rule that
preset generators add to instrument generators (spec section 9.4).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sf2_format import (
    BAG,
    GEN,
    GEN_INSTRUMENT,
    GEN_KEY_RANGE,
    GEN_SAMPLE_ID,
    GEN_VEL_RANGE,
    INST,
    MOD,
    MONO_SAMPLE,
    PHDR,
    RANGE_GENS,
    SHDR,
    Sample,
    Zone,
    decode_name,
    signed,
)

FULL_RANGE = (0, 127)


@dataclass(frozen=True)
class _RawZone:
    gens: dict[int, int]
    mods: list[tuple[int, int, int, int, int]]


class SoundFontFile:
    """The parsed records of one .sf2 file."""

    def __init__(self, path: Path) -> None:
        data = Path(path).read_bytes()
        if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
            raise ValueError(f"{path} is not a SoundFont 2 file")
        self.chunks = dict(_walk(data, 12, len(data)))
        self.smpl = np.frombuffer(self.chunks["smpl"], "<i2")
        self.phdr = list(PHDR.iter_unpack(self.chunks["phdr"]))
        self.inst = list(INST.iter_unpack(self.chunks["inst"]))
        self.shdr = list(SHDR.iter_unpack(self.chunks["shdr"]))

    def preset_zones(self, bank: int, preset: int) -> list[_RawZone]:
        """Return the zones of one preset (global zone first, when it has one)."""
        for i, (_, number, bank_, bag, *_) in enumerate(self.phdr[:-1]):
            if (bank_, number) == (bank, preset):
                return self._zones("p", bag, self.phdr[i + 1][3])
        raise KeyError(f"no preset {bank}:{preset}")

    def instrument_zones(self, index: int) -> list[_RawZone]:
        """Return the zones of one instrument (global zone first, when it has one)."""
        return self._zones("i", self.inst[index][1], self.inst[index + 1][1])

    def sample(self, index: int) -> Sample:
        """Return one sample's points and tuning."""
        name, start, end, loop_start, loop_end, rate, key, correction, link, kind = self.shdr[index]
        pcm = self.smpl[start:end].copy()
        loop = (loop_start - start, loop_end - start)
        return Sample(decode_name(name), pcm, rate, key, correction, loop, kind, link)

    def _zones(self, kind: str, first: int, stop: int) -> list[_RawZone]:
        bags = list(BAG.iter_unpack(self.chunks[f"{kind}bag"]))
        gens = list(GEN.iter_unpack(self.chunks[f"{kind}gen"]))
        mods = list(MOD.iter_unpack(self.chunks[f"{kind}mod"]))
        return [
            _RawZone(dict(gens[bags[b][0]:bags[b + 1][0]]), mods[bags[b][1]:bags[b + 1][1]])
            for b in range(first, stop)
        ]


def _walk(data: bytes, start: int, stop: int):
    """Yield (chunk id, body) of every leaf chunk, descending into LIST chunks."""
    pos = start
    while pos + 8 <= stop:
        cid, size = struct.unpack_from("<4sI", data, pos)
        body = data[pos + 8:pos + 8 + size]
        if cid == b"LIST":
            yield from _walk(data, pos + 12, pos + 8 + size)
        else:
            yield cid.decode("ascii"), body
        pos += 8 + size + (size & 1)


def flatten_preset(sf: SoundFontFile, bank: int, preset: int, keys: list[int]):
    """Flatten a preset's zones that sound on `keys` into single-key instrument zones.

    Args:
        sf: the parsed file.
        bank: the preset's bank.
        preset: the preset's number in its bank.
        bank, preset: which preset.
        keys: the MIDI keys to keep.

    Returns:
        (zones, samples): zones restricted to one key each, with preset generators added to
        instrument generators, and the samples they play (reindexed from 0).
    """
    zones, samples, sample_index = [], [], {}
    p_global, p_zones = _split_global(sf.preset_zones(bank, preset), GEN_INSTRUMENT)
    for key in keys:
        for p_zone in p_zones:
            p_gens = {**p_global.gens, **p_zone.gens}
            if not _covers(p_gens, key):
                continue
            zones += _instrument_zones(sf, p_gens, key, samples, sample_index)
    return zones, samples


def _instrument_zones(sf, p_gens, key, samples, sample_index) -> list[Zone]:
    i_global, i_zones = _split_global(sf.instrument_zones(p_gens[GEN_INSTRUMENT]), GEN_SAMPLE_ID)
    out = []
    for i_zone in i_zones:
        gens = {**i_global.gens, **i_zone.gens}
        if not _covers(gens, key):
            continue
        velocities = _intersect(_range(p_gens, GEN_VEL_RANGE), _range(gens, GEN_VEL_RANGE))
        if velocities[0] > velocities[1]:
            continue
        sample = _collect(sf, gens[GEN_SAMPLE_ID], samples, sample_index)
        out.append(Zone((key, key), sample, velocities,
                        _merged_gens(gens, p_gens), _merged_mods(i_global, i_zone)))
    return out


def _collect(sf: SoundFontFile, sid: int, samples: list[Sample], index: dict[int, int]) -> int:
    """Add a sample to `samples` once; return its new index.

    Stereo links are dropped (every sample is written as mono): FluidSynth plays each zone as
    its own panned voice anyway, and FluidR3's links all point at sample 0.
    """
    if sid not in index:
        index[sid] = len(samples)
        samples.append(replace(sf.sample(sid), kind=MONO_SAMPLE, link=0))
    return index[sid]


def _split_global(zones: list[_RawZone], terminal: int) -> tuple[_RawZone, list[_RawZone]]:
    if zones and terminal not in zones[0].gens:
        return zones[0], zones[1:]
    return _RawZone({}, []), zones


def _range(gens: dict[int, int], op: int) -> tuple[int, int]:
    if op not in gens:
        return FULL_RANGE
    return gens[op] & 0xFF, gens[op] >> 8


def _intersect(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return max(a[0], b[0]), min(a[1], b[1])


def _covers(gens: dict[int, int], key: int) -> bool:
    low, high = _range(gens, GEN_KEY_RANGE)
    return low <= key <= high


def _merged_gens(i_gens: dict[int, int], p_gens: dict[int, int]) -> tuple[tuple[int, int], ...]:
    """Instrument values plus preset offsets (a missing instrument value counts as 0 offset
    from the default, which the caller must not rely on for non-zero defaults)."""
    skip = {*RANGE_GENS, GEN_SAMPLE_ID, GEN_INSTRUMENT}
    merged = {op: signed(v) for op, v in i_gens.items() if op not in skip}
    for op, value in p_gens.items():
        if op not in skip:
            merged[op] = merged.get(op, _DEFAULTS.get(op, 0)) + signed(value)
    return tuple(merged.items())


_DEFAULTS = {8: 13500, 21: -12000, 22: 0, 23: -12000, 24: 0, 25: -12000, 26: -12000,
             27: -12000, 28: -12000, 30: -12000, 33: -12000, 34: -12000, 35: -12000,
             36: -12000, 38: -12000, 56: 100}
"""Non-zero generator defaults (spec section 8.1.3), needed when a preset offsets a generator
the instrument leaves at its default."""


def _merged_mods(i_global: _RawZone, i_zone: _RawZone) -> tuple[tuple[int, ...], ...]:
    """Global modulators, replaced by local ones with the same identity (spec 9.5.1)."""
    mods = {(m[0], m[1], m[3], m[4]): m for m in i_global.mods}
    mods.update({(m[0], m[1], m[3], m[4]): m for m in i_zone.mods})
    return tuple(mods.values())
