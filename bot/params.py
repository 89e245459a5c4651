"""Request parameters as the `key=value` text a user can type back to replay a beat."""

from __future__ import annotations

from collections.abc import Mapping

from engine.beat.request import FIELDS

ALWAYS_SHOWN = ("bpm", "bars", "style", "kit", "seed")
"""Keys every replay line names, even at their default, so the line stands on its own."""


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def replay_args(params: Mapping[str, object]) -> str:
    """Format request params (`BeatRequest.params()`) as `bpm=90 bars=8 ... seed=7`.

    Keys at their engine default are left out, except those in ALWAYS_SHOWN.
    """
    parts = []
    for field in FIELDS:
        value = params.get(field.key)
        if value is None:
            continue
        if field.key in ALWAYS_SHOWN or value != field.default:
            parts.append(f"{field.key}={_text(value)}")
    return " ".join(parts)
