"""Errors the engine raises; the bot turns each into one line for the user."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class BadValue(EngineError):
    """A request field holds a value outside what is allowed.

    Args:
        field: the request key, as the user types it (`bpm`, `temp`, ...).
        value: what was given.
        allowed: what is allowed, in words (`40-300`, `one of rock, trap`).
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        super().__init__(f"`{field}` can't be `{shown}`: use {allowed}.")


class BadPrimer(EngineError):
    """The primer MIDI could not be used (not MIDI, no drums, too large, ...)."""


class ModelError(EngineError):
    """The model file is missing or unreadable."""


class RenderError(EngineError):
    """Audio could not be rendered or encoded (soundfont or encoder trouble)."""


class BadInput(EngineError):
    """The `key=value` text could not be read (stray words, unknown or repeated keys)."""
