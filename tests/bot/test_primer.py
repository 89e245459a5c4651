"""A .mid attached to `!beat` (or given to `/beat primer:`) is continued; bad ones are refused."""

from __future__ import annotations

import discord

from engine.beat.request import PRIMER_MAX_BYTES
from engine.music.midi_io import read_midi
from tests.bot.conftest import drum_midi, log_rows


async def _beat_midi(message) -> bytes:
    (attachment,) = [a for a in message.attachments if a.filename == "beat.mid"]
    return await attachment.read()


async def test_attached_midi_is_continued(simcord_env, channel, alice, db_path):
    primer = drum_midi(bars=2)

    await alice.send(channel, "!beat bars=2 seed=1", attachments=[("groove.mid", primer)])

    message = channel.last_message
    fields = {field.name: field.value for field in message.embeds[0].fields}
    assert fields["Bars"] == "4 (2 primer + 2 new)"
    assert message.embeds[0].description.startswith("Continued from your MIDI file")
    given, made = read_midi(primer).pattern, read_midi(await _beat_midi(message)).pattern
    assert made.steps == 2 * given.steps
    assert made.slice(0, given.steps) == given
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and f'"primer_bytes": {len(primer)}' in row["params"]


async def test_slash_primer_option(simcord_env, channel, alice, db_path):
    await alice.slash(channel, "beat", bars=1, primer=("loop.mid", drum_midi(bars=1)))

    fields = {field.name: field.value for field in channel.last_message.embeds[0].fields}
    assert fields["Bars"] == "2 (1 primer + 1 new)"


async def test_oversized_primer_is_refused_before_download(simcord_env, channel, alice,
                                                            db_path, monkeypatch):
    downloads: list[str] = []
    original = discord.Attachment.read

    async def counting_read(self, **kwargs):
        downloads.append(self.filename)
        return await original(self, **kwargs)

    monkeypatch.setattr(discord.Attachment, "read", counting_read)
    big = drum_midi() + b"\0" * PRIMER_MAX_BYTES

    await alice.send(channel, "!beat", attachments=[("big.mid", big)])

    reply = channel.last_message.content
    assert reply.startswith("`primer` can't be `") and "at most 256 KB" in reply
    assert downloads == []
    assert log_rows(db_path)[0]["outcome"] == "user_error"
    assert simcord_env.errors


async def test_garbage_midi_is_refused(simcord_env, channel, alice, db_path):
    await alice.send(channel, "!beat", attachments=[("junk.mid", b"definitely not MIDI" * 10)])

    reply = channel.last_message.content
    assert reply.startswith("That MIDI file can't be continued: ")
    assert "\n" not in reply and "Traceback" not in reply
    assert log_rows(db_path)[0]["outcome"] == "user_error"
    assert simcord_env.errors


async def test_other_attachments_are_refused(simcord_env, channel, alice):
    await alice.send(channel, "!beat", attachments=[("cat.png", b"\x89PNG\r\n\x1a\n")])

    assert "attach a drum .mid file" in channel.last_message.content
    assert simcord_env.errors


async def test_a_mid_after_another_attachment_is_used(simcord_env, channel, alice):
    await alice.send(channel, "!beat bars=1 seed=1",
                     attachments=[("cover.png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
                                  ("groove.mid", drum_midi(bars=2))])

    fields = {field.name: field.value for field in channel.last_message.embeds[0].fields}
    assert fields["Bars"] == "3 (2 primer + 1 new)"


async def test_slash_primer_errors_are_private(simcord_env, channel, alice, db_path):
    result = await alice.slash(channel, "beat", primer=("loop.mid", b"MThd garbage"))

    assert result.ephemeral
    assert result.response.content.startswith("That MIDI file can't be continued: ")
    assert not [m for m in channel.history() if m.author.bot]
    assert log_rows(db_path)[-1]["outcome"] == "user_error"
    simcord_env.errors  # noqa: B018


def _channel_one_clip() -> bytes:
    """A type-0 drum clip on MIDI channel 1, as many DAWs export one: GM kick, snare, hats."""
    from tests.midi_fixtures import drum_file

    hits = [(b / 2, 42, 80) for b in range(16)]
    hits += [(b, 36 if b % 2 == 0 else 38, 110) for b in range(8)]
    return drum_file(sorted(hits), file_type=0, channel=0, meter=None)


async def test_a_drum_clip_on_channel_1_is_read_as_drums_and_said_so(simcord_env, channel,
                                                                     alice):
    clip = _channel_one_clip()
    await alice.send(channel, "!beat bars=1 seed=1", attachments=[("clip.mid", clip)])

    message = channel.last_message
    fields = {field.name: field.value for field in message.embeds[0].fields}
    assert fields["Bars"] == "3 (2 primer + 1 new)"
    assert "channel 1 was read as drums" in message.content and "\n" not in message.content


async def test_variation_of_a_continued_beat_keeps_the_primer(simcord_env, channel, alice):
    primer = drum_midi(bars=2)
    await alice.send(channel, "!beat bars=2 seed=1 swing=40", attachments=[("g.mid", primer)])
    first = channel.last_message
    assert "primer.mid" in {a.filename for a in first.attachments}

    await alice.click(first, label="Extend")

    second = channel.last_message
    fields = {field.name: field.value for field in second.embeds[0].fields}
    assert fields["Bars"] == "8 (2 primer + 6 new)"
    given, made = read_midi(primer).pattern, read_midi(await _beat_midi(second)).pattern
    assert made.slice(0, given.steps) == given
