"""User text echoed back: one line, bounded, and no `@` left that Discord could read as a ping."""

from __future__ import annotations

import re

import pytest

from bot.text import LINE_LIMIT, ZERO_WIDTH_SPACE, defuse, inline, one_line, plain

PINGS = re.compile(r"@everyone|@here|<@[!&]?\d+>")


@pytest.mark.parametrize("text", ["@everyone", "@here", "<@&1>", "<@&123456789012345678>",
                                  "<@123>", "<@!123456789012345678>", "a@b", "@@@@"])
def test_every_mention_form_is_defused(text):
    for render in (defuse, inline, plain, one_line):
        out = render(text)
        assert not PINGS.search(out) and "@" in out, (render.__name__, out)
        assert out.replace(ZERO_WIDTH_SPACE, "").replace("\\", "") == text.replace("`", "ˋ")


def test_defusing_twice_changes_nothing():
    once = defuse("@everyone <@&1>")
    assert defuse(once) == once


@pytest.mark.parametrize("text", ["@" * 500, "<@&1> " * 100, "word " * 100 + "@everyone"])
def test_lines_stay_within_the_limit_after_defusing(text):
    line = one_line(text)
    assert len(line) <= LINE_LIMIT and "\n" not in line and not PINGS.search(line)
    assert not line.endswith("@…")
    assert len(inline(text)) <= 40


def test_one_line_squashes_whitespace():
    assert one_line("a\nb\t c\r\n") == "a b c"
