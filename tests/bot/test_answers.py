"""Every way to get `!beat` wrong gets one clear line and a `user_error` row, never a traceback."""

from __future__ import annotations

import pytest

from tests.bot.conftest import log_rows

BAD_INPUTS = [
    # (what the user typed after !beat, a piece of the one line they must get back)
    ("bpm=85 foo=3", "`foo` is not a key"),
    ("bpm=85 beat=3", "`beat` is not a key"),  # `t=` inside `beat=` must not match temp
    ("stlye=trap", "did you mean `style`?"),
    ("bpm = 85", "no spaces around `=`, like `bpm=85`"),
    ("bpm= 85", "no spaces around `=`"),
    ("bpm=85 hello", "`hello` isn't a setting"),
    ("trap", "did you mean `style=trap`?"),
    ("bpm=80 tempo=90", "`bpm` is set twice"),
    ("bpm=", "`bpm` needs a value, like `bpm=85`"),
    ("bpm=fast", "`bpm` can't be `fast`: use a number from 40 to 300."),
    ("bpm=nan", "`bpm` can't be `nan`: use a number from 40 to 300."),
    ("bpm=inf", "`bpm` can't be `inf`: use a number from 40 to 300."),
    ("tempo=-1e999", "`bpm` can't be `-1e999`: use a number from 40 to 300."),
    ("bpm=301", "`bpm` can't be `301`"),
    ("bars=0", "`bars` can't be `0`: use a whole number from 1 to 64."),
    ("bars=2.5", "`bars` can't be `2.5`: use a whole number from 1 to 64."),
    ("bars=" + "9" * 60, "`bars` can't be `9999"),
    ("temp=5", "`temp` can't be `5`: use a number from 0.1 to 2."),
    ("t=NaN", "`temp` can't be `NaN`"),
    ("seed=-1", "`seed` can't be `-1`: use a whole number from 0 to 4294967295."),
    ("seed=4294967296", "`seed` can't be `4294967296`"),
    ("fills=3", "`fills` can't be `3`: use 0, 2, 4 or 8."),
    ("swing=80", "`swing` can't be `80`: use a number from 0 to 75."),
    ("humanize=2", "`humanize` can't be `2`: use a number from 0 to 1."),
    ("format=flac", "`format` can't be `flac`: use one of mp3, ogg, wav."),
    ("style=polka", "`style` can't be `polka`: use one of any,"),
    ("kit=cowbell", "`kit` can't be `cowbell`: use one of auto,"),
    ("style=a=b", "`style` can't be `a=b`"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS, ids=[t for t, _ in BAD_INPUTS])
async def test_bad_input_gets_one_clear_line(simcord_env, channel, alice, db_path, text,
                                             expected):
    await alice.send(channel, f"!beat {text}")

    reply = channel.last_message.content
    assert expected in reply
    assert "\n" not in reply and len(reply) < 300
    for leak in ("Traceback", "Could not convert", "Converting to", "Error:"):
        assert leak not in reply
    assert not channel.last_message.attachments
    (row,) = log_rows(db_path)
    assert (row["outcome"], row["source"], row["user_id"]) == ("user_error", "prefix", alice.id)
    assert row["error"] == reply
    assert simcord_env.errors  # the bot saw (and handled) the error


async def test_mentions_in_bad_values_do_not_ping(simcord_env, channel, alice):
    await alice.send(channel, "!beat style=@everyone")
    await alice.send(channel, "!beat kit=<@123456789012345678>")
    await alice.send(channel, "!beat style=`@here`")

    for message in channel.history():
        if message.author.id == simcord_env.bot.user.id:
            assert "@everyone" not in message.content and "@here" not in message.content
            assert "<@123456789012345678>" not in message.content
            assert not message.mentions and not message.mention_everyone
    assert simcord_env.errors


async def test_slash_bad_choice_is_ephemeral(simcord_env, channel, alice, db_path):
    result = await alice.slash(channel, "beat", style="polka")

    assert result.ephemeral
    assert "`style` can't be `polka`" in result.response.content
    assert log_rows(db_path)[0]["outcome"] == "user_error"
    assert log_rows(db_path)[0]["source"] == "slash"
    assert simcord_env.errors
