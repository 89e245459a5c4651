"""Read `key=value` text (`bpm=85 bars=8 style=trap`) into a BeatRequest, strictly.

The command line uses this directly; the bot runs the same scan before discord.py's
FlagConverter so that both give the same one-line errors.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import replace

from engine.beat.request import FIELDS, BeatRequest, Field, field_for
from engine.errors import BadInput, BadValue

LOWERCASE_KEYS = ("style", "kit", "format")
"""Keys whose values are names, matched without regard to case."""
SHOWN_LIMIT = 40
"""Longest piece of user text echoed back in an error."""
INTEGER_KEYS = ("bars", "seed", "fills")
MAX_DIGITS = 20
"""Longer digit strings are refused before int() (which has its own limit on huge text)."""


def shown(value: object, limit: int = SHOWN_LIMIT) -> str:
    """User text made safe for an inline code span: one line, no backticks, bounded."""
    text = " ".join(str(value).split()).replace("`", "ˋ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scan(argument: str, words: Mapping[str, str] | None = None,
         prefix: str = "!") -> list[tuple[str, str]]:
    """Split `key=value ...` into (main key, value) pairs, refusing anything else.

    Args:
        argument: the settings text.
        words: bare words mapped to the key they suggest (`trap` -> `style`).
        prefix: the bot's command prefix, for the hints ("" on the command line).

    Raises:
        BadInput: stray text, an unknown or repeated key, a missing value, spaces around `=`.
    """
    tokens = argument.split()
    pairs: dict[str, tuple[str, str]] = {}
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        key, value = _split(token, following, words or {}, prefix)
        field = known_field(key)
        if field.key in pairs:
            first = "=".join(pairs[field.key])
            raise BadInput(f"`{field.key}` is set twice (`{shown(first)}` and `{shown(token)}`);"
                           " give it once.")
        if not value:
            raise BadInput(f"`{field.key}` needs a value, like `{field.example}`.")
        if "=" in value:
            raise BadInput(f"`{field.key}` can't be `{shown(value)}`: a value can't hold `=`.")
        pairs[field.key] = (key, value)
    return [(k, v.lower() if k in LOWERCASE_KEYS else v) for k, (_, v) in pairs.items()]


def _split(token: str, following: str, words: Mapping[str, str], prefix: str) -> tuple[str, str]:
    """Split one token at its first `=`, explaining tokens that are not `key=value`."""
    key, equals, value = token.partition("=")
    if not equals and not following.startswith("="):
        raise BadInput(_stray(token, words, prefix))
    spaced = not equals or not key or (not value and following and "=" not in following)
    if spaced:
        example = known_field(key).example if key else "bpm=85"
        raise BadInput(f"Write settings with no spaces around `=`, like `{example}`.")
    return key, value


def _stray(token: str, words: Mapping[str, str], prefix: str) -> str:
    command = f"{prefix}beat" if prefix else "beatbot beat"
    hint = f"write key=value, like `{command} bpm=85 style=trap`."
    key = words.get(token.lower())
    if key is not None:
        hint = f"did you mean `{key}={shown(token.lower())}`?"
    elif _is_number(token):
        hint = f"did you mean `bpm={shown(token)}`?"
    return f"`{shown(token)}` isn't a setting: {hint}"


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
    hint = (f"did you mean `{known_field(close[0]).key}`?" if close
            else "keys are " + ", ".join(f.key for f in FIELDS) + ".")
    raise BadInput(f"`{shown(key)}` is not a key: {hint}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def convert(key: str, text: str) -> object:
    """Turn the text of one value into the field's type.

    Raises:
        BadValue: the text is not a value of that type (naming what is allowed).
    """
    field = known_field(key)
    if field.key in INTEGER_KEYS:
        if text.lstrip("+-").isdigit() and len(text) <= MAX_DIGITS:
            return int(text)
    elif isinstance(field.default, float):
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    else:
        return text
    bad = {field.attr: text}
    try:
        BeatRequest(**bad).validated((), ())
    except BadValue as error:
        raise BadValue(error.field, shown(text), error.allowed) from None
    raise BadValue(field.key, shown(text), field.allowed)


def parse_request(argument: str, base: BeatRequest | None = None,
                  words: Mapping[str, str] | None = None) -> BeatRequest:
    """Read settings text into a request (not yet validated against styles and kits).

    Raises:
        BadInput: the text is not `key=value` pairs of known keys.
        BadValue: a value has the wrong type.
    """
    given = {known_field(k).attr: convert(k, v) for k, v in scan(argument, words, "")}
    return replace(base or BeatRequest(), **given)
