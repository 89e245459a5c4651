"""Fuzz `!beat`: 10,000 arbitrary argument strings through the real bot in simcord.

Each string gets exactly one reply, a beat or one line of at most 200 characters; it is logged;
nothing the bot sends can ping anyone; no error escapes that is not the user's doing; and a
plain `!beat` still works afterwards.

Speed: beats are one bar of WAV (the bot's defaults here), most strings are invalid, and each
message is settled with a 1 ms idle instead of the 50 ms `Member.send` uses (the messages go
in through simcord's backend, as `Member.send` puts them). The examples are derandomised,
so CI runs the same 10,000 every time.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import simcord
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.answers import answer_for
from bot.app import BeatBot, create_bot
from bot.settings import Settings
from bot.text import LINE_LIMIT
from engine.beat.maker import BeatMaker
from engine.beat.request import FIELDS

EXAMPLES = 10_000
MESSAGE_LIMIT = 2000
"""Discord's longest message, in characters."""
PREFIX = "!beat "
LOG_WAIT_S = 10.0
"""Longest wait for a request's log row after its reply: the bot writes it through
aiosqlite's thread, which a loop settled for 1 ms can still be waiting on."""
PINGS = re.compile(r"@everyone|@here|<@[!&]?\d+>")
"""Text Discord would read as a mention (allowed_mentions is checked separately)."""

KEYS = [name for f in FIELDS for name in (f.key, *f.aliases)]
MENTIONS = ["@everyone", "@here", "<@&123456789012345678>", "<@&1>", "<@123456789012345678>",
            "<@!123456789012345678>", "<#123456789012345678>", "@​everyone", "＠everyone"]
MARKDOWN = ["`", "``", "```", "```py\nprint(1)\n```", "`@everyone`", "||x||", "**", "> quote",
            "\\", "\n", "\r\n", "\t", "\u200b", "\u202e", "\ufeff", "🥁", "ﷺ", "Z̤͔ͧ̑̓"]
NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "1e309", "-1e999", "1e-400",
           "0", "-0", "-1", "-0.0", "1" + "0" * 30, "9" * 400, "0x10", "1_000", "12e", ".",
           "١٢٠", "１２０", "120.", ".5", "5e-1", "4294967295", "4294967296", "-4294967296"]
WORDS = ["trap", "rock", "TRAP", "808", "acoustic", "auto", "any", "mp3", "ogg", "wav", "flac",
         "true", "None", "null", "=", "==", "", " "]
ODD = MENTIONS + MARKDOWN + NUMBERS + WORDS

SEPARATORS = st.sampled_from(["=", "=", "=", "==", " = ", "= ", " =", ":", ""])
KEY = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS).map(str.upper),
                st.text(max_size=12), st.sampled_from(ODD))
VALUE = st.one_of(st.sampled_from(ODD), st.integers(-(10**40), 10**40).map(str),
                  st.floats().map(str), st.text(max_size=30))
