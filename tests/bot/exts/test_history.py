"""`!history` and `!stats` (bot.exts.history), through simcord on a real SQLite log."""

from __future__ import annotations

from tests.bot.conftest import drum_midi


async def test_history_lists_your_beats_with_replay_lines(simcord_env, channel, alice, bob):
    await alice.send(channel, "!history")
    assert channel.last_message.content.startswith("No beats yet")
    for seed in (1, 2):
        await alice.send(channel, f"!beat style=trap seed={seed}")
    await bob.send(channel, "!beat seed=3")

    await alice.send(channel, "!history")

    text = channel.last_message.content
    assert text.startswith("Your last 2 beats")
    assert "`!beat bpm=120 bars=1 style=trap kit=" in text
    assert text.index("seed=2") < text.index("seed=1") and "seed=3" not in text


async def test_replayed_history_line_gives_the_same_beat(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=rock swing=20")
    first = channel.last_message
    await alice.send(channel, "!history")
    line = channel.last_message.content.splitlines()[1]
    replay = line[line.index("`") + 1: line.rindex("`")]

    await alice.send(channel, replay)

    midi = [await a.read() for m in (first, channel.last_message)
            for a in m.attachments if a.filename == "beat.mid"]
    assert midi[0] == midi[1]


async def test_stats(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=trap")
    await alice.send(channel, "!beat style=trap")
    await alice.send(channel, "!beat style=rock")
    await alice.send(channel, "!beat bpm=1")

    await alice.send(channel, "!stats")

    text = channel.last_message.content
    assert text.startswith("Today: 3 beats served (4 requests).")
    assert "Median time to reply: " in text and "Top styles: trap (2), rock (1)." in text
    assert simcord_env.errors  # the bpm=1 refusal


async def test_stats_before_any_beat(simcord_env, channel, alice):
    await alice.send(channel, "!stats")

    assert channel.last_message.content == ("Today: 0 beats served (0 requests). Median time "
                                            "to reply: n/a. Top styles: none yet.")


async def test_one_continued_beat_is_counted_singly_and_says_to_attach_the_file(
        simcord_env, channel, alice):
    await alice.send(channel, "!beat seed=4", attachments=[("groove.mid", drum_midi())])
    await alice.send(channel, "!stats")
    stats = channel.last_message.content

    await alice.send(channel, "!history")

    lines = channel.last_message.content.splitlines()
    assert lines[0].startswith("Your last 1 beat (newest first)")
    assert len(lines) == 2 and lines[1].endswith("seed=4` (attach the same .mid)")
    assert stats.startswith("Today: 1 beat served (1 request).")


async def test_slash_history_gives_lines_typed_with_the_prefix(simcord_env, channel, alice):
    await alice.send(channel, "!beat seed=5")

    result = await alice.slash(channel, "history")

    assert "`!beat bpm=120 bars=1" in result.response.content
