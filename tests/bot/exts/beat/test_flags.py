"""The strict `key=value` scan behind BeatFlags: anything typed gives pairs or one safe line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.exts.beat._flags import BadFlags, hint_words, scan
from bot.text import code
from engine.beat.request import FIELDS
from engine.beat.syntax import bad_value

WORDS = hint_words(("rock", "trap"), ("808",))
KEYS = [name for field in FIELDS for name in (field.key, *field.aliases)]
TOKENS = st.one_of(
    st.sampled_from(KEYS).map(lambda key: key + "="),
    st.sampled_from(["85", "=", "trap", "@everyone", "<@123456789012345678>", "`", "nan",
                     "1e999", "", "  ", "\n"]),
    st.text(max_size=12),
)


def _assert_safe_line(message: str) -> None:
    assert "\n" not in message and len(message) < 300
    assert "@everyone" not in message and "<@123456789012345678>" not in message


@given(st.lists(TOKENS, max_size=8).map("".join))
def test_any_text_gives_pairs_or_one_safe_line(text):
    try:
        pairs = scan(text, WORDS)
    except BadFlags as error:
        _assert_safe_line(str(error))
    else:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)) and all(value for _, value in pairs)
        assert {key for key in keys} <= {field.key for field in FIELDS}


@given(st.sampled_from([f.key for f in FIELDS]), st.text(max_size=80))
def test_bad_value_lines_are_safe(key, value):
    _assert_safe_line(bad_value(key, value).line(code))


def test_aliases_map_to_main_keys_and_names_are_lowercased():
    assert scan("tempo=85 T=1.5 genre=TRAP drums=808 audio=OGG") == [
        ("bpm", "85"), ("temp", "1.5"), ("style", "trap"), ("kit", "808"), ("format", "ogg")]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_nothing_is_fine(text):
    assert scan(text) == []
