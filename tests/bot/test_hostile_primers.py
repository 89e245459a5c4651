"""Hostile primers: each gets one clear line, in bounded memory, and the bot serves the next beat.

Each file is built here byte by byte where mido would refuse to write it (a tempo of 0, a
header claiming 10,000 tracks). The same files go straight to `read_midi` (peak memory
measured; the reader's event and note limits bound its work, and speed belongs to bench/) and
through `!beat` as attachments.
"""

from __future__ import annotations

import io
import struct
import tracemalloc

import discord
import mido
import pytest

from engine.beat.request import PRIMER_MAX_BYTES
from engine.errors import BadPrimer
from engine.music.midi_io import MAX_EVENTS, MAX_NOTES, read_midi
from tests.bot.conftest import drum_midi, log_rows

MEMORY_LIMIT_BYTES = 32 * 2**20
KICK, SNARE, PIANO = 36, 38, 60


def _chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack(">L", len(body)) + body


def _file(tracks: list[bytes], kind: int = 1, declared: int | None = None,
          ticks_per_beat: int = 480) -> bytes:
    """A MIDI file from raw track bodies (event bytes, each ending in end-of-track)."""
    count = len(tracks) if declared is None else declared
    header = _chunk(b"MThd", struct.pack(">hhh", kind, count, ticks_per_beat))
    return header + b"".join(_chunk(b"MTrk", body) for body in tracks)


END = b"\x00\xff\x2f\x00"


def _notes(count: int, channel: int = 9, pitch: int = KICK) -> bytes:
    """`count` notes a 16th apart in running status (3 bytes each, then 3 for the note-off)."""
    on = bytes([0x90 | channel, pitch, 100])
    body = bytearray()
    for index in range(count):
        body += b"\x00" + (on if index == 0 else on[1:])
        body += b"\x78" + bytes([pitch, 0])  # 120 ticks later, velocity 0 ends it
    return bytes(body)


def _tempo(raw: bytes) -> bytes:
    return b"\x00\xff\x51" + bytes([len(raw)]) + raw


def _mido_bytes(midi: mido.MidiFile) -> bytes:
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _piano_only() -> bytes:
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Piano")])
    track += [mido.Message("note_on", channel=0, note=PIANO, velocity=90, time=240),
              mido.Message("note_off", channel=0, note=PIANO, time=240)]
    midi = mido.MidiFile(type=1)
    midi.tracks.append(track)
    return _mido_bytes(midi)


def _type_2() -> bytes:
    return _file([_notes(8) + END, _notes(8) + END], kind=2)


HOSTILE = {
    # name: (file bytes, a piece of the line the user must get)
    "empty": (b"", "empty"),
    "not MIDI": (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8, "not a MIDI file"),
    "truncated": (drum_midi()[:40], "damaged or cut short"),
    "no drums": (_piano_only(), "no drum notes"),
    "type 2": (_type_2(), "type-2"),
    "10,000 tracks": (_file([END] * 10_000), "10,000 tracks"),
    "tempo 0": (_file([_tempo(b"\x00\x00\x00") + _notes(8) + END]), "not a usable tempo"),
    "tempo 1 us (60 million BPM)": (_file([_tempo(b"\x00\x00\x01") + _notes(8) + END]),
                                    "not a usable tempo"),
    "tempo 1e9 us": (_file([_tempo((10**9).to_bytes(4, "big")) + _notes(8) + END]),
                     "not a usable tempo"),
    "30,000 notes": (_file([_notes(30_000) + END]), f"more than {MAX_NOTES:,} notes"),
    "80,000 controllers": (_file([b"\x00\xb9\x04\x40" + b"\x00\x04\x40" * 80_000 + END]),
                           f"more than {MAX_EVENTS:,} MIDI events"),
    "a hit 2^27 ticks in": (_file([b"\x00\x99\x24\x64" + b"\xbf\xff\xff\x7f\x24\x64" + END],
                                  ticks_per_beat=1), "longer than"),
}
"""Each fits the 256 KB attachment limit, so the bot downloads it and the engine refuses it."""

