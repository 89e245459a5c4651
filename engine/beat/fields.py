"""How a request key is typed, limited and explained: its kind, and its declaration.

A `Field` declares one key once (name, aliases, default, kind, help, example); its kind says
what text it reads, what values it allows, and how both are worded. The parser, the request's
defaults and validation, the help table, the slash options and the error lines all read it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol

from engine.errors import BadValue

MAX_DIGITS = 20
"""Longer digit strings are refused before int() (which has its own limit on huge text)."""
_INTEGER = re.compile(r"[+-]?[0-9]+(\.0*)?")
"""A whole number as typed: ASCII digits, and `.0` allowed (`bars=4.0`)."""
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")
"""A decimal number as typed: ASCII digits only (no `²`, no `1_000`, no `1e3`)."""
_LOOSE = re.compile(r"[\s_.\-]+")
"""What a name may hold that matching ignores (`hip-hop`, `Hip Hop` and `hiphop` match)."""


class Kind(Protocol):
    """What one kind of key reads and allows."""

    @property
    def allowed(self) -> str:
        """What is allowed, short, for the help table (`40-300`)."""

    def read(self, key: str, text: str) -> object:
        """The value typed text means.

        Raises:
            BadValue: the text is not a value of this kind.
        """

    def check(self, key: str, value: object, names: tuple[str, ...]) -> object:
        """The value as the request keeps it.

        Args:
            key: the key, for the error line.
            value: the value given.
            names: the names known at run time (styles or kits), for a Name.

        Raises:
            BadValue: naming what is allowed, in words.
        """


@dataclass(frozen=True)
class Number:
    """A number from `low` to `high`; `whole` for integers; `unit` `%` may be typed after it."""

    low: float
    high: float
    whole: bool = False
    unit: str = ""

    @property
    def allowed(self) -> str:
        """`40-300`, or `0-75 (%)` with a unit."""
        span = f"{_shown(self.low)}-{_shown(self.high)}"
        return f"{span} ({self.unit})" if self.unit else span

    @property
    def words(self) -> str:
        """What the error line says is allowed."""
        if self.whole:
            return f"a whole number from {_shown(self.low)} to {_shown(self.high)}"
        return f"a number from {_shown(self.low)} to {_shown(self.high)}"

    def read(self, key: str, text: str) -> int | float:
        """`85`, `4.0` for a whole number, `30%` where the unit is `%`."""
        number = text.removesuffix("%") if self.unit == "%" else text
        if self.whole and _INTEGER.fullmatch(number) and len(number) <= MAX_DIGITS:
            return int(number.partition(".")[0])
        if not self.whole and _NUMBER.fullmatch(number) and math.isfinite(float(number)):
            return float(number)
        raise BadValue(key, text, self.words)

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> int | float:
        """The value, as int or float, when it is in range."""
        kinds = int if self.whole else int | float
        ok = isinstance(value, kinds) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not self.low <= value <= self.high:
            raise BadValue(key, value, self.words)
        return int(value) if self.whole else float(value)


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set: whole numbers (`fills`) or names (`format`)."""

    values: tuple[int, ...] | tuple[str, ...]

    @property
    def allowed(self) -> str:
        """`0, 2, 4 or 8`."""
        shown = [str(value) for value in self.values]
        return ", ".join(shown[:-1]) + " or " + shown[-1]

    def read(self, key: str, text: str) -> int | str:
        """A whole number for numeric sets, else the name in lower case."""
        if not isinstance(self.values[0], int):
            return text.lower()
        if _INTEGER.fullmatch(text) and len(text) <= MAX_DIGITS:
            return int(text.partition(".")[0])
        raise BadValue(key, text, self.allowed)

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> int | str:
        """The value when it is one of the set (names matched loosely)."""
        if isinstance(self.values[0], int):
            if isinstance(value, bool) or value not in self.values:
                raise BadValue(key, value, self.allowed)
            return int(value)
        return loose_choice(key, value, self.values)


