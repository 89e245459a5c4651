"""The controls under a beat, as discord.py dynamic items: the Regenerate, Variation, Extend
and Stems buttons, the "New …" menu (one part written new) and the "Mute …" menu.

Each control's `custom_id` carries the beat's recipe (its replay line), so a press works on
any bot process and after any restart: the beat is made again from the recipe, never read
back from its MIDI. A recipe too long for Discord's 100 characters is carried as a digest
instead, and read from the replay line in the beat's embed (which only the bot can edit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord

from bot.errors import ShuttingDown
from bot.exts.beat._press import digest
from engine.beat.request import PARTS, BeatRequest

if TYPE_CHECKING:
    from bot.app import BeatBot

CUSTOM_ID_PREFIX = "beatbot:"
CUSTOM_ID_LIMIT = 100
"""Longest custom_id Discord takes, in characters."""
BUTTONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "regenerate": ("Regenerate", "🎲", discord.ButtonStyle.primary),
    "variation": ("Variation", "🔀", discord.ButtonStyle.secondary),
    "extend": ("Extend", "➕", discord.ButtonStyle.secondary),
    "stems": ("Stems", "🗂️", discord.ButtonStyle.secondary),
}
"""action -> (label, emoji, style), left to right."""
MENUS: dict[str, str] = {"new": "New …", "mute": "Mute …"}
"""action -> placeholder of the menus, top to bottom."""



def custom_id(action: str, recipe: str) -> str:
    """`beatbot:<action>:<recipe>`, or the recipe's digest when that is too long."""
    full = f"{CUSTOM_ID_PREFIX}{action}:{recipe}"
    return full if len(full) <= CUSTOM_ID_LIMIT else f"{CUSTOM_ID_PREFIX}{action}:{digest(recipe)}"


class BeatButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"beatbot:(?P<action>regenerate|variation|extend|stems):(?P<recipe>.*)"):
    """One button under a beat; discord.py rebuilds it from its custom_id on any press.

    Args:
        action: `regenerate`, `variation`, `extend` or `stems`.
        recipe: the beat's replay text, or its digest (see `custom_id`).
        disabled: shown greyed out (Stems on a beat that has them).
    """

    def __init__(self, action: str, recipe: str, disabled: bool = False) -> None:
        label, emoji, style = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style, row=0,
                                           custom_id=custom_id(action, recipe),
                                           disabled=disabled))
        self.action = action
        self.recipe = recipe

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: Any) -> BeatButton:
        """Rebuild the button from a pressed custom_id."""
        return cls(match["action"], match["recipe"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the beat service."""
        await _hand_over(interaction, self.action, self.recipe)


class PartMenu(discord.ui.DynamicItem[discord.ui.Select],
               template=r"beatbot:(?P<action>new|mute):(?P<recipe>.*)"):
    """A menu of parts under a beat: "New …" writes the part picked new around the others;
    "Mute …" leaves out the parts picked (and brings back the others).

    Args:
        action: `new` or `mute`.
        recipe: the beat's replay text, or its digest (see `custom_id`).
        muted: the parts the beat leaves out now, shown picked in "Mute …".
    """

    def __init__(self, action: str, recipe: str, muted: tuple[str, ...] = ()) -> None:
        mute = action == "mute"
        options = [discord.SelectOption(label=f"{'Mute' if mute else 'New'} {part}",
                                        value=part, default=mute and part in muted)
                   for part in PARTS]
        super().__init__(discord.ui.Select(
            custom_id=custom_id(action, recipe), placeholder=MENUS[action], options=options,
            min_values=0 if mute else 1, max_values=len(PARTS) - 1 if mute else 1,
            row=1 + list(MENUS).index(action)))
        self.action = action
        self.recipe = recipe

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: Any) -> PartMenu:
        """Rebuild the menu from a custom_id (discord.py then fills in what was picked)."""
        return cls(match["action"], match["recipe"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the pick to the beat service."""
        await _hand_over(interaction, self.action, self.recipe, tuple(self.item.values))


async def _hand_over(interaction: discord.Interaction, action: str, recipe: str,
                     values: tuple[str, ...] = ()) -> None:
    """Pass a press to the beat service; its errors go to the bot's one handler."""
    bot = cast("BeatBot", interaction.client)
    try:
        if bot.beats is None:
            raise ShuttingDown()
        await bot.beats.press(interaction, action, recipe, values)
    except Exception as error:
        await bot.tree.on_error(interaction, error)


def beat_view(recipe: str, request: BeatRequest) -> discord.ui.View:
    """The controls for a beat whose replay text is `recipe` (they never time out)."""
    view = discord.ui.View(timeout=None)
    for action in BUTTONS:
        view.add_item(BeatButton(action, recipe, disabled=action == "stems" and request.stems))
    for action in MENUS:
        view.add_item(PartMenu(action, recipe, request.mute))
    return view
