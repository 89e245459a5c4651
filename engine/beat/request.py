"""The beat request: its fields, their limits and defaults, and validation."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from engine.beat.fields import Field, Name, Names, Number, OneOf, YesNo
from engine.errors import BadInput, BadValue, TooLong
from engine.music.drums import ANY_STYLE, DEFAULT_BARS, DEFAULT_BPM, DRUM_PARTS

BPM_RANGE = (40.0, 300.0)
BARS_RANGE = (1, 64)
TEMPERATURE_RANGE = (0.1, 2.0)
SWING_RANGE = (0.0, 75.0)
GROOVE_RANGE = (0.0, 1.0)
HUMANIZE_RANGE = (0.0, 1.0)
KNOB_RANGE = (0.0, 1.0)
"""`busy` and `loud`: 0 the style's sparsest (softest) playing, 1 its busiest (hardest)."""
SEED_RANGE = (0, 2**32 - 1)
FILL_EVERY = (0, 2, 4, 8)
AUDIO_FORMATS = ("mp3", "ogg", "wav")
AUTO_KIT = "auto"
PRIMER_MAX_BYTES = 256 * 1024
EDIT_ACTIONS = ("vary", "extend", "new")
"""What a button press can do to a beat: vary it, extend it by EXTEND_BARS bars, or write
one part of it new around the parts it keeps (`new:hats:7`)."""
PART_ACTIONS = ("new",)
"""Edit actions that name a part (DRUM_PARTS) between the action and the seed."""
PARTS = tuple(DRUM_PARTS)
"""The part names users type (`mute=toms,cymbals`, `keep=kick,snare`, `new:hats:7`)."""
PARTS_TEXT = ", ".join(PARTS)
EXTEND_BARS = 4
"""Bars one Extend adds."""
MAX_EDITS = 32
"""Most edits one recipe may hold (each costs one more generation)."""
EDITS_EXAMPLE = "vary:7,extend:9,new:hats:5"
_EDIT = re.compile(r"([a-z]+):(?:([a-z]+):)?([0-9]{1,10})")
"""One edit: `vary:7`, or with a part, `new:hats:7`."""


@dataclass(frozen=True)
class Edit:
    """One step of a beat's lineage: vary the beat so far, extend it, or write one part of
    it new around the others, with its own seed.

    Attributes:
        action: `vary`, `extend` or `new` (see EDIT_ACTIONS).
        seed: the seed of that step's generation.
        part: for `new`, the part written new (a DRUM_PARTS name); else empty.
    """

    action: str
    seed: int
    part: str = ""

    def text(self) -> str:
        """As typed in a replay line: `vary:7`, `new:hats:7`."""
        if self.part:
            return f"{self.action}:{self.part}:{self.seed}"
        return f"{self.action}:{self.seed}"


class Edits:
    """The `then` key: a lineage of edits, `vary:7,extend:9,new:hats:5` (checked against the
    length by `check_edits`)."""

    allowed = "vary:S, extend:S, new:PART:S"
    """Short, for the help table and /beat (S a seed)."""
    words = f"edits like {EDITS_EXAMPLE}"
    """What the error line says is allowed."""

    def read(self, key: str, text: str) -> tuple[Edit, ...]:
        """Read `vary:7,extend:9,new:hats:5` into edits.

        Raises:
            BadValue: the text is not comma-separated `action:seed` or `action:part:seed`.
        """
        if not text:
            return ()
        edits = []
        for part in text.lower().split(","):
            found = _EDIT.fullmatch(part)
            if found is None:
                raise BadValue(key, text, self.words)
            action, drum_part, seed = found.groups()
            edits.append(Edit(action, int(seed), drum_part or ""))
        return tuple(edits)

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> object:
        """The edits as given (their actions, seeds and length: `check_edits`)."""
        return value


