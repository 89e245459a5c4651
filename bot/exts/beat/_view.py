"""The buttons under a beat: Regenerate, Variation and Extend, and telling stale ones apart."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord

from engine.beat.request import BeatRequest

CUSTOM_ID_PREFIX = "beatbot:"
EXTEND_BARS = 4
"""Bars one press of Extend adds."""

BUTTONS: tuple[tuple[str, str, str, discord.ButtonStyle], ...] = (
    ("regenerate", "Regenerate", "🎲", discord.ButtonStyle.primary),
    ("variation", "Variation", "🔀", discord.ButtonStyle.secondary),
    ("extend", "Extend", "➕", discord.ButtonStyle.secondary),
)
"""(action, label, emoji, style) of each button, left to right."""

Serve = Callable[[discord.Interaction, str, BeatRequest], Awaitable[None]]


def next_request(request: BeatRequest, midi: bytes, action: str) -> BeatRequest:
    """The request a button press makes from the beat it sits under (always a new seed).

    Args:
        request: the beat's validated request.
        midi: the beat's MIDI file.
        action: `regenerate` (same settings), `variation` (vary this beat) or `extend`
            (EXTEND_BARS more bars continuing it).
    """
    fresh = replace(request, seed=None)
    if action == "variation":
        return replace(fresh, vary=midi, primer=None)
    if action == "extend":
        return replace(fresh, primer=midi, vary=None, bars=EXTEND_BARS)
    return fresh


def token_of(custom_id: str) -> str | None:
    """The view token in one of our custom ids, or None for someone else's component."""
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return None
    return custom_id.rsplit(":", 1)[-1]


class BeatView(discord.ui.View):
    """Buttons for one posted beat; they live `timeout` seconds, and only in this process.

    Args:
        request: the beat's validated request.
        midi: the beat's MIDI file (what Variation and Extend work from).
        serve: called with (interaction, action, next request) on a press.
        live: the registry of live views, which this view leaves when it times out.
        timeout: seconds the buttons work.
    """

    def __init__(self, request: BeatRequest, midi: bytes, serve: Serve,
                 live: dict[str, BeatView], timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.request, self.midi, self.serve, self.live = request, midi, serve, live
        self.token = secrets.token_hex(8)
        for action, label, emoji, style in BUTTONS:
            button: discord.ui.Button[BeatView] = discord.ui.Button(
                label=label, emoji=emoji, style=style,
                custom_id=f"{CUSTOM_ID_PREFIX}{action}:{self.token}")
            button.callback = self._pressed(action)
            self.add_item(button)

    def register(self) -> None:
        """Mark the view live (once its message is posted)."""
        self.live[self.token] = self

    def _pressed(self, action: str) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def callback(interaction: discord.Interaction) -> None:
            await self.serve(interaction, action, next_request(self.request, self.midi, action))
        return callback

    async def on_timeout(self) -> None:
        """Leave the registry, so later presses get the "expired" answer."""
        self.live.pop(self.token, None)

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item[Any]) -> None:
        """Hand the error to the bot's one error handler."""
        await interaction.client.tree.on_error(interaction, error)  # type: ignore[attr-defined]
