"""The buttons under a beat: Regenerate, Variation and Extend, as discord.py dynamic items.

A button's `custom_id` carries the beat's recipe (its replay line), so a press works on any
bot process and after any restart: the beat is made again from the recipe, never read back
from its MIDI. A recipe too long for Discord's 100 characters is carried as a digest instead,
and read from the replay line in the beat's embed (which only the bot can edit).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from typing import Any

import discord

from engine.beat.request import SEED_RANGE, BeatRequest, Edit

CUSTOM_ID_PREFIX = "beatbot:"
CUSTOM_ID_LIMIT = 100
"""Longest custom_id Discord takes, in characters."""
DIGEST_MARK = "#"
"""Starts the recipe part of a custom_id that holds a digest, not the recipe."""
DIGEST_CHARS = 20

BUTTONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "regenerate": ("Regenerate", "🎲", discord.ButtonStyle.primary),
    "variation": ("Variation", "🔀", discord.ButtonStyle.secondary),
    "extend": ("Extend", "➕", discord.ButtonStyle.secondary),
}
"""action -> (label, emoji, style), left to right."""
EDIT_OF = {"variation": "vary", "extend": "extend"}
"""The recipe edit each button adds (Regenerate starts a new recipe)."""


def next_request(request: BeatRequest, action: str, seed: int | None = None) -> BeatRequest:
    """The recipe a button press makes from the beat it sits under (always a new seed).

    Args:
        request: the beat's recipe.
        action: `regenerate` (same settings and length, a new seed, no edits), `variation`
            (vary this beat) or `extend` (EXTEND_BARS more bars continuing it).
        seed: the new seed; None draws one.
    """
    if seed is None:
        seed = secrets.randbelow(SEED_RANGE[1] + 1)
    if action == "regenerate":
        return replace(request, seed=seed, bars=request.new_bars, then=())
    return replace(request, then=(*request.then, Edit(EDIT_OF[action], seed)))


def digest(recipe: str) -> str:
    """A short fingerprint of a recipe's text, for custom ids it does not fit in."""
    return DIGEST_MARK + hashlib.sha256(recipe.encode()).hexdigest()[:DIGEST_CHARS]


def custom_id(action: str, recipe: str) -> str:
    """`beatbot:<action>:<recipe>`, or the recipe's digest when that is too long."""
    full = f"{CUSTOM_ID_PREFIX}{action}:{recipe}"
    return full if len(full) <= CUSTOM_ID_LIMIT else f"{CUSTOM_ID_PREFIX}{action}:{digest(recipe)}"


class BeatButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"beatbot:(?P<action>regenerate|variation|extend):(?P<recipe>.*)"):
    """One button under a beat; discord.py rebuilds it from its custom_id on any press.

    Args:
        action: `regenerate`, `variation` or `extend`.
        recipe: the beat's replay text, or its digest (see `custom_id`).
    """

    def __init__(self, action: str, recipe: str) -> None:
        label, emoji, style = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style,
                                           custom_id=custom_id(action, recipe)))
        self.action = action
        self.recipe = recipe

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: Any) -> BeatButton:
        """Rebuild the button from a pressed custom_id."""
        return cls(match["action"], match["recipe"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the beat service; its errors go to the bot's one handler."""
        client: Any = interaction.client
        try:
            await client.get_cog("Beats").service.press(interaction, self.action, self.recipe)
        except Exception as error:
            await client.tree.on_error(interaction, error)


def beat_view(recipe: str) -> discord.ui.View:
    """The three buttons for a beat whose replay text is `recipe` (they never time out)."""
    view = discord.ui.View(timeout=None)
    for action in BUTTONS:
        view.add_item(BeatButton(action, recipe))
    return view
