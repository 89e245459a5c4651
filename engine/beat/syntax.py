"""Read and write `key=value` text (`bpm=85 bars=8 style=trap`): the one home of that syntax.

The command line uses this directly; the bot runs the same scan before discord.py's
FlagConverter so that both give the same one-line errors, and replay lines come from here.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import replace

from engine.beat.request import FIELDS, BeatRequest, Edit, Field, field_for
from engine.errors import BadInput, BadValue

LOWERCASE_KEYS = ("style", "kit", "format")
"""Keys whose values are names, matched without regard to case."""
ALWAYS_SHOWN = ("bpm", "bars", "style", "kit", "seed")
"""Keys every replay line names, even at their default, so the line stands on its own."""
CLI_COMMAND = "beatbot beat"


def clean(text: str) -> str:
    """Text as the user meant it: invisible characters (zero-width spaces and joiners, soft
    hyphens, byte-order marks) removed, and every kind of space (no-break, thin, ...) a plain
    space."""
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if char.isspace() or kind == "Zs":
            kept.append(" ")
        elif kind != "Cf":  # format characters: zero-width space, joiners, BOM, soft hyphen
            kept.append(char)
    return "".join(kept)


def scan(argument: str, words: Mapping[str, str] | None = None,
         command: str = CLI_COMMAND) -> list[tuple[str, str]]:
    """Split `key=value ...` into (main key, value) pairs, refusing anything else.

    Args:
        argument: the settings text.
        words: bare words mapped to the key they suggest (`trap` -> `style`).
        command: how the user runs a beat (`!beat`, `beatbot beat`), for the hints.

    Raises:
        BadInput: stray text, an unknown or repeated key, a missing value, spaces around `=`.
    """
    tokens = clean(argument).split()
    pairs: dict[str, tuple[str, str]] = {}
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        key, value = _split(token, following, words or {}, command)
        field = known_field(key)
        if field.key in pairs:
            first = "=".join(pairs[field.key])
            raise BadInput("{} is set twice ({} and {}); give it once.", field.key, first, token)
        if not value:
            raise BadInput("{} needs a value, like {}.", field.key, field.example)
        if "=" in value:
            raise BadInput("{} can't be {}: a value can't hold {}.", field.key, value, "=")
        pairs[field.key] = (key, value)
    return [(k, v.lower() if k in LOWERCASE_KEYS else v) for k, (_, v) in pairs.items()]


def _split(token: str, following: str, words: Mapping[str, str], command: str
           ) -> tuple[str, str]:
    """Split one token at its first `=`, explaining tokens that are not `key=value`."""
    key, equals, value = token.partition("=")
    if not equals and not following.startswith("="):
        raise _stray(token, words, command)
    spaced = not equals or not key or (not value and following and "=" not in following)
    if spaced:
        example = known_field(key).example if key else "bpm=85"
        raise BadInput("Write settings with no spaces around {}, like {}.", "=", example)
    return key, value


def _stray(token: str, words: Mapping[str, str], command: str) -> BadInput:
    key = words.get(token.lower())
    if key is not None:
        return BadInput("{} isn't a setting: did you mean {}?", token, f"{key}={token.lower()}")
    if _is_number(token):
        return BadInput("{} isn't a setting: did you mean {}?", token, f"bpm={token}")
    return BadInput("{} isn't a setting: write key=value, like {}.", token,
                    f"{command} bpm=85 style=trap")


def known_field(key: str) -> Field:
    """Return the field for a key or alias.

    Raises:
        BadInput: the key is unknown (with the closest key as a hint).
    """
    field = field_for(key)
    if field is not None:
        return field
    names = [f.key for f in FIELDS] + [alias for f in FIELDS for alias in f.aliases]
    close = difflib.get_close_matches(key.lower(), names, n=1, cutoff=0.6)
    if close:
        raise BadInput("{} is not a key: did you mean {}?", key, known_field(close[0]).key)
    raise BadInput("{} is not a key: keys are " + ", ".join(f.key for f in FIELDS) + ".", key)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def convert(key: str, text: str) -> object:
    """Turn the text of one value into the field's type. Unambiguous forms people type are
    read too: `bars=4.0`, `swing=30%`.

    Raises:
        BadValue: the text is not a value of that type (naming what is allowed).
    """
    field = known_field(key)
    return field.kind.read(field.key, clean(text).strip())


def canonical(key: str, text: str) -> str:
    """The value's text in its plain form (`4.0` -> `4`, `30%` -> `30`, else as typed), for
    parsers stricter than `convert` (discord.py's flags).

    Raises:
        BadValue: as `convert`.
    """
    value = convert(key, text)
    text = clean(text).strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return text.removesuffix("%")
    return text


def parse_edits(text: str) -> tuple[Edit, ...]:
    """Read a lineage, `vary:7,extend:9`, into edits (checked by the request's validation).

    Raises:
        BadValue: the text is not comma-separated `action:seed` pairs.
    """
    return convert("then", text)


def bad_value(key: str, text: str) -> BadValue:
    """The error for text that is not an allowed value of the key (`bpm=fast`, `bars=2.5`,
    `bpm=500`), naming what the field's kind allows."""
    field = known_field(key)
    try:
        field.kind.check(field.key, field.kind.read(field.key, text))
    except BadValue as error:
        return BadValue(field.key, text, error.allowed)
    return BadValue(field.key, text, field.allowed)


def parse_request(argument: str, base: BeatRequest | None = None,
                  words: Mapping[str, str] | None = None) -> BeatRequest:
    """Read settings text into a request (not yet validated against styles and kits).

    Raises:
        BadInput: the text is not `key=value` pairs of known keys.
        BadValue: a value has the wrong type.
    """
    given = {known_field(k).attr: convert(k, v) for k, v in scan(argument, words)}
    return replace(base or BeatRequest(), **given)


def replay_text(params: Mapping[str, object]) -> str:
    """Format request params (`BeatRequest.params()`) as `bpm=90 bars=8 ... seed=7`.

    Keys at their engine default are left out, except those in ALWAYS_SHOWN.
    """
    parts = []
    for field in FIELDS:
        value = params.get(field.key)
        if value is None:
            continue
        if value == "":  # no edits
            continue
        if field.key in ALWAYS_SHOWN or value != field.default:
            parts.append(f"{field.key}={_value_text(value)}")
    return " ".join(parts)


def _value_text(value: object) -> str:
    """A value as typed: `85` for 85.0, and every digit a float needs to come back equal."""
    if not isinstance(value, float):
        return str(value)
    short = f"{value:g}"
    return short if float(short) == value else repr(value)
