"""`!beat` and `/beat` end to end: the real bot, the real engine, simcord's Discord."""

from __future__ import annotations

import io
from types import SimpleNamespace

import av
import mido
import pytest

from bot.exts.beat._reply import build_reply
from engine.beat.request import BeatRequest
from engine.errors import RenderError
from tests.bot.conftest import log_rows


def deferred_first(env) -> bool:
    """True when the bot's first answer to the last interaction was a deferral (type 5)."""
    callbacks = [r.json for r in env.http_requests if r.path.endswith("/callback")]
    return bool(callbacks) and callbacks[-1]["type"] == 5


def button_labels(message) -> list[str]:
    """The buttons' labels, and each menu's placeholder, row by row."""
    return [getattr(child, "label", None) or child.placeholder
            for row in message.components for child in row.children]


def _attachments(message) -> dict[str, object]:
    return {attachment.filename: attachment for attachment in message.attachments}


async def _check_beat_message(message, audio_name: str = "beat.mp3") -> None:
    """One message carries the audio, the MIDI and an embed showing grid.png; all three parse."""
    files = _attachments(message)
    assert set(files) == {audio_name, "beat.mid", "grid.png"}
    midi = mido.MidiFile(file=io.BytesIO(await files["beat.mid"].read()))
    assert any(msg.type == "note_on" and msg.channel == 9 for msg in midi)
    with av.open(io.BytesIO(await files[audio_name].read())) as audio:
        seconds = sum(frame.samples / frame.sample_rate for frame in audio.decode(audio=0))
    assert seconds > 0.5  # one bar at 120 bpm is 2 s
    assert (await files["grid.png"].read()).startswith(b"\x89PNG")
    (embed,) = message.embeds
    assert embed.image.url == "attachment://grid.png"
    fields = {field.name: field.value for field in embed.fields}
    assert {"BPM", "Bars", "Style", "Kit", "Seed", "Temperature", "Time"} <= set(fields)
    assert button_labels(message) == ["Regenerate", "Variation", "Extend", "Stems", "New …",
                                      "Mute …"]


async def test_prefix_beat_posts_one_message_with_everything(simcord_env, channel, alice,
                                                              db_path):
    await alice.send(channel, "!beat bpm=100 bars=1 style=rock seed=7")

    message = channel.last_message
    await _check_beat_message(message)
    fields = {field.name: field.value for field in message.embeds[0].fields}
    assert (fields["BPM"], fields["Bars"], fields["Style"], fields["Seed"]) == (
        "100", "1", "rock", "7")
    (row,) = log_rows(db_path)
    assert (row["outcome"], row["source"], row["seed"], row["user_id"]) == (
        "ok", "prefix", 7, alice.id)
    assert row["error"] is None
    for column in ("queue_ms", "generate_ms", "render_ms", "encode_ms", "upload_ms", "total_ms"):
        assert row[column] is not None and row[column] >= 0, column


async def test_aliases_and_case_are_accepted(simcord_env, channel, alice, db_path):
    await alice.send(channel, "!beat TEMPO=95 Temperature=0.8 genre=TRAP audio=ogg length=1")

    await _check_beat_message(channel.last_message, "beat.ogg")
    params = log_rows(db_path)[0]["params"]
    assert '"bpm": 95.0' in params and '"style": "trap"' in params and '"temp": 0.8' in params


async def test_same_seed_gives_the_same_midi(simcord_env, channel, alice):
    await alice.send(channel, "!beat seed=42 style=hiphop")
    first = await _attachments(channel.last_message)["beat.mid"].read()
    await alice.send(channel, "!beat seed=42 style=hiphop")
    second = await _attachments(channel.last_message)["beat.mid"].read()
    assert first == second


async def test_slash_beat_defers_then_posts(simcord_env, channel, alice, db_path):
    result = await alice.slash(channel, "beat", bpm=110.0, style="trap", kit="808", seed=3)

    assert deferred_first(simcord_env)
    message = channel.last_message
    assert result.response.id == message.id  # the beat replaced "thinking…"
    await _check_beat_message(message)
    fields = {field.name: field.value for field in message.embeds[0].fields}
    assert (fields["BPM"], fields["Kit"], fields["Seed"]) == ("110", "808", "3")
    assert log_rows(db_path)[0]["source"] == "slash"


async def test_slash_options_carry_ranges_and_descriptions(simcord_env):
    command = simcord_env.bot.tree.get_command("beat")
    options = {param.name: param for param in command.parameters}
    assert set(options) >= {"bpm", "bars", "temp", "style", "kit", "seed", "fills", "swing",
                            "groove", "humanize", "format", "primer"}
    assert (options["bpm"].min_value, options["bpm"].max_value) == (40, 300)
    assert (options["bars"].min_value, options["bars"].max_value) == (1, 64)
    assert [c.value for c in options["format"].choices] == ["mp3", "ogg", "wav"]
    assert options["style"].autocomplete and options["kit"].autocomplete
    assert "tempo" in options["bpm"].description


async def test_style_and_kit_autocomplete(simcord_env, channel, alice):
    styles = await alice.autocomplete(channel, "beat", "style", "")
    kits = await alice.autocomplete(channel, "beat", "kit", "8")
    assert {c["value"] for c in styles} == {"any", *simcord_env.bot.maker.styles}
    assert [c["value"] for c in kits] == [k for k in simcord_env.bot.maker.kit_names if "8" in k]


