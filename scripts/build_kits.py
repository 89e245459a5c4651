"""Rebuild the kits' soundfonts in soundfonts/ from their recipes.

    python scripts/build_kits.py [--check]

`808` is synthesised here (scripts/kit_808.py); `acoustic` is cut from FluidR3_GM, so the
Debian package fluid-soundfont-gm must be installed. Which key plays each class comes from
soundfonts/kits.json. The built .sf2 files are committed; CI never runs this.
After writing, every kit is loaded in FluidSynth and every pitch must make sound.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import fluidsynth
import kit_808
import kit_acoustic
import numpy as np
from sf2_format import DRUM_BANK
from sf2_write import write_drum_soundfont

SOUNDFONT_DIR = Path(__file__).resolve().parent.parent / "soundfonts"
RECIPES = {
    "808": (kit_808.build, "BeatBot 808", {
        "ICOP": "CC0 1.0: no rights reserved (synthesised by BeatBot)",
        "ICMT": "TR-808-style drums synthesised in numpy by scripts/kit_808.py",
    }),
    "acoustic": (kit_acoustic.build, "BeatBot Acoustic", {
        "ICOP": "MIT licence, Copyright (c) 2000-2002, 2008 Frank Wen",
        "ICMT": "Standard kit samples of FluidR3_GM by Frank Wen, cut down by "
                "scripts/kit_acoustic.py",
    }),
}
"""Builder, soundfont name and INFO chunks of each kit."""
SOUND_RMS = 1e-3
"""Minimum RMS (full scale 1.0) of one hit at velocity 100 for a pitch to count as sounding."""


def build(kit: dict, directory: Path) -> Path:
    """Build one kit's soundfont; return its path."""
    builder, name, info = RECIPES[kit["name"]]
    samples, zones = builder(tuple(kit["pitches"]))
    path = directory / kit["soundfont"]
    info = {**info, "ISFT": "BeatBot scripts/build_kits.py"}
    write_drum_soundfont(path, name, samples, zones, info, kit["preset"])
    return path


def check(path: Path, preset: int, pitches: list[int]) -> list[int]:
    """Return the pitches that make no sound when the soundfont is played in FluidSynth."""
    silent = []
    for pitch in pitches:
        synth = fluidsynth.Synth(samplerate=44100.0)
        sfid = synth.sfload(str(path))
        if sfid == -1:
            raise SystemExit(f"FluidSynth cannot load {path}")
        synth.program_select(9, sfid, DRUM_BANK, preset)
        synth.noteon(9, pitch, 100)
        audio = synth.get_samples(22050).astype(np.float64) / 32768
        synth.delete()
        if np.sqrt(np.mean(audio**2)) < SOUND_RMS:
            silent.append(pitch)
    return silent


def main(argv: list[str] | None = None) -> int:
    """Build (unless --check) and check every kit in kits.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the built files")
    args = parser.parse_args(argv)
    kits = json.loads((SOUNDFONT_DIR / "kits.json").read_text())["kits"]
    failed = False
    for kit in kits:
        path = SOUNDFONT_DIR / kit["soundfont"] if args.check else build(kit, SOUNDFONT_DIR)
        silent = check(path, kit["preset"], kit["pitches"])
        failed |= bool(silent)
        size_kb = path.stat().st_size / 1024
        print(f"{kit['name']}: {path.name} {size_kb:.0f} KB, silent pitches: {silent or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