TOO_BIG = {
    "100,000 notes": (_file([_notes(100_000) + END]), f"more than {MAX_NOTES:,} notes"),
    "10 MB": (b"MThd" + bytes(10 * 2**20), "the file is over 1024 KB"),
}
"""Past the attachment limit: the bot refuses these before downloading them."""


def _refused_quickly(data: bytes) -> str:
    """Call read_midi on hostile data; return its BadPrimer line (memory bounded)."""
    tracemalloc.start()
    try:
        with pytest.raises(BadPrimer) as refused:
            read_midi(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT_BYTES, f"{peak / 2**20:.1f} MB"
    return str(refused.value)


def test_hostile_files_fit_the_attachment_limit_or_not():
    assert all(len(data) <= PRIMER_MAX_BYTES for data, _ in HOSTILE.values())
    assert all(len(data) > PRIMER_MAX_BYTES for data, _ in TOO_BIG.values())


@pytest.mark.parametrize("name", list(HOSTILE))
def test_read_midi_refuses_hostile_files_fast_and_small(name):
    data, expected = HOSTILE[name]
    line = _refused_quickly(data)
    assert expected in line and "\n" not in line


@pytest.mark.parametrize("name", list(TOO_BIG))
def test_read_midi_refuses_oversized_files(name):
    data, expected = TOO_BIG[name]
    assert expected in _refused_quickly(data)


def test_a_file_on_disk_is_measured_before_it_is_read(tmp_path):
    path = tmp_path / "huge.mid"
    path.write_bytes(TOO_BIG["10 MB"][0])
    with pytest.raises(BadPrimer, match="at most"):
        read_midi(path)


def test_limits_leave_a_long_real_performance_alone():
    """A 64-bar file with a hit on every 16th (1,024 notes) still reads."""
    assert read_midi(_file([_notes(1024) + END])).pattern.bars == 64


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_bot_answers_hostile_primers_with_one_line(simcord_env, channel, alice, db_path,
                                                         name):
    data, expected = HOSTILE[name]
    await alice.send(channel, "!beat bars=1", attachments=[("primer.mid", data)])

    reply = channel.last_message
    assert reply.content.startswith("That MIDI file can't be continued: ")
    assert expected in reply.content and "\n" not in reply.content
    assert len(reply.content) <= 200 and not reply.attachments
    assert simcord_env.errors
    await alice.send(channel, "!beat bars=1")
    assert channel.last_message.attachments  # the next request is served
    assert [row["outcome"] for row in log_rows(db_path)] == ["user_error", "ok"]


@pytest.mark.parametrize("name", list(TOO_BIG))
async def test_bot_refuses_oversized_primers_before_download(simcord_env, channel, alice,
                                                             db_path, name, monkeypatch):
    downloads: list[str] = []
    monkeypatch.setattr(discord.Attachment, "read",
                        lambda self, **kwargs: downloads.append(self.filename))

    await alice.send(channel, "!beat", attachments=[("primer.mid", TOO_BIG[name][0])])

    reply = channel.last_message.content
    assert reply.startswith("`primer` can't be `") and "at most 256 KB" in reply
    assert downloads == []
    assert log_rows(db_path)[0]["outcome"] == "user_error"
    assert simcord_env.errors


@pytest.mark.bot_settings(cooldown_s=30, cooldown_rate=3)
async def test_damaged_primers_count_against_the_cooldown_before_they_are_read(
        simcord_env, channel, alice, db_path):
    damaged = _file([b"\x00" + b"\xff" * 4096])  # a delta time that never ends
    for _ in range(4):
        await alice.send(channel, "!beat bars=1", attachments=[("primer.mid", damaged)])
    lines = [message.content for message in channel.history() if message.author.bot]
    assert [line.split(":")[0] for line in lines[-4:]] == [
        "That MIDI file can't be continued"] * 3 + ["Slow down"]
    assert [row["outcome"] for row in log_rows(db_path)] == ["user_error"] * 3 + ["cooldown"]
    assert simcord_env.errors