async def test_every_send_disables_mentions(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=<@everyone>")
    await alice.send(channel, "!beat bars=1")
    posts = [r for r in simcord_env.http_requests if r.method == "POST" and "messages" in r.path]
    assert posts
    for post in posts:
        assert post.json["allowed_mentions"]["parse"] == [], post.json
    assert simcord_env.errors  # the refused style


async def test_record_transcript(simcord_env, channel, alice, tmp_path):
    """Print (and write to tmp) a readable transcript of one `!beat` exchange; run with -s."""
    await alice.send(channel, "!beat bpm=92 style=hiphop seed=2024 swing=30")
    message = channel.last_message
    embed = message.embeds[0]
    lines = ["> alice: !beat bpm=92 style=hiphop seed=2024 swing=30",
             f"< BeatBot: {embed.title}", f"  {embed.description}"]
    lines += [f"  [{field.name}] {field.value}" for field in embed.fields]
    lines.append(f"  image: {embed.image.url}  footer: {embed.footer.text}")
    lines += [f"  file: {a.filename} ({a.size} bytes)" for a in message.attachments]
    lines.append("  buttons: " + " | ".join(button_labels(message)))
    (tmp_path / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    assert "file: beat.mp3" in "\n".join(lines)


async def test_audio_failure_still_posts_midi_and_grid(simcord_env, channel, alice, db_path,
                                                       monkeypatch):
    def broken_render(*args, **kwargs):
        raise RenderError("soundfont 808.sf2 could not be loaded")

    # Fault injection: this one engine stage fails; everything else is the real engine.
    monkeypatch.setattr(simcord_env.bot.maker.renderer, "render", broken_render)

    await alice.send(channel, "!beat seed=4")

    message = channel.last_message
    assert message.content == ("Audio failed (soundfont 808.sf2 could not be loaded); here are "
                               "the MIDI and the grid.")
    assert {a.filename for a in message.attachments} == {"beat.mid", "grid.png"}
    assert message.embeds[0].image.url == "attachment://grid.png"
    (row,) = log_rows(db_path)
    assert row["outcome"] == "ok" and "could not be loaded" in row["error"]


async def test_audio_too_long_for_an_upload_is_reported(simcord_env, channel, alice):
    await alice.send(channel, "!beat bars=64 bpm=40 format=wav seed=1")  # 6.4 min of WAV

    message = channel.last_message
    assert message.content.startswith("Audio failed (") and "\n" not in message.content
    assert {a.filename for a in message.attachments} == {"beat.mid", "grid.png"}


def test_reply_leaves_out_audio_over_the_upload_limit(maker):
    beat = maker.make(BeatRequest(bars=1, seed=1))
    user = SimpleNamespace(display_name="alice")

    fits = build_reply(beat, user, 1.0, size_limit=10 * 2**20, prefix="!")
    too_big = build_reply(beat, user, 1.0, size_limit=len(beat.audio.data), prefix="!")

    assert [f.filename for f in fits.files] == ["beat.mp3", "beat.mid", "grid.png"]
    assert fits.content is None
    assert [f.filename for f in too_big.files] == ["beat.mid", "grid.png"]
    assert too_big.content.startswith("The mp3 is too big to post here (")


def _settings_of(message) -> dict[str, str]:
    return {field.name: field.value for field in message.embeds[0].fields}


@pytest.mark.parametrize("text", [
    "!beat bpm=85\u200b seed=1", "!beat \u200bbpm=85 seed=1", "!beat bpm=85\u00a0seed=1",
    "!beat bpm=\u206085 seed=1", "!beat\u2009bpm=85 seed=1\ufeff",
    "!beat\u200b bpm=85 seed=1", "\u200b!beat bpm=85 seed=1", "!\u200bbeat bpm=85 seed=1",
])
async def test_invisible_characters_are_ignored(simcord_env, channel, alice, text):
    await alice.send(channel, text)

    assert _settings_of(channel.last_message)["BPM"] == "85"


async def test_slash_values_with_outer_spaces_are_read(simcord_env, channel, alice):
    await alice.slash(channel, "beat", style="Trap ", kit=" 808\u200b", seed=3)

    assert (_settings_of(channel.last_message)["Style"], _settings_of(channel.last_message)["Kit"]
            ) == ("trap", "808")


@pytest.mark.parametrize(("text", "key", "shown"), [
    ("!beat swing=30% seed=1", "Feel", "swing 30%"), ("!beat bars=2.0 seed=1", "Bars", "2"),
    ("!beat style=hip-hop seed=1", "Style", "hiphop"),
    ("!beat style=Hip_Hop seed=1", "Style", "hiphop"),
    ("!beat style=new-orleans seed=1", "Style", "neworleans"),
])
async def test_forms_people_type_are_read(simcord_env, channel, alice, text, key, shown):
    await alice.send(channel, text)

    assert _settings_of(channel.last_message)[key] == shown


@pytest.mark.parametrize(("text", "expected"), [
    ("!beat bars=2.5", "`bars` can't be `2.5`"), ("!beat swing=30%%", "`swing` can't be"),
    ("!beat bars=²", "`bars` can't be `²`"), ("!beat seed=¹", "`seed` can't be `¹`"),
    ("!beat bpm=８５", "`bpm` can't be `８５`"), ("!beat style=hip--hopx", "`style` can't be"),
])
async def test_ambiguous_forms_get_one_line(simcord_env, channel, alice, text, expected):
    await alice.send(channel, text)

    line = channel.last_message.content
    assert expected in line and "\n" not in line and "Error" not in line
    simcord_env.errors  # noqa: B018


@pytest.mark.parametrize("text", ["!beat help", "!beat HELP", "!beat --help", "!beat ?"])
async def test_beat_help_shows_the_key_table(simcord_env, channel, alice, db_path, text):
    await alice.send(channel, text)

    reply = channel.last_message.content
    assert "swing" in reply and "humanize" in reply and "```" in reply
    assert not channel.last_message.attachments
