"""Errors the engine raises. They carry data; a front end (bot, command line) words them.

`BadValue` and `BadInput` keep the user's text apart from the sentence around it, so the bot
can show it as a code span and the command line as plain text, from one template.
"""

from __future__ import annotations

from collections.abc import Callable

SHOWN_LIMIT = 40
"""Longest piece of user text echoed back, in characters."""

Quote = Callable[[object], str]
"""How a front end shows a piece of user text or a key (a code span, quotes, ...)."""


def shown(value: object, limit: int = SHOWN_LIMIT) -> str:
    """User text made safe to echo: numbers as typed, one line, no backticks, bounded."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    text = " ".join(text.split()).replace("`", "ˋ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_quote(value: object) -> str:
    """The command line's quoting: the text as is, cleaned (see `shown`)."""
    return shown(value)


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class BadValue(EngineError):
    """A request field holds a value outside what is allowed.

    Args:
        field: the request key, as the user types it (`bpm`, `temp`, ...).
        value: what was given.
        allowed: what is allowed, in words (`a number from 40 to 300`).
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(self.line(plain_quote))

    def line(self, quote: Quote) -> str:
        """The sentence, with the key and the value shown by `quote`."""
        return f"{quote(self.field)} can't be {quote(self.value)}: use {self.allowed}."

    def __reduce__(self) -> tuple:
        """Pickle by the three fields (errors cross the job queue pickled)."""
        return type(self), (self.field, self.value, self.allowed)


class BadInput(EngineError):
    """The `key=value` text could not be read (stray words, unknown or repeated keys).

    Args:
        template: the sentence, with one `{}` per piece.
        pieces: keys, the user's text and examples, each shown quoted.
    """

    def __init__(self, template: str, *pieces: object) -> None:
        self.template, self.pieces = template, pieces
        super().__init__(self.line(plain_quote))

    def line(self, quote: Quote) -> str:
        """The sentence with each piece shown by `quote`."""
        return self.template.format(*(quote(piece) for piece in self.pieces))

    def __reduce__(self) -> tuple:
        """Pickle by the template and pieces (errors cross the job queue pickled)."""
        return type(self), (self.template, *self.pieces)


class BadPrimer(EngineError):
    """The primer MIDI could not be used (not MIDI, no drums, too large, ...)."""


class BadMaterial(BadPrimer):
    """The MIDI file to follow (`follow`) could not be used (not MIDI, no notes, too long,
    ...). A BadPrimer, so a front end that words only primers still answers in one line;
    its own wording is "can't be followed"."""


class TooLong(EngineError):
    """Extending a beat would pass the longest a beat may be.

    Args:
        bars: how long the beat already is, in bars.
        adding: the bars the extension adds.
        limit: the most bars a beat may have.
    """

    def __init__(self, bars: int, adding: int, limit: int) -> None:
        self.bars, self.adding, self.limit = bars, adding, limit
        super().__init__(f"the beat is {bars} bars; extending it adds {adding} and {limit} is "
                         "the longest a beat can be")

    def __reduce__(self) -> tuple:
        """Pickle by the three numbers (a worker's error reaches the bot whole)."""
        return type(self), (self.bars, self.adding, self.limit)


class ModelError(EngineError):
    """The model file is missing or unreadable."""


class RenderError(EngineError):
    """Audio could not be rendered or encoded (soundfont or encoder trouble)."""
