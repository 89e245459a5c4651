"""Write a SoundFont 2 file holding one percussion preset made of one instrument.

The layout follows the SF2 2.01 specification: a RIFF `sfbk` form with INFO, sdta (16-bit
sample points) and pdta (preset, instrument and sample headers) lists.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from sf2_format import (
    BAG,
    DRUM_BANK,
    GEN,
    GEN_INSTRUMENT,
    GEN_KEY_RANGE,
    GEN_SAMPLE_ID,
    GEN_VEL_RANGE,
    INST,
    MOD,
    PHDR,
    SAMPLE_PADDING,
    SHDR,
    Sample,
    Zone,
    encode_name,
)

SF2_VERSION = (2, 1)
SOUND_ENGINE = "EMU8000"


def write_drum_soundfont(path: Path, name: str, samples: list[Sample], zones: list[Zone],
                         info: dict[str, str], preset: int = 0) -> None:
    """Write `zones` as the only instrument of percussion preset `DRUM_BANK:preset`.

    Args:
        path: where to write the .sf2.
        name: soundfont, preset and instrument name.
        samples: the sample points, indexed by `Zone.sample`.
        zones: instrument zones, each with its key and velocity range.
        info: extra INFO chunks by id, e.g. {"ICOP": "CC0", "ICMT": "..."}.
        preset: MIDI program number of the preset.
    """
    smpl, headers = _sample_data(samples)
    body = b"sfbk" + _list(b"INFO", _info(name, info)) + _list(b"sdta", _chunk(b"smpl", smpl))
    body += _list(b"pdta", _preset(name, preset) + _instrument(name, zones) + headers)
    Path(path).write_bytes(_chunk(b"RIFF", body))


def _chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def _list(kind: bytes, chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + chunks)


def _text(value: str) -> bytes:
    """A zero-terminated string padded to an even length, as INFO strings must be."""
    raw = value.encode("ascii") + b"\0"
    return raw + b"\0" * (len(raw) & 1)


def _info(name: str, info: dict[str, str]) -> bytes:
    chunks = _chunk(b"ifil", struct.pack("<HH", *SF2_VERSION))
    chunks += _chunk(b"isng", _text(SOUND_ENGINE)) + _chunk(b"INAM", _text(name))
    for cid, value in info.items():
        chunks += _chunk(cid.encode("ascii"), _text(value))
    return chunks


def _sample_data(samples: list[Sample]) -> tuple[bytes, bytes]:
    """Return the smpl chunk body and the shdr chunk."""
    parts, records, start = [], [], 0
    for sample in samples:
        end = start + len(sample.pcm)
        loop = sample.loop or (0, len(sample.pcm))
        records.append(SHDR.pack(encode_name(sample.name), start, end, start + loop[0],
                                 start + loop[1], sample.rate, sample.root_key,
                                 sample.correction, sample.link, sample.kind))
        parts += [sample.pcm.astype("<i2"), np.zeros(SAMPLE_PADDING, "<i2")]
        start = end + SAMPLE_PADDING
    records.append(SHDR.pack(encode_name("EOS"), 0, 0, 0, 0, 0, 0, 0, 0, 0))
    return np.concatenate(parts).tobytes(), _chunk(b"shdr", b"".join(records))


def _preset(name: str, preset: int) -> bytes:
    phdr = PHDR.pack(encode_name(name), preset, DRUM_BANK, 0, 0, 0, 0)
    phdr += PHDR.pack(encode_name("EOP"), 0, 0, 1, 0, 0, 0)
    pbag = BAG.pack(0, 0) + BAG.pack(1, 0)
    pgen = GEN.pack(GEN_INSTRUMENT, 0) + GEN.pack(0, 0)
    return (_chunk(b"phdr", phdr) + _chunk(b"pbag", pbag) + _chunk(b"pmod", MOD.pack(0, 0, 0, 0, 0))
            + _chunk(b"pgen", pgen))


def _instrument(name: str, zones: list[Zone]) -> bytes:
    bags, gens, mods = [], [], []
    for zone in zones:
        bags.append(BAG.pack(len(gens), len(mods)))
        gens += _zone_gens(zone)
        mods += [MOD.pack(*mod) for mod in zone.mods]
    bags.append(BAG.pack(len(gens), len(mods)))
    inst = INST.pack(encode_name(name), 0) + INST.pack(encode_name("EOI"), len(zones))
    return (_chunk(b"inst", inst) + _chunk(b"ibag", b"".join(bags))
            + _chunk(b"imod", b"".join(mods) + MOD.pack(0, 0, 0, 0, 0))
            + _chunk(b"igen", b"".join(gens) + GEN.pack(0, 0)))


def _zone_gens(zone: Zone) -> list[bytes]:
    """KeyRange first, velRange second, sampleID last: the order the spec requires."""
    out = [GEN.pack(GEN_KEY_RANGE, zone.keys[0] | zone.keys[1] << 8)]
    if zone.velocities != (0, 127):
        out.append(GEN.pack(GEN_VEL_RANGE, zone.velocities[0] | zone.velocities[1] << 8))
    out += [GEN.pack(op, amount & 0xFFFF) for op, amount in zone.gens]
    return [*out, GEN.pack(GEN_SAMPLE_ID, zone.sample)]
