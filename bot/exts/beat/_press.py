"""A press under a beat, turned into the request it asks for: the one home of that step.

The press carries the beat's recipe in its custom_id (or a digest of it, when the recipe is
too long, checked against the replay line in the beat's embed); the beat's message carries
the primer it continued. The new request is that recipe with one more step.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import replace

import discord

from bot.errors import OldButton
from engine.beat.request import SEED_RANGE, BeatRequest, Edit
from engine.beat.syntax import parse_request
from engine.errors import BadPrimer, EngineError

PRIMER_NAME = "primer.mid"
"""The file a beat that continued a user's MIDI carries it back as."""
FOLLOW_NAME = "follow.mid"
"""The file a beat that followed a user's material carries it back as."""
DIGEST_MARK = "#"
"""Starts the recipe part of a custom_id that holds a digest, not the recipe."""
DIGEST_CHARS = 20
EDIT_OF = {"variation": "vary", "extend": "extend"}
"""The recipe edit each button adds (Regenerate starts a new recipe)."""
REPLAY = re.compile(r"`[^`\s]*beat ([^`]*)`")
"""The replay line a beat's embed holds: `!beat bpm=90 ... seed=7`."""


async def pressed_request(message: discord.Message | None, action: str, recipe: str,
                          prefix: str, values: tuple[str, ...] = ()) -> BeatRequest:
    """The request a press under `message` asks for.

    Args:
        message: the beat's message (its embed and attachments).
        action: what was pressed (a button's or a menu's action, see `next_request`).
        recipe: the recipe the custom_id carries, or its digest.
        prefix: the bot's command prefix, for the replay line an old button's refusal gives.
        values: what was picked in a menu (parts).

    Raises:
        OldButton: the custom_id holds no recipe this bot can read.
        BadPrimer: the beat continued a MIDI file that can't be downloaded again.
    """
    replay = replay_of(message)
    if recipe.startswith(DIGEST_MARK):  # too long for the custom_id: the embed holds it
        recipe = replay if replay is not None and digest(replay) == recipe else ""
    try:
        if not recipe:
            raise EngineError("no recipe")
        request = parse_request(recipe)
    except EngineError:
        raise OldButton(replay and f"{prefix}beat {replay}") from None
    files = {"primer": await attached(message, PRIMER_NAME),
             "follow": await attached(message, FOLLOW_NAME)}
    return next_request(replace(request, **files), action, values=values)


def next_request(request: BeatRequest, action: str, seed: int | None = None,
                 values: tuple[str, ...] = ()) -> BeatRequest:
    """The recipe a press makes from the beat it sits under.

    Args:
        request: the beat's recipe.
        action: `regenerate` (same settings and length, a new seed, no edits), `variation`
            (vary this beat), `extend` (EXTEND_BARS more bars continuing it), `new` (write
            the part in `values` new around the others), `mute` (leave out the parts in
            `values`, and bring back any others: the same beat) or `stems` (the same beat,
            with its stems).
        seed: the new seed of a step that makes one; None draws one.
        values: the parts a menu picked.
    """
    if action == "mute":
        return replace(request, mute=tuple(values))
    if action == "stems":
        return replace(request, stems=True)
    if seed is None:
        seed = secrets.randbelow(SEED_RANGE[1] + 1)
    if action == "regenerate":
        return replace(request, seed=seed, bars=request.new_bars, then=())
    if action == "new":
        return replace(request, then=(*request.then, Edit("new", seed, values[0])))
    return replace(request, then=(*request.then, Edit(EDIT_OF[action], seed)))


def digest(recipe: str) -> str:
    """A short fingerprint of a recipe's text, for custom ids it does not fit in."""
    return DIGEST_MARK + hashlib.sha256(recipe.encode()).hexdigest()[:DIGEST_CHARS]


def replay_of(message: discord.Message | None) -> str | None:
    """The replay text in a beat's embed (`bpm=90 ... seed=7`), or None."""
    embeds = message.embeds if message else []
    found = REPLAY.search(embeds[0].description or "") if embeds else None
    return found.group(1) if found else None


async def attached(message: discord.Message | None, name: str) -> bytes | None:
    """A user's MIDI file that is part of a beat's recipe, which its message carries back as
    `name` (PRIMER_NAME: the beat continued it; FOLLOW_NAME: it followed it), or None.

    Raises:
        BadPrimer: it could not be downloaded.
    """
    found = [a for a in (message.attachments if message else []) if a.filename == name]
    if not found:
        return None
    try:
        return await found[0].read()
    except discord.HTTPException as error:
        raise BadPrimer(f"the file this beat was made from could not be downloaded (HTTP "
                        f"{error.status}); attach it again with a new request") from error