FIELDS: tuple[Field, ...] = (
    Field("bpm", "bpm", DEFAULT_BPM, Number(*BPM_RANGE), "tempo in beats per minute",
          "bpm=85", ("tempo",)),
    Field("bars", "bars", DEFAULT_BARS, Number(*BARS_RANGE, whole=True), "length in 4/4 bars",
          "bars=8", ("length",)),
    Field("temp", "temperature", 1.0, Number(*TEMPERATURE_RANGE),
          "wildness: low is safe, high is adventurous", "temp=1.0", ("temperature", "t")),
    Field("style", "style", ANY_STYLE, Name(ANY_STYLE, "a style the model plays, or any"),
          "the style to play", "style=trap", ("genre",)),
    Field("kit", "kit", AUTO_KIT, Name(AUTO_KIT, "an installed kit, or auto"),
          "drum kit (auto picks one for the style)", "kit=808", ("drums",)),
    Field("seed", "seed", None, Number(*SEED_RANGE, whole=True),
          "replay a beat: same seed, same beat", "seed=7", unset="random"),
    Field("fills", "fills", 0, OneOf(FILL_EVERY), "a fill in the last bar of every N bars",
          "fills=4", ("fill",)),
    Field("swing", "swing", 0.0, Number(*SWING_RANGE, unit="%"),
          "delay of the off-beat 16ths, % of a 16th", "swing=30"),
    Field("groove", "groove", 1.0, Number(*GROOVE_RANGE),
          "timing feel: 0 on the grid, 1 the drummer's timing the model learned",
          "groove=0.5", ("feel",)),
    Field("humanize", "humanize", 0.0, Number(*HUMANIZE_RANGE),
          "looser than the learned groove: its timing offsets grow, up to twice (no jitter)",
          "humanize=0.4", ("human",)),
    Field("format", "audio_format", "mp3", OneOf(AUDIO_FORMATS), "audio file type",
          "format=ogg", ("audio",)),
    Field("then", "then", (), Edits(),
          "what Variation, Extend and New ... did (replay lines carry it)",
          f"then={EDITS_EXAMPLE}"),
    Field("mute", "mute", (), Names(PARTS),
          "leave parts out of the picture, MIDI and audio (unmute brings them back)",
          "mute=toms,cymbals"),
    Field("keep", "keep", (), Names(PARTS),
          "with a primer: keep its parts exactly and write the other drums around them",
          "keep=kick,snare"),
    Field("stems", "stems", False, YesNo(),
          "also a zip: one audio file per drum and a MIDI track per drum", "stems=yes"),
    Field("busy", "busy", None, Number(*KNOB_RANGE),
          "how busy: 0 the style's sparsest, 1 its busiest (unset: as the style plays)",
          "busy=0.8", ("complexity",), unset="style's"),
    Field("loud", "loud", None, Number(*KNOB_RANGE),
          "how hard: 0 the style's softest, 1 its hardest (unset: as the style plays)",
          "loud=0.3", ("loudness",), unset="style's"),
    Field("follow", "follow_attached", False, YesNo(),
          "drums for your material: follow the rhythm of the attached MIDI file (any "
          "instrument), for its length", "follow=yes"),
)
"""Every key a user can type, in the order help lists them: the one declaration of each."""
FIELD: dict[str, Field] = {field.key: field for field in FIELDS}
"""Each field by its key."""
DEFAULTS: dict[str, Any] = {field.attr: field.default for field in FIELDS}
"""BeatRequest's defaults, by attribute."""


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
        then: the edits made after the first generation, in order (Variation, Extend and
            New ...).
        mute: parts (DRUM_PARTS names) left out of the picture, the MIDI and the audio;
            the beat is generated as without them, so unmuting brings back what was there.
        keep: parts of the primer kept exactly through its whole length; the model writes
            the other drums around them (needs a primer).
        stems: also make the stems: one audio file per drum that plays and a MIDI file with
            a track per drum, zipped.
        busy: 0 (the style's sparsest playing) to 1 (its busiest); None as the style plays.
        loud: 0 (the style's softest playing) to 1 (its hardest); None as the style plays.
        follow_attached: `follow=yes`: the attached file (given as `primer`) is the
            material to follow, not a primer; `validated` moves it to `follow`.
        follow: MIDI file bytes of any instrument whose rhythm the drums follow, for the
            file's length (Tap2Drum), or None. Not with a primer.
    """

    bpm: float = DEFAULTS["bpm"]
    bars: int = DEFAULTS["bars"]
    temperature: float = DEFAULTS["temperature"]
    style: str = DEFAULTS["style"]
    kit: str = DEFAULTS["kit"]
    seed: int | None = DEFAULTS["seed"]
    fills: int = DEFAULTS["fills"]
    swing: float = DEFAULTS["swing"]
    groove: float = DEFAULTS["groove"]
    humanize: float = DEFAULTS["humanize"]
    audio_format: str = DEFAULTS["audio_format"]
    primer: bytes | None = None
    then: tuple[Edit, ...] = DEFAULTS["then"]
    mute: tuple[str, ...] = DEFAULTS["mute"]
    keep: tuple[str, ...] = DEFAULTS["keep"]
    stems: bool = DEFAULTS["stems"]
    busy: float | None = DEFAULTS["busy"]
    loud: float | None = DEFAULTS["loud"]
    follow_attached: bool = DEFAULTS["follow_attached"]
    follow: bytes | None = None
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
            BadInput: every part muted, or `keep` without a primer or of every part;
                `follow=yes` without a file, or a primer and material to follow together.
        """
        known = {"style": styles, "kit": kits}
        values = {field.attr: _checked(field, getattr(self, field.attr), known)
                  for field in FIELDS if field.attr != "seed"}
        seed = self.seed
        if seed is None:
            seed = secrets.randbelow(SEED_RANGE[1] + 1)
        values["seed"] = FIELD["seed"].kind.check("seed", seed)
        values.update(_material(self.primer, self.follow, values["follow_attached"]))
        if values["primer"] is not None:
            check_primer_size(len(values["primer"]))
        if values["follow"] is not None:
            check_primer_size(len(values["follow"]), "follow")
        check_edits(self.then, values["bars"])
        check_parts(values["mute"], values["keep"], values["primer"] is not None)
        checked = replace(self, **values)
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
        for key in ("mute", "keep", "stems"):
            out[key] = FIELD[key].kind.text(out[key])
        out["follow"] = YesNo.text(self.follow is not None or self.follow_attached)
        out["primer_bytes"] = len(self.primer) if self.primer else 0
        out["follow_bytes"] = len(self.follow) if self.follow else 0
        return out


def _checked(field: Field, value: object, known: dict[str, tuple[str, ...]]) -> object:
    """One field's value checked; a field whose default is None may stay None (unset)."""
    if value is None and field.default is None:
        return None
    return field.kind.check(field.key, value, known.get(field.key, ()))


def _material(primer: bytes | None, follow: bytes | None, attached: bool) -> dict:
    """Which file is the primer and which the material to follow: with `follow=yes`, the
    attached file (given as the primer) is the material.

    Raises:
        BadInput: `follow=yes` with no file, or a primer and material together.
    """
    if attached and follow is None:
        if primer is None:
            raise BadInput("{} follows the rhythm of an attached MIDI file: attach one (a "
                           "bass line, a riff, a clap track).", "follow=yes")
        primer, follow = None, primer
    if primer is not None and follow is not None:
        raise BadInput("A beat follows material from its first bar, so it can't continue a "
                       "primer too: attach one file, with {} to follow it.", "follow=yes")
    return {"primer": primer, "follow": follow, "follow_attached": follow is not None}


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
        _check_part(edit)
        try:
            FIELD["seed"].kind.check("seed", edit.seed)
        except BadValue as error:  # the user typed `then`, not `seed`
            raise BadValue("then", edit.text(), f"edits like {EDITS_EXAMPLE}, each seed "
                                                f"{error.allowed}") from None
        if edit.action == "extend":
            if total + EXTEND_BARS > BARS_RANGE[1]:
                raise TooLong(total, EXTEND_BARS, BARS_RANGE[1])
            total += EXTEND_BARS


def _check_part(edit: Edit) -> None:
    """A `new` edit names a part; no other edit does.

    Raises:
        BadValue: an unknown part (listing the parts), or a part where none belongs.
    """
    if edit.action in PART_ACTIONS and edit.part not in DRUM_PARTS:
        raise BadValue("then", f"{edit.action}:{edit.part}", f"a part after {edit.action}: "
                       f"{PARTS_TEXT} (like {edit.action}:hats:{edit.seed})")
    if edit.action not in PART_ACTIONS and edit.part:
        raise BadValue("then", edit.text(), "edits like " + EDITS_EXAMPLE)


def check_parts(mute: tuple[str, ...], keep: tuple[str, ...], has_primer: bool) -> None:
    """Refuse part choices that leave nothing to hear or nothing to write.

    Raises:
        BadInput: every part muted; `keep` without a primer; every part kept.
    """
    if len(mute) == len(PARTS):
        raise BadInput("Muting every part leaves nothing to hear: mute at most four of {}, "
                       "or take the MIDI file alone.", PARTS_TEXT)
    if keep and not has_primer:
        raise BadInput("{} keeps drums of a primer: attach a MIDI file to keep its parts, or "
                       "redo one part of a beat with {}.", "keep", "then=new:hats:7")
    if len(keep) == len(PARTS):
        raise BadInput("Keeping every part leaves nothing to write: keep at most four of {}, "
                       "or send the primer without {} to continue it.", PARTS_TEXT, "keep")


def check_primer_size(size: int, key: str = "primer") -> None:
    """Refuse a primer (or material to follow, `key`) larger than PRIMER_MAX_BYTES.

    Raises:
        BadValue: naming its size and the limit, in KB.
    """
    if size > PRIMER_MAX_BYTES:
        raise BadValue(key, f"{math.ceil(size / 1024)} KB",
                       f"a MIDI file of at most {PRIMER_MAX_BYTES // 1024} KB")


def field_for(key: str) -> Field | None:
    """Find a field by its key or an alias, ignoring case."""
    key = key.lower()
    return FIELD.get(key) or next((f for f in FIELDS if key in f.aliases), None)