@dataclass(frozen=True)
class Name:
    """A name known only at run time (a style the model plays, an installed kit), or the
    `wildcard` that lets the engine choose."""

    wildcard: str
    listed: str

    @property
    def allowed(self) -> str:
        """`a style the model plays, or any`."""
        return self.listed

    def read(self, key: str, text: str) -> str:
        """The name in lower case."""
        return text.lower()

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> str:
        """The known name `value` means."""
        return loose_choice(key, value, (self.wildcard, *names))


@dataclass(frozen=True)
class Names:
    """Some names of a fixed set, typed comma-separated (`toms,cymbals`); kept as a tuple in
    the set's order, each once (none is the empty tuple)."""

    values: tuple[str, ...]

    @property
    def allowed(self) -> str:
        """`kick,snare,hats`: any of them, comma-separated."""
        return ",".join(self.values)

    def read(self, key: str, text: str) -> tuple[str, ...]:
        """`toms,cymbals` -> ("toms", "cymbals") (checked by `check`)."""
        return tuple(name.strip() for name in text.split(",") if name.strip())

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The names, each one of the set (text is read first).

        Raises:
            BadValue: a name is not in the set (listing the set).
        """
        given = self.read(key, value) if isinstance(value, str) else tuple(value)
        found = set()
        for name in given:
            if str(name).strip().lower() not in self.values:
                raise BadValue(key, name, "names from " + ", ".join(self.values))
            found.add(str(name).strip().lower())
        return tuple(name for name in self.values if name in found)

    @staticmethod
    def text(value: tuple[str, ...]) -> str:
        """As typed: `toms,cymbals`."""
        return ",".join(value)


YES_WORDS = ("yes", "true", "on", "1")
NO_WORDS = ("no", "false", "off", "0")


@dataclass(frozen=True)
class YesNo:
    """A switch: `yes` or `no` (also true/false, on/off, 1/0)."""

    @property
    def allowed(self) -> str:
        """`yes or no`."""
        return "yes or no"

    def read(self, key: str, text: str) -> bool:
        """`yes` -> True, `no` -> False.

        Raises:
            BadValue: any other word.
        """
        word = text.strip().lower()
        if word in YES_WORDS or word in NO_WORDS:
            return word in YES_WORDS
        raise BadValue(key, text, self.allowed)

    def check(self, key: str, value: object, names: tuple[str, ...] = ()) -> bool:
        """The switch as a bool (text is read first)."""
        if isinstance(value, str):
            return self.read(key, value)
        if not isinstance(value, bool):
            raise BadValue(key, value, self.allowed)
        return value

    @staticmethod
    def text(value: bool) -> str:
        """`yes`, or nothing for no (the default, which replay lines leave out)."""
        return "yes" if value else ""


@dataclass(frozen=True)
class Field:
    """One request key, declared once.

    Attributes:
        key: the name users type.
        attr: the BeatRequest attribute it sets.
        default: the engine's default (None: drawn or chosen at validation).
        kind: what it reads and allows.
        help: what it does, in a few words.
        example: a `key=value` to copy.
        aliases: other names users may type.
        unset: what an unset key means, in a word or two, when its default is None.
    """

    key: str
    attr: str
    default: object
    kind: Kind
    help: str
    example: str
    aliases: tuple[str, ...] = ()
    unset: str = ""

    @property
    def allowed(self) -> str:
        """What is allowed, short (the help table and the slash option's description)."""
        return self.kind.allowed


def loose_choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    """The allowed name `value` means, ignoring case, outer spaces and `-`, `_`, `.` inside.

    Raises:
        BadValue: no allowed name matches.
    """
    name = str(value).strip().lower()
    if name in allowed:
        return name
    loose = {_LOOSE.sub("", option): option for option in allowed}
    found = loose.get(_LOOSE.sub("", name))
    if found is None:
        raise BadValue(key, value, "one of " + ", ".join(allowed))
    return found


def _shown(number: float) -> str:
    """A limit as people write it: `300`, `0.1`, `4294967295` (never `4.29497e+09`)."""
    return str(int(number)) if number == int(number) else f"{number:g}"
