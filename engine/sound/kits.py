"""Drum kits: which soundfont and preset plays a beat, and which kit `kit=auto` picks.

The kits live in `soundfonts/kits.json`; `scripts/build_kits.py` makes their `.sf2` files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.music.drums import N_CLASSES

KITS_FILE = "kits.json"
"""The kit list inside the soundfont folder."""
FALLBACK_KIT = "acoustic"
"""The kit `auto` picks for a style no kit claims."""


@dataclass(frozen=True)
class Kit:
    """One playable drum kit.

    Attributes:
        name: what users type (`kit=808`).
        soundfont: the .sf2 file (it may be missing; the renderer then raises RenderError).
        bank: MIDI bank of the preset (128 for percussion).
        preset: MIDI program of the preset.
        pitches: output pitch of each drum class, in engine.music.drums.CLASSES order (9 entries).
        description: one line for `!kits`.
        styles: the styles for which `kit=auto` picks this kit.
    """

    name: str
    soundfont: Path
    bank: int
    preset: int
    pitches: tuple[int, ...]
    description: str
    styles: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.pitches) != N_CLASSES:
            raise ValueError(f"kit {self.name}: {len(self.pitches)} pitches, need {N_CLASSES}")


def load_kits(directory: Path) -> dict[str, Kit]:
    """Read the kit list of a soundfont folder.

    Args:
        directory: the folder holding kits.json and the .sf2 files it names.

    Returns:
        Kits by name, in file order. A missing .sf2 is not checked here: rendering with that
        kit raises RenderError, while MIDI and pictures still work.

    Raises:
        FileNotFoundError: kits.json is missing.
        ValueError: kits.json is malformed.
    """
    entries = json.loads((Path(directory) / KITS_FILE).read_text(encoding="utf-8"))["kits"]
    kits = [_kit(entry, Path(directory)) for entry in entries]
    return {kit.name: kit for kit in kits}


def _kit(entry: dict, directory: Path) -> Kit:
    try:
        return Kit(
            name=str(entry["name"]).lower(),
            soundfont=directory / entry["soundfont"],
            bank=int(entry["bank"]),
            preset=int(entry["preset"]),
            pitches=tuple(int(p) for p in entry["pitches"]),
            description=str(entry.get("description", "")),
            styles=tuple(str(s).lower() for s in entry.get("styles", ())),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"bad kit entry in {KITS_FILE}: {entry!r}") from error


def resolve_kit(kits: dict[str, Kit], name: str, style: str) -> Kit:
    """Return the kit a request names, or for "auto" the kit that suits its style.

    Args:
        kits: the loaded kits.
        name: a kit name, or "auto".
        style: the request's style ("any" when none was asked for).

    Raises:
        KeyError: `name` is not a kit (requests are validated before this).
    """
    if name != "auto":
        return kits[name]
    for kit in kits.values():
        if style in kit.styles:
            return kit
    return kits.get(FALLBACK_KIT) or next(iter(kits.values()))
