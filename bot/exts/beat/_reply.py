"""Turn a made Beat into one Discord message: audio, MIDI and an embed with the drum grid."""

from __future__ import annotations

import io
from dataclasses import dataclass

import discord

from bot.params import replay_args
from bot.text import one_line, plain
from engine.beatmaker import Beat

GRID_NAME = "grid.png"
MIDI_NAME = "beat.mid"
EMBED_COLOUR = discord.Colour.from_rgb(235, 94, 40)


@dataclass
class Reply:
    """What to send: keyword arguments for `send`, less the view."""

    content: str | None
    embed: discord.Embed
    files: list[discord.File]

    def kwargs(self) -> dict[str, object]:
        """As keyword arguments for `Messageable.send` / `Webhook.send`."""
        return {"content": self.content, "embed": self.embed, "files": self.files}


def build_reply(beat: Beat, user: discord.abc.User, seconds: float, size_limit: int,
                prefix: str) -> Reply:
    """Lay out the message for a beat.

    Args:
        beat: what the engine made.
        user: who asked (named in the title).
        seconds: time from request to now.
        size_limit: most bytes one message may upload; audio that would pass it is left out.
        prefix: the command prefix, for the replay line.
    """
    files = [discord.File(io.BytesIO(beat.midi), MIDI_NAME),
             discord.File(io.BytesIO(beat.image), GRID_NAME)]
    content = None
    if beat.audio is None:
        content = one_line(f"Audio failed ({beat.audio_error}); here are the MIDI and the grid.")
    elif len(beat.audio.data) + len(beat.midi) + len(beat.image) > size_limit:
        content = (f"The {beat.audio.format} is too big to post here "
                   f"({len(beat.audio.data) / 2**20:.1f} MB); try format=mp3 or fewer bars.")
    else:
        name = f"beat.{beat.audio.format}"
        files.insert(0, discord.File(io.BytesIO(beat.audio.data), name))
    return Reply(content, _embed(beat, user, seconds, prefix), files)


def _embed(beat: Beat, user: discord.abc.User, seconds: float, prefix: str) -> discord.Embed:
    request = beat.request
    title = f"{request.style} beat for {plain(user.display_name, 32)}"
    embed = discord.Embed(title=title, colour=EMBED_COLOUR, description=_description(beat, prefix))
    embed.add_field(name="BPM", value=f"{request.bpm:g}")
    embed.add_field(name="Bars", value=_bars(beat))
    embed.add_field(name="Style", value=request.style)
    embed.add_field(name="Kit", value=beat.kit.name)
    embed.add_field(name="Seed", value=str(request.seed))
    embed.add_field(name="Temperature", value=f"{request.temperature:g}")
    feel = _feel(beat)
    if feel:
        embed.add_field(name="Feel", value=feel)
    embed.add_field(name="Time", value=f"{seconds:.1f} s")
    embed.set_image(url=f"attachment://{GRID_NAME}")
    embed.set_footer(text=f"model: {beat.model}")
    return embed


def _description(beat: Beat, prefix: str) -> str:
    request = beat.request
    label = "Replay"
    if request.vary is not None:
        label = "A variation; its settings"
    elif request.primer is not None:
        label = "Continued from a MIDI primer; its settings"
    return f"{label}: `{prefix}beat {replay_args(request.params())}`"


def _bars(beat: Beat) -> str:
    total = beat.pattern.bars
    if beat.request.primer is not None:
        return f"{total} ({total - beat.request.bars} primer + {beat.request.bars} new)"
    return str(total)


def _feel(beat: Beat) -> str:
    request = beat.request
    parts = []
    if request.fills:
        parts.append(f"fill every {request.fills} bars")
    if request.swing:
        parts.append(f"swing {request.swing:g}%")
    if request.humanize:
        parts.append(f"humanize {request.humanize:g}")
    return ", ".join(parts)
