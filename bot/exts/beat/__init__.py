"""The beat feature: `!beat` / `/beat`, its buttons, and the service that makes and posts beats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.beat._cog import BeatCog

if TYPE_CHECKING:
    from bot.app import BeatBot


async def setup(bot: BeatBot) -> None:
    """Load the Beats cog."""
    await bot.add_cog(BeatCog(bot))
