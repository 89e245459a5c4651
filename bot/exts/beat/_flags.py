"""`key=value` arguments of `!beat` and `/beat`: one FlagConverter, strict about what it accepts.

discord.py's flag parser is forgiving in ways that hide mistakes: an unknown `foo=3` is glued
onto the previous value, text outside flags is dropped, and a single-letter alias like `t`
matches inside longer words. So the raw text is scanned first, token by token, against the
keys and aliases of `engine.beat.request.FIELDS`, and anything odd is refused with one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Literal

from discord.ext import commands

from bot.settings import Settings
from bot.text import code
from engine.beat import syntax
from engine.beat.fields import Number, OneOf
from engine.beat.request import FIELDS, BeatRequest, Field, field_for
from engine.errors import BadInput, BadValue

FILE_KEYS = ("follow",)
"""Keys that are a file in /beat (`follow:<file>`, a parameter of the command), so they are no
flags; typed in `!beat` (`follow=yes`, for the attached file) they are read here."""
FLAG_FIELDS = tuple(field for field in FIELDS if field.key not in FILE_KEYS)
HELP_WORDS = ("help", "?", "-h", "--help")
"""`!beat help` (and the like) shows the help instead of making a beat."""


class BadFlags(commands.BadArgument):
    """The `key=value` text could not be read; the message is the one line to show."""


def _field(key: str) -> Field:
    found = field_for(key)
    assert found is not None, key
    return found


def _flag(field: Field) -> object:
    """The flag of one field: its aliases, and its help with the range (for /beat)."""
    description = f"{field.help} ({field.allowed})"[:100]
    return commands.flag(name=field.key, aliases=list(field.aliases), default=None,
                         description=description)


def _annotation(field: Field) -> object:
    """The flag's type: a range for numbers and a list for fixed sets (Discord checks both in
    /beat), text otherwise."""
    kind = field.kind
    if isinstance(kind, Number):
        return commands.Range[int if kind.whole else float, kind.low, kind.high]
    if isinstance(kind, OneOf):
        return Literal[kind.values]  # a tuple subscript: Literal[0, 2, 4, 8]
    return str


class _BeatFlags(commands.FlagConverter, delimiter="=", prefix="", case_insensitive=True):
    """What `BeatFlags` does; its flags, one per field of FIELDS, are added below."""

    wants_help = False
    """True for `!beat help`: show the key table instead of making a beat."""
    typed_files = MappingProxyType({})  # no annotation: discord.py reads annotations as flags
    """FILE_KEYS typed in `!beat`, by key (`{"follow": True}`)."""

    @classmethod
    async def convert(cls, ctx: commands.Context, argument: str) -> _BeatFlags:
        """Scan `argument` strictly, then let discord.py convert each value.

        Raises:
            BadFlags: one line naming the key, the bad value and what is allowed.
        """
        if syntax.clean(argument).strip().lower() in HELP_WORDS:
            flags = await super().convert(ctx, "")
            flags.wants_help = True
            return flags
        maker = getattr(ctx.bot, "maker", None)
        words = hint_words(maker.styles if maker else (), maker.kit_names if maker else ())
        try:
            pairs = [(key, syntax.canonical(key, value))
                     for key, value in scan(argument, words, f"{ctx.clean_prefix}beat")]
        except BadValue as error:
            raise BadFlags(error.line(code)) from None
        try:
            files = {key: syntax.convert(key, value) for key, value in pairs if key in FILE_KEYS}
            flags = await super().convert(ctx, " ".join(
                f"{k}={v}" for k, v in pairs if k not in FILE_KEYS))
        except BadValue as error:
            raise BadFlags(error.line(code)) from None
        except commands.BadFlagArgument as error:
            line = syntax.bad_value(error.flag.name, error.argument).line(code)
            raise BadFlags(line) from error
        flags.typed_files = files
        return flags

    def to_request(self, settings: Settings) -> BeatRequest:
        """Build the engine request, taking unset keys from the settings' defaults.

        Text values are cleaned as typed text is (a slash option's outer or invisible spaces).

        Raises:
            BadFlags: the `then` edits can't be read.
        """
        given = {_field(key).attr: _value(key, value) for key, value in self.given().items()}
        defaults = BeatRequest(bpm=settings.default_bpm, bars=settings.default_bars,
                               style=settings.default_style, kit=settings.default_kit,
                               audio_format=settings.default_format)
        return replace(defaults, **given)

    def given(self) -> dict[str, object]:
        """The keys the user set, by their main name."""
        return {**{name: value for name, value in self if value is not None},
                **self.typed_files}


BeatFlags = type(_BeatFlags)(
    "BeatFlags", (_BeatFlags,),
    {"__module__": __name__, "__qualname__": "BeatFlags",
     "__doc__": "The settings of one beat: a flag per request key, every one optional (None "
                "means \"use the default\").",
     "__annotations__": {field.key: _annotation(field) for field in FLAG_FIELDS},
     **{field.key: _flag(field) for field in FLAG_FIELDS}},
    delimiter="=", prefix="", case_insensitive=True)
"""The flags of `!beat` and `/beat`, made from FIELDS (the one declaration of each key)."""


def _value(key: str, value: object) -> object:
    """A flag's value for the request: text read as typed text is (cleaned, `then` into
    edits); numbers and fixed choices discord.py has converted."""
    if not isinstance(value, str):
        return value
    try:
        return syntax.convert(key, value)
    except BadValue as error:
        raise BadFlags(error.line(code)) from None


def hint_words(styles: tuple[str, ...], kits: tuple[str, ...]) -> dict[str, str]:
    """Map bare words a user might type to the key they probably meant."""
    words = {kit.lower(): "kit" for kit in kits}
    words.update({style.lower(): "style" for style in styles})
    return words


def scan(argument: str, words: Mapping[str, str] | None = None,
         command: str = "!beat") -> list[tuple[str, str]]:
    """Split `key=value key=value ...` into (main key, value) pairs, refusing anything else.

    The engine's own scan (shared with `beatbot beat`), its errors worded for chat.

    Raises:
        BadFlags: stray text, an unknown or repeated key, a missing value, spaces around `=`.
    """
    try:
        return syntax.scan(argument, words, command)
    except BadInput as error:
        raise BadFlags(error.line(code)) from None