PAIR = st.builds(lambda key, sep, value: f"{key}{sep}{value}", KEY, SEPARATORS, VALUE)
NOISE = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
JUNK = st.lists(st.one_of(PAIR, PAIR, NOISE), min_size=1, max_size=10).map(" ".join)
REPEATED = st.builds(lambda pair, times: " ".join([pair] * times), PAIR, st.integers(2, 400))
LONG = st.one_of(
    st.text(min_size=MESSAGE_LIMIT - len(PREFIX) - 40, max_size=MESSAGE_LIMIT - len(PREFIX)),
    REPEATED,
    st.sampled_from(ODD).map(lambda odd: (odd + " ") * (MESSAGE_LIMIT // (len(odd) + 1))),
)
VALID_VALUES = {
    "bpm": st.sampled_from(["40", "300", "90", "120.5", "1e2"]),
    "bars": st.sampled_from(["1", "2"]),
    "temp": st.sampled_from(["0.1", "2", "1.0"]),
    "style": st.sampled_from(["any", "trap", "Rock"]),
    "kit": st.sampled_from(["auto", "808", "ACOUSTIC"]),
    "seed": st.integers(0, 2**32 - 1).map(str),
    "fills": st.sampled_from(["0", "2", "4", "8"]),
    "swing": st.sampled_from(["0", "33", "75"]),
    "humanize": st.sampled_from(["0", "0.5", "1"]),
    "format": st.just("wav"),
}
VALID = st.lists(st.sampled_from(sorted(VALID_VALUES)), unique=True, max_size=3).flatmap(
    lambda keys: st.tuples(*(VALID_VALUES[key].map(lambda v, k=key: f"{k}={v}") for key in keys))
).map(" ".join)
ARGUMENTS = st.sampled_from(range(100)).flatmap(
    lambda n: VALID if n < 2 else LONG if n < 12 else JUNK
).map(lambda text: text[: MESSAGE_LIMIT - len(PREFIX)])
"""About 2 in 100 valid (each makes a real beat), 10 in 100 near 2,000 characters, the rest junk
(with valid pieces in it often enough that some of it is valid too)."""


@dataclass
class Harness:
    """The bot in simcord with one channel and one user, and what the fuzzing has seen."""

    bot: BeatBot
    env: simcord.Env
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    log: sqlite3.Connection
    sent: int = 0
    beats: int = 0
    long: int = 0
    """Messages of 1,900 characters or more."""
    lines: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def start(cls, settings: Settings, maker: BeatMaker) -> Harness:
        bot = await create_bot(settings, maker)
        env = simcord.Env(bot, shard_count=1)
        await env.start()
        channel = env.create_guild().create_text_channel("beats")
        alice = env.guild.add_member(env.create_user("alice"))
        return cls(bot, env, channel, alice, sqlite3.connect(settings.database))

    async def stop(self) -> None:
        self.log.close()
        await self.env.shutdown()
        await self.bot.close()

    async def send(self, text: str) -> dict:
        """Post `!beat text` as alice, let the bot finish, return the one reply's payload."""
        posted, errors = len(self.env.http_requests), self.env.error_cursor
        self.env.backend.create_message(self.channel.id, self.alice.id, PREFIX + text)
        await self.env.settle(timeout=30, idle=0.001)
        self.sent += 1
        deadline = time.perf_counter() + LOG_WAIT_S
        while self.logged() < self.sent and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        self.long += len(PREFIX + text) >= 1900
        replies = [r.json for r in self.env.http_requests[posted:]
                   if r.method == "POST" and r.path.endswith("/messages")]
        assert len(replies) == 1, replies
        unexpected = [e for e in self.env.errors_since(errors) if not answer_for(e).expected]
        assert not unexpected, unexpected
        return replies[0]

    def check(self, reply: dict) -> None:
        """One reply: no pings, and either a beat or one short line."""
        assert reply["allowed_mentions"] == {"parse": [], "replied_user": False}, reply
        content = reply.get("content")
        assert not PINGS.search(content or ""), content
        stored = next(reversed(self.env.backend.messages[self.channel.id].values()))
        assert stored.author_id == self.bot.user.id
        assert not (stored.ping_user_ids or stored.ping_role_ids or stored.mention_everyone)
        if reply.get("attachments"):
            self.beats += 1
            assert {a["filename"] for a in reply["attachments"]} >= {"beat.mid", "grid.png"}
            assert content is None or ("\n" not in content and len(content) <= LINE_LIMIT)
            assert not PINGS.search(reply["embeds"][0]["description"])
        else:
            assert content and "\n" not in content and len(content) <= LINE_LIMIT, content
            kind = content.split(":")[0][:40]
            self.lines[kind] = self.lines.get(kind, 0) + 1
        assert self.logged() == self.sent

    def logged(self) -> int:
        """Rows in the request log now."""
        ((rows,),) = self.log.execute("SELECT COUNT(*) FROM requests").fetchall()
        return rows


def test_fuzzed_beat_arguments_each_get_one_safe_reply(maker, tmp_path: Path):
    bot_settings = Settings(_env_file=None, database=tmp_path / "fuzz.db", cooldown_s=0,
                            default_bars=1, default_bpm=120.0, default_format="wav")
    start = time.perf_counter()
    with asyncio.Runner() as runner:
        harness = runner.run(Harness.start(bot_settings, maker))
        try:

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.generate, Phase.shrink],
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.large_base_example])
            @given(ARGUMENTS)
            def one_reply(text: str) -> None:
                harness.check(runner.run(harness.send(text)))

            one_reply()
            plain = runner.run(harness.send(""))  # a normal `!beat` still works
            harness.check(plain)
            assert {a["filename"] for a in plain["attachments"]} == {
                "beat.wav", "beat.mid", "grid.png"}
            harness.env.errors  # noqa: B018 - acknowledges the refusals it saw
        finally:
            runner.run(harness.stop())
    elapsed = time.perf_counter() - start

    assert harness.sent >= EXAMPLES + 1
    assert 0 < harness.beats < harness.sent / 5  # both kinds of answer were exercised
    assert harness.long > EXAMPLES / 100
    print(f"\n{harness.sent} messages ({harness.long} of 1,900+ characters), {harness.beats} "
          f"beats, {elapsed:.0f} s; lines: "
          f"{sorted(harness.lines.items(), key=lambda kv: -kv[1])[:12]}")
