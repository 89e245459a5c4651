"""`beatbot run` with Discord's login and gateway replaced by a wait, for the SIGTERM test and
the container check (scripts/docker/compose.check.yaml).

    python -m tests.bot.offline_run [--env-file FILE]

Everything else is the real entry point: the settings, the engine loaded before logging in,
logging, the metrics endpoint, the signal handlers and the shutdown. When the bot would be
online it gets the gateway's `ready` event (so its metrics say `beatbot_up 1` and
`beatbot health` passes, as with Discord) and prints `ready`.
"""

from __future__ import annotations

import asyncio
import sys

import discord

from cli.main import main


async def _offline_start(self: discord.Client, token: str, *, reconnect: bool = True) -> None:
    """Stand-in for Client.start: run the setup hook as login would, dispatch `ready` as the
    gateway does once every shard is connected, then idle until closed."""
    await self.setup_hook()
    self.dispatch("ready")
    await asyncio.sleep(0)  # on_ready runs as a task of its own, as with the gateway
    print("ready", flush=True)
    while not self.is_closed():
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    discord.Client.start = _offline_start  # type: ignore[method-assign]
    sys.exit(main(["run", *sys.argv[1:]]))
