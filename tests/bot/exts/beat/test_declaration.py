"""One declaration per key: the slash options, the flags, the help table, the parser, the
defaults and the error lines all come from engine.beat.request.FIELDS."""

from __future__ import annotations

import dataclasses

import pytest
from discord import AppCommandOptionType

from bot.exts.beat._cog import BeatCog
from bot.exts.beat._flags import FILE_KEYS, BeatFlags
from engine.beat.fields import Number, OneOf
from engine.beat.request import FIELDS, BeatRequest
from engine.beat.syntax import bad_value, parse_request

OPTIONS = {option.name: option for option in BeatCog.beat.app_command.parameters}


def test_every_key_is_a_flag_or_a_file_option_and_nothing_else_is():
    flags = BeatFlags.get_flags()
    assert set(flags) | set(FILE_KEYS) == {field.key for field in FIELDS}
    assert not set(flags) & set(FILE_KEYS)
    for key in FILE_KEYS:
        assert OPTIONS[key].type is AppCommandOptionType.attachment
    for field in (f for f in FIELDS if f.key not in FILE_KEYS):
        assert flags[field.key].aliases == list(field.aliases)
        assert flags[field.key].description.startswith(field.help[:60])


@pytest.mark.parametrize("field", [f for f in FIELDS if f.key not in FILE_KEYS],
                         ids=lambda field: field.key)
def test_the_slash_option_takes_the_declared_range(field):
    option = OPTIONS[field.key]
    assert field.allowed in option.description or len(option.description) == 100
    if isinstance(field.kind, Number):
        assert (option.min_value, option.max_value) == (field.kind.low, field.kind.high)
        whole = option.type is AppCommandOptionType.integer
        assert whole == field.kind.whole
    elif isinstance(field.kind, OneOf):
        assert [choice.value for choice in option.choices] == list(field.kind.values)
    else:
        assert option.type is AppCommandOptionType.string


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.key)
def test_the_request_default_and_the_parser_come_from_the_field(field):
    defaults = {f.name: f.default for f in dataclasses.fields(BeatRequest)}
    assert defaults[field.attr] == field.default
    key, _, text = field.example.partition("=")
    assert key == field.key
    parsed = getattr(parse_request(field.example), field.attr)
    assert parsed == field.kind.read(field.key, text)


@pytest.mark.parametrize("field", [f for f in FIELDS if isinstance(f.kind, Number | OneOf)],
                         ids=lambda field: field.key)
def test_the_error_line_names_the_declared_limits(field):
    line = str(bad_value(field.key, "9" * 12))
    kind = field.kind
    shown = [str(value) for value in (
        (kind.low, kind.high) if isinstance(kind, Number) else kind.values)]
    assert all(value.removesuffix(".0") in line for value in shown), line
