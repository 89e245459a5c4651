"""Turn a made Beat into one Discord message: audio, MIDI and an embed with the drum grid."""

from __future__ import annotations

import io
from dataclasses import dataclass

import discord

from bot.exts.beat._press import FOLLOW_NAME, PRIMER_NAME
from bot.text import one_line, plain
from engine.beat.maker import Beat
from engine.beat.request import BeatRequest
from engine.beat.syntax import replay_text

GRID_NAME = "grid.png"
MIDI_NAME = "beat.mid"
STEMS_NAME = "beat_stems.zip"
"""The user's own MIDI file, posted back with a beat that continues it: it is part of the
beat's recipe, so the buttons read it from here."""
EMBED_COLOUR = discord.Colour.from_rgb(235, 94, 40)


@dataclass
class Reply:
    """What to send: keyword arguments for `send`, less the view."""

    content: str | None
    embed: discord.Embed
    files: list[discord.File]
    request: BeatRequest
    """The beat's recipe (what its buttons carry)."""
    size: int = 0
    """Bytes of the attachments."""

    def kwargs(self) -> dict[str, object]:
        """As keyword arguments for `Messageable.send` / `Webhook.send`."""
        return {"content": self.content, "embed": self.embed, "files": self.files}


def build_reply(beat: Beat, user: discord.abc.User, seconds: float, size_limit: int,
                prefix: str, audio: bool = True, note: str | None = None) -> Reply:
    """Lay out the message for a beat.

    Args:
        beat: what the engine made.
        user: who asked (named in the title).
        seconds: time from request to now.
        size_limit: most bytes one message may upload; audio that would pass it is left out.
        prefix: the command prefix, for the replay line.
        audio: False leaves the audio and the stems out (the retry after Discord refused the
            upload).
        note: the line to post with it (used as is when the audio is left out).
    """
    blobs = [(beat.midi, MIDI_NAME), (beat.image, GRID_NAME)]
    if beat.request.primer is not None:
        blobs.append((beat.request.primer, PRIMER_NAME))
    if beat.request.follow is not None:
        blobs.append((beat.request.follow, FOLLOW_NAME))
    lines = [note] if note else []
    if audio:
        line, sound = _audio(beat, size_limit - sum(len(data) for data, _ in blobs))
        lines += [line] if line else []
        blobs[:0] = [sound] if sound else []
        line, stems = _stems(beat, size_limit - sum(len(data) for data, _ in blobs))
        lines += [line] if line else []
        blobs += [stems] if stems else []
    content = " ".join(lines) or None
    files = [discord.File(io.BytesIO(data), name) for data, name in blobs]
    return Reply(_with_remarks(content, beat), _embed(beat, user, seconds, prefix), files,
                 beat.request, sum(len(data) for data, _ in blobs))


def replay_line(request: BeatRequest) -> str:
    """The recipe as settings text (`bpm=90 ... seed=7 then=vary:5`): it makes the beat again."""
    return replay_text(request.params())


def _with_remarks(content: str | None, beat: Beat) -> str | None:
    """The reply's line, with what the engine said about reading the request."""
    lines = [*beat.remarks, *([content] if content else [])]
    return one_line(" ".join(lines), 400) if lines else None


def _audio(beat: Beat, room: int) -> tuple[str | None, tuple[bytes, str] | None]:
    """The audio attachment (if it exists and fits in `room` bytes) and the line about it."""
    if beat.audio is None:
        return one_line(f"Audio failed ({beat.audio_error}); here are the MIDI and the grid."), None
    if len(beat.audio.data) > room:
        return (f"The {beat.audio.format} is too big to post here "
                f"({len(beat.audio.data) / 2**20:.1f} MB); try format=mp3 or fewer bars."), None
    return None, (beat.audio.data, f"beat.{beat.audio.format}")


def _stems(beat: Beat, room: int) -> tuple[str | None, tuple[bytes, str] | None]:
    """The stems zip (if asked for and it fits in `room` bytes; else the MIDI stems alone)
    and the line about it."""
    stems = beat.stems
    if stems is None:
        return None, None
    if len(stems.zip) <= room:
        return stems.note, (stems.zip, STEMS_NAME)
    line = (f"The stems come to {len(stems.zip) / 2**20:.1f} MB, more than fits here with "
            "the beat, so the zip holds the MIDI stems alone; format=mp3 or fewer bars make "
            "the audio stems fit.")
    midi = stems.midi_only()
    if len(midi) <= room:
        return line, (midi, STEMS_NAME)
    return "The stems don't fit in this message; try fewer bars.", None


CONTROLS = ("**New …** writes one part new around the rest (`then=new:hats:5`) · **Mute …** "
            "leaves parts out (`mute=toms,cymbals`) · **Stems** adds a zip, one file per drum "
            "(`stems=yes`)")
"""What the controls under a beat do, each with the key that does it in a request."""


def _embed(beat: Beat, user: discord.abc.User, seconds: float, prefix: str) -> discord.Embed:
    request = beat.request
    title = f"{request.style} beat for {plain(user.display_name, 32)}"
    embed = discord.Embed(title=title, colour=EMBED_COLOUR, description=_description(beat, prefix))
    embed.add_field(name="BPM", value=f"{request.bpm:g}")
    embed.add_field(name="Bars", value=_bars(beat))
    embed.add_field(name="Style", value=request.style)
    embed.add_field(name="Kit", value=beat.kit.name)
    then = ", ".join(edit.text() for edit in request.then)
    embed.add_field(name="Seed", value=f"{request.seed} then {then}" if then else str(request.seed))
    embed.add_field(name="Temperature", value=f"{request.temperature:g}")
    feel = _feel(beat)
    if feel:
        embed.add_field(name="Feel", value=feel)
    if request.mute:
        embed.add_field(name="Muted", value=", ".join(request.mute))
    embed.add_field(name="Time", value=f"{seconds:.1f} s")
    embed.add_field(name="Controls", value=CONTROLS, inline=False)
    embed.set_image(url=f"attachment://{GRID_NAME}")
    embed.set_footer(text=f"model: {beat.model}")
    return embed


def _description(beat: Beat, prefix: str) -> str:
    label = "Replay"
    if beat.request.primer is not None:
        label = f"Continued from your MIDI file ({PRIMER_NAME}); replay with it attached"
    if beat.request.follow is not None:
        label = f"Following your MIDI file ({FOLLOW_NAME}); replay with it attached"
    return f"{label}: `{prefix}beat {replay_line(beat.request)}`"


def _bars(beat: Beat) -> str:
    total, new = beat.pattern.bars, beat.request.new_bars
    if beat.request.primer is not None:
        return f"{total} ({total - new} primer + {new} new)"
    return str(total)


def _feel(beat: Beat) -> str:
    request = beat.request
    parts = []
    if request.fills:
        parts.append(f"fill every {request.fills} bars")
    if request.swing:
        parts.append(f"swing {request.swing:g}%")
    if request.groove != 1:
        parts.append(f"groove {request.groove:g}")
    if request.humanize:
        parts.append(f"humanize {request.humanize:g}")
    return ", ".join(parts)
