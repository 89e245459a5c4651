"""The buttons under a beat: Regenerate, Variation and Extend, as discord.py dynamic items.

A button's `custom_id` carries the beat's recipe (its replay line), so a press works on any
bot process and after any restart: the beat is made again from the recipe, never read back
from its MIDI. A recipe too long for Discord's 100 characters is carried as a digest instead,
and read from the replay line in the beat's embed (which only the bot can edit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord

from bot.errors import ShuttingDown
from bot.exts.beat._press import digest

if TYPE_CHECKING:
    from bot.app import BeatBot

CUSTOM_ID_PREFIX = "beatbot:"
CUSTOM_ID_LIMIT = 100
"""Longest custom_id Discord takes, in characters."""
BUTTONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "regenerate": ("Regenerate", "🎲", discord.ButtonStyle.primary),
    "variation": ("Variation", "🔀", discord.ButtonStyle.secondary),
    "extend": ("Extend", "➕", discord.ButtonStyle.secondary),
}
"""action -> (label, emoji, style), left to right."""
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
        bot = cast("BeatBot", interaction.client)
        try:
            if bot.beats is None:
                raise ShuttingDown()
            await bot.beats.press(interaction, self.action, self.recipe)
        except Exception as error:
            await bot.tree.on_error(interaction, error)


def beat_view(recipe: str) -> discord.ui.View:
    """The three buttons for a beat whose replay text is `recipe` (they never time out)."""
    view = discord.ui.View(timeout=None)
    for action in BUTTONS:
        view.add_item(BeatButton(action, recipe))
    return view
