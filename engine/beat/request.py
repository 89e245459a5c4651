"""The beat request: its fields, their limits and defaults, and validation."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field, fields, replace

from engine.errors import BadValue, TooLong
from engine.music.drums import ANY_STYLE, DEFAULT_BARS, DEFAULT_BPM

BPM_RANGE = (40.0, 300.0)
BARS_RANGE = (1, 64)
TEMPERATURE_RANGE = (0.1, 2.0)
SWING_RANGE = (0.0, 75.0)
GROOVE_RANGE = (0.0, 1.0)
HUMANIZE_RANGE = (0.0, 1.0)
SEED_RANGE = (0, 2**32 - 1)
FILL_EVERY = (0, 2, 4, 8)
AUDIO_FORMATS = ("mp3", "ogg", "wav")
AUTO_KIT = "auto"
PRIMER_MAX_BYTES = 256 * 1024
EDIT_ACTIONS = ("vary", "extend")
"""What a button press can do to a beat: vary it, or extend it by EXTEND_BARS bars."""
EXTEND_BARS = 4
"""Bars one Extend adds."""
MAX_EDITS = 32
"""Most edits one recipe may hold (each costs one more generation)."""
EDITS_EXAMPLE = "vary:7,extend:9"
_LOOSE = re.compile(r"[\s_.\-]+")
"""What a name may hold that matching ignores (`hip-hop`, `Hip Hop` and `hiphop` match)."""


@dataclass(frozen=True)
class Edit:
    """One step of a beat's lineage: vary the beat so far, or extend it, with its own seed.

    Attributes:
        action: `vary` or `extend` (see EDIT_ACTIONS).
        seed: the seed of that step's generation.
    """

    action: str
    seed: int

    def text(self) -> str:
        """As typed in a replay line: `vary:7`."""
        return f"{self.action}:{self.seed}"


@dataclass(frozen=True)
class Field:
    """How one request key is typed, limited and explained (used by the CLI, bot and help)."""

    key: str
    attr: str
    default: object
    allowed: str
    help: str
    example: str
    aliases: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("bpm", "bpm", DEFAULT_BPM, "40-300", "tempo in beats per minute", "bpm=85",
          ("tempo",)),
    Field("bars", "bars", DEFAULT_BARS, "1-64", "length in 4/4 bars", "bars=8", ("length",)),
    Field("temp", "temperature", 1.0, "0.1-2.0", "wildness: low is safe, high is adventurous",
          "temp=1.0", ("temperature", "t")),
    Field("style", "style", ANY_STYLE, "a style the model plays, or any", "the style to play",
          "style=trap", ("genre",)),
    Field("kit", "kit", AUTO_KIT, "an installed kit, or auto",
          "drum kit (auto picks one for the style)", "kit=808", ("drums",)),
    Field("seed", "seed", None, "0-4294967295", "replay a beat: same seed, same beat",
          "seed=7"),
    Field("fills", "fills", 0, "0, 2, 4 or 8", "a fill in the last bar of every N bars",
          "fills=4", ("fill",)),
    Field("swing", "swing", 0.0, "0-75 (%)", "delay of the off-beat 16ths, % of a 16th",
          "swing=30"),
    Field("groove", "groove", 1.0, "0-1",
          "timing feel: 0 on the grid, 1 the drummer's timing the model learned",
          "groove=0.5", ("feel",)),
    Field("humanize", "humanize", 0.0, "0-1",
          "looser than the learned groove: its timing offsets grow, up to twice (no jitter)",
          "humanize=0.4", ("human",)),
    Field("format", "audio_format", "mp3", "mp3, ogg or wav", "audio file type",
          "format=ogg", ("audio",)),
    Field("then", "then", "", f"edits like {EDITS_EXAMPLE}",
          "what Variation and Extend did (replay lines carry it)", f"then={EDITS_EXAMPLE}"),
)
"""Every key a user can type, in the order help lists them."""


@dataclass(frozen=True)
class BeatRequest:
    """What to make: the recipe of a beat. Build it, then call `validated` (or
    `BeatMaker.make`, which does). The same recipe always makes the same beat.

    Attributes:
        bpm: tempo, beats per minute.
        bars: length in 4/4 bars (new bars, after any primer).
        temperature: sampling temperature.
        style: a model style or "any".
        kit: a kit name or "auto".
        seed: random seed; None picks one, and the result always reports it.
        fills: a fill in the last bar of every `fills` bars (0 for none).
        swing: delay of off-beat 16ths in % of a 16th step (33 is a triplet feel).
        groove: 0 (every hit on the grid) to 1 (the model's learned timing offsets).
        humanize: 0 (the groove as learned) to 1 (its offsets twice as large).
        audio_format: mp3, ogg or wav.
        primer: MIDI file bytes to continue, or None.
        then: the edits made after the first generation, in order (Variation and Extend).
    """

    bpm: float = DEFAULT_BPM
    bars: int = DEFAULT_BARS
    temperature: float = 1.0
    style: str = ANY_STYLE
    kit: str = AUTO_KIT
    seed: int | None = None
    fills: int = 0
    swing: float = 0.0
    groove: float = 1.0
    humanize: float = 0.0
    audio_format: str = "mp3"
    primer: bytes | None = None
    then: tuple[Edit, ...] = ()
    valid: bool = field(default=False, init=False, compare=False, repr=False)
    """True on the copy `validated` returns; any `replace` makes a copy that is not."""

    def validated(self, styles: tuple[str, ...], kits: tuple[str, ...]) -> BeatRequest:
        """Check every field and resolve the seed.

        Args:
            styles: the styles the model knows ("any" is always allowed).
            kits: the kit names installed ("auto" is always allowed).

        Returns:
            A copy with lower-cased names and a concrete seed.

        Raises:
            BadValue: naming the first field that is out of range.
            TooLong: the edits extend the beat past BARS_RANGE[1] bars.
        """
        _number("bpm", self.bpm, *BPM_RANGE)
        _whole("bars", self.bars, *BARS_RANGE)
        _number("temp", self.temperature, *TEMPERATURE_RANGE)
        _number("swing", self.swing, *SWING_RANGE)
        _number("groove", self.groove, *GROOVE_RANGE)
        _number("humanize", self.humanize, *HUMANIZE_RANGE)
        if self.fills not in FILL_EVERY or isinstance(self.fills, bool):
            raise BadValue("fills", self.fills, "0, 2, 4 or 8")
        style = _choice("style", self.style, (ANY_STYLE, *styles))
        kit = _choice("kit", self.kit, (AUTO_KIT, *kits))
        audio_format = _choice("format", self.audio_format, AUDIO_FORMATS)
        seed = self.seed
        if seed is None:
            seed = secrets.randbelow(SEED_RANGE[1] + 1)
        _whole("seed", seed, *SEED_RANGE)
        if self.primer is not None:
            check_primer_size(len(self.primer))
        check_edits(self.then, self.bars)
        checked = replace(self, style=style, kit=kit, audio_format=audio_format, seed=seed,
                          bpm=float(self.bpm), temperature=float(self.temperature),
                          swing=float(self.swing), groove=float(self.groove),
                          humanize=float(self.humanize))
        object.__setattr__(checked, "valid", True)
        return checked

    @property
    def new_bars(self) -> int:
        """Bars this recipe writes after any primer: `bars`, plus EXTEND_BARS per extend."""
        return self.bars + EXTEND_BARS * sum(edit.action == "extend" for edit in self.then)

    def params(self) -> dict[str, object]:
        """Return the fields as user keys (primer as its size, edits as text), for logs,
        summaries and replay lines."""
        out: dict[str, object] = {f.key: getattr(self, f.attr) for f in FIELDS}
        out["then"] = ",".join(edit.text() for edit in self.then)
        out["primer_bytes"] = len(self.primer) if self.primer else 0
        return out


def check_edits(edits: tuple[Edit, ...], bars: int, primer_bars: int = 0) -> None:
    """Check a lineage: known actions, seeds in range, and never longer than the limit.

    Args:
        edits: the edits, in order.
        bars: bars of the first generation (after the primer).
        primer_bars: bars of the primer, once it is read.

    Raises:
        BadValue: too many edits, an unknown action or a seed out of range.
        TooLong: an extend would pass BARS_RANGE[1] bars.
    """
    if len(edits) > MAX_EDITS:
        raise BadValue("then", f"{len(edits)} edits", f"at most {MAX_EDITS} edits")
    total = primer_bars + bars
    for edit in edits:
        if edit.action not in EDIT_ACTIONS:
            raise BadValue("then", edit.action, "edits like " + EDITS_EXAMPLE)
        _whole("seed", edit.seed, *SEED_RANGE)
        if edit.action == "extend":
            if total + EXTEND_BARS > BARS_RANGE[1]:
                raise TooLong(total, EXTEND_BARS, BARS_RANGE[1])
            total += EXTEND_BARS


def check_primer_size(size: int) -> None:
    """Refuse a primer larger than PRIMER_MAX_BYTES.

    Raises:
        BadValue: naming its size and the limit, in KB.
    """
    if size > PRIMER_MAX_BYTES:
        raise BadValue("primer", f"{math.ceil(size / 1024)} KB",
                       f"a MIDI file of at most {PRIMER_MAX_BYTES // 1024} KB")


def field_for(key: str) -> Field | None:
    """Find a field by its key or an alias, ignoring case."""
    key = key.lower()
    return next((f for f in FIELDS if key == f.key or key in f.aliases), None)


def request_attrs() -> tuple[str, ...]:
    """Return the attribute names of BeatRequest."""
    return tuple(f.name for f in fields(BeatRequest))


def _number(key: str, value: object, low: float, high: float) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        raise BadValue(key, value, f"a number from {low:g} to {high:g}")


def _whole(key: str, value: object, low: int, high: int) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or not low <= value <= high:
        raise BadValue(key, value, f"a whole number from {low} to {high}")


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    """The allowed name `value` means, ignoring case, outer spaces and `-`, `_`, `.` inside."""
    name = str(value).strip().lower()
    if name in allowed:
        return name
    loose = {_LOOSE.sub("", option): option for option in allowed}
    found = loose.get(_LOOSE.sub("", name))
    if found is None:
        raise BadValue(key, value, "one of " + ", ".join(allowed))
    return found
