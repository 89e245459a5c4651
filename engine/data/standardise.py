"""Map single-part drum loops onto General MIDI drum pitches, by the part their file name gives.

Sample packs (the TrapGenerator seed project among them) ship loops that hold one drum part,
named after it (`01_Kick.mid`, `808 kick.mid`, `open hat 2.mid`, `tom_hi.mid`), on whatever
pitch and channel the author liked. The grid reader only knows General MIDI drums on channel 10,
so each such file is rewritten: every note goes to the GM pitch of its part on channel 10, with
timing, velocities, tempo, meter and resolution untouched.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

import mido

from engine.errors import BadPrimer, EngineError
from engine.music.drums import (
    CLOSED_HAT,
    CRASH,
    DRUM_CHANNEL,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HAT,
    OUTPUT_PITCHES,
    RIDE,
    SNARE,
    class_of,
)
from engine.music.midi_io import open_midi

MIDI_SUFFIXES = (".mid", ".midi")

PART_WORDS: dict[str, str] = {
    **dict.fromkeys(("kick", "kik", "kck", "bd", "bassdrum"), "kick"),
    **dict.fromkeys(("snare", "snr", "sd", "clap", "clp", "cp", "rim", "rimshot"), "snare"),
    **dict.fromkeys(("hat", "hh", "hihat", "chh", "oh", "ohh", "openhat"), "hat"),
    **dict.fromkeys(("tom", "floortom"), "tom"),
    "crash": "crash",
    "ride": "ride",
}
"""Words that name a part outright (after lower-casing and dropping a plural `s`)."""
FALLBACK_WORDS: dict[str, str] = {"808": "kick", "cymbal": "crash", "cym": "crash"}
"""Words that name a part only when no word of PART_WORDS does (`808 snare` is a snare)."""
OPEN_WORDS = frozenset({"open", "oh", "ohh", "openhat"})
LOW_TOM_WORDS = frozenset({"low", "lo", "floor", "floortom"})
HIGH_TOM_WORDS = frozenset({"hi", "high"})
MID_TOM_WORDS = frozenset({"mid", "middle", "med"})
FIXED_PART_CLASS = {"kick": KICK, "snare": SNARE, "crash": CRASH, "ride": RIDE}

FAMILIES: dict[int, frozenset[int]] = {
    **dict.fromkeys((CLOSED_HAT, OPEN_HAT), frozenset({CLOSED_HAT, OPEN_HAT})),
    **dict.fromkeys((LOW_TOM, MID_TOM, HIGH_TOM), frozenset({LOW_TOM, MID_TOM, HIGH_TOM})),
}
"""Classes that share one loop: a hat loop already on GM hat pitches keeps its open and closed
hats apart (and a tom loop its toms), instead of flattening them onto the named part."""

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


class UnreadableLoop(EngineError):
    """A loop file is not usable MIDI (garbage, type 2, or no notes)."""


@dataclass
class StandardiseReport:
    """What `standardise_folder` did.

    Attributes:
        mapped: files written to the destination.
        unknown: files skipped because no drum part could be read from their name.
        unreadable: files skipped because they are not usable MIDI.
    """

    mapped: int = 0
    unknown: int = 0
    unreadable: int = 0

    def __str__(self) -> str:
        return (
            f"mapped {self.mapped} loops, skipped {self.unknown} with no drum part in the name, "
            f"{self.unreadable} unreadable"
        )


def part_of(filename: str) -> int | None:
    """Return the drum class a loop's file name names.

    Args:
        filename: a file name or path (`01_Kick.mid`, `open hat 2.mid`, `tom_hi.mid`).

    Returns:
        The class (engine.music.drums), or None when the name names no part or more than one.
    """
    words = _words(PurePath(filename).stem)
    families = {PART_WORDS[w] for w in words if w in PART_WORDS}
    if not families:
        families = {FALLBACK_WORDS[w] for w in words if w in FALLBACK_WORDS}
    if len(families) != 1:
        return None
    return _class_in_family(families.pop(), words)


def standardise_file(data: bytes, part: int) -> bytes:
    """Move every note of a single-part loop to the GM pitch of `part` on channel 10.

    Timing, velocities, tempo, meter, resolution and file type are kept. Other channel messages
    (program changes, controllers, bends) are dropped, their time carried to the next event:
    a melodic program change moved to channel 10 would pick a drum kit.

    Args:
        data: a type-0 or type-1 MIDI file.
        part: the drum class every note becomes (see FAMILIES for the one exception).

    Returns:
        The rewritten MIDI file.

    Raises:
        UnreadableLoop: the data is not a type-0/1 MIDI file or holds no notes.
    """
    midi = _open(data)
    midi.tracks = [_standardise_track(track, part) for track in midi.tracks]
    if not any(msg.type == "note_on" for track in midi.tracks for msg in track):
        raise UnreadableLoop("the loop holds no notes")
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def standardise_folder(src: Path, dst: Path) -> StandardiseReport:
    """Standardise every MIDI loop under `src` into the same relative path under `dst`.

    The part comes from the file name, or else from the nearest folder that names one
    (`Kicks/loop 1.mid`). Bad files are counted, never raised.

    Args:
        src: folder searched recursively for .mid/.midi files.
        dst: output folder, created as needed.

    Returns:
        The counts of mapped, unknown-name and unreadable files.
    """
    report = StandardiseReport()
    for path in _midi_files(src):
        relative = path.relative_to(src)
        part = _part_of_path(relative)
        if part is None:
            report.unknown += 1
            continue
        try:
            data = standardise_file(path.read_bytes(), part)
        except (OSError, UnreadableLoop):
            report.unreadable += 1
            continue
        target = dst / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        report.mapped += 1
    return report


def _words(text: str) -> list[str]:
    """Split a name into lower-case words at separators, case changes and digits."""
    words = [_singular(w.lower()) for w in _WORD.findall(text)]
    joined = [a + b for a, b in zip(words, words[1:], strict=False)]
    return words + [w for w in joined if w in ("bassdrum", "hihat", "openhat", "floortom")]


def _singular(word: str) -> str:
    """Drop a plural ending from a part word (`kicks`, `hats`, `crashes`)."""
    for ending in ("es", "s"):
        if word.endswith(ending) and word[: -len(ending)] in PART_WORDS:
            return word[: -len(ending)]
    return word


def _class_in_family(family: str, words: list[str]) -> int:
    """Pick the class within a part family from the qualifying words (open, low, high...)."""
    if family == "hat":
        return OPEN_HAT if OPEN_WORDS.intersection(words) else CLOSED_HAT
    if family == "tom":
        if LOW_TOM_WORDS.intersection(words):
            return LOW_TOM
        if HIGH_TOM_WORDS.intersection(words) and not MID_TOM_WORDS.intersection(words):
            return HIGH_TOM
        return MID_TOM
    return FIXED_PART_CLASS[family]


def _part_of_path(relative: Path) -> int | None:
    """Return the part the file name names, else the one the nearest folder names."""
    for name in (relative.name, *reversed(relative.parent.parts)):
        part = part_of(name)
        if part is not None:
            return part
    return None


def _midi_files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


def _open(data: bytes) -> mido.MidiFile:
    try:
        return open_midi(data)
    except BadPrimer as error:
        raise UnreadableLoop(str(error)) from None


def _standardise_track(track: mido.MidiTrack, part: int) -> mido.MidiTrack:
    """Rewrite one track's notes to `part` on channel 10, keeping every event's absolute time."""
    out, carried = mido.MidiTrack(), 0
    for msg in track:
        if msg.type in ("note_on", "note_off"):
            pitch = _target_pitch(msg.note, part)
            out.append(msg.copy(note=pitch, channel=DRUM_CHANNEL, time=msg.time + carried))
        elif msg.is_meta or msg.type == "sysex":
            out.append(msg.copy(time=msg.time + carried))
        else:
            carried += msg.time
            continue
        carried = 0
    return out


def _target_pitch(pitch: int, part: int) -> int:
    """The GM pitch a note of a `part` loop becomes (see FAMILIES)."""
    cls = class_of(pitch)
    if cls is not None and cls in FAMILIES.get(part, ()):
        return OUTPUT_PITCHES[cls]
    return OUTPUT_PITCHES[part]
