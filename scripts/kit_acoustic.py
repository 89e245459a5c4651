"""The `acoustic` kit: the Standard drum kit of FluidR3_GM, cut down to the pitches we play.

FluidR3_GM (Frank Wen, MIT licence) ships in Debian's fluid-soundfont-gm package. We keep the
zones of our nine output pitches with all their velocity layers, keep the left microphone of
each stereo pair (one voice per hit halves the render time; the pairs are near-identical
except for the hats), pan each drum where it sits in a kit, and trim the silence before and
after each sound.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dsp import trim_head, trim_tail
from sf2_format import DRUM_BANK, GEN_PAN, Sample, Zone
from sf2_read import SoundFontFile, flatten_preset

FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
STANDARD_KIT = 0
"""Program number of FluidR3's Standard kit in the percussion bank."""
TAIL_FLOOR_DB = -50.0
"""Sample tails quieter than this, relative to the peak, are cut: masked in any mix, and a
closed hat's voice then lasts 0.33 s instead of 0.6 s, which is most of the render time."""
PANS = (0, 0, -250, -250, 250, 50, -150, -300, 300)
"""Pan per class, 0.1% units (-500 left, 500 right), drummer's view: hats and crash left,
floor tom and ride right."""
HEAD_FLOOR_DB = -50.0
"""Leading silence quieter than this is cut (the kick and snare start 2 ms late)."""


def build(keys: tuple[int, ...], source: Path = FLUID_R3) -> tuple[list[Sample], list[Zone]]:
    """Return the samples and zones of the acoustic kit for `keys`."""
    zones, samples = flatten_preset(SoundFontFile(source), DRUM_BANK, STANDARD_KIT, list(keys))
    pans = dict(zip(keys, PANS, strict=True))
    zones = [_panned(z, pans[z.keys[0]]) for z in zones if _pan(z) <= 0]
    samples, zones = _drop_unused(samples, zones)
    samples = [replace(s, pcm=_trimmed(s.pcm)) for s in samples]
    return [_fit_loop(s) for s in samples], zones


def _trimmed(pcm):
    return trim_tail(trim_head(pcm, HEAD_FLOOR_DB), TAIL_FLOOR_DB)


def _pan(zone: Zone) -> int:
    return dict(zone.gens).get(GEN_PAN, 0)


def _panned(zone: Zone, pan: int) -> Zone:
    """The left-microphone zone, moved to where its drum sits."""
    gens = tuple((op, v) for op, v in zone.gens if op != GEN_PAN)
    return replace(zone, gens=((GEN_PAN, pan), *gens))


def _drop_unused(samples: list[Sample], zones: list[Zone]) -> tuple[list[Sample], list[Zone]]:
    used = sorted({z.sample for z in zones})
    index = {old: new for new, old in enumerate(used)}
    return [samples[i] for i in used], [replace(z, sample=index[z.sample]) for z in zones]


def _fit_loop(sample: Sample) -> Sample:
    """Keep the (unused) loop points inside a trimmed sample, as the spec asks."""
    return replace(sample, loop=(0, len(sample.pcm)))
