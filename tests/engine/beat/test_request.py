"""Request limits (engine.beat.request): table-driven ranges and one-line errors."""

import pytest

from engine.beat.request import BeatRequest, field_for
from engine.beat.syntax import parse_request
from engine.errors import BadValue

STYLES, KITS = ("rock", "trap"), ("808", "acoustic")


@pytest.mark.parametrize(("field", "value", "key"), [
    ("bpm", 39.9, "bpm"), ("bpm", 300.1, "bpm"), ("bpm", float("nan"), "bpm"),
    ("bpm", float("inf"), "bpm"), ("bars", 0, "bars"), ("bars", 65, "bars"),
    ("bars", 2.5, "bars"), ("temperature", 0.09, "temp"), ("temperature", 2.01, "temp"),
    ("swing", -1, "swing"), ("swing", 76, "swing"), ("humanize", 1.5, "humanize"),
    ("fills", 3, "fills"), ("seed", -1, "seed"), ("seed", 2**32, "seed"),
    ("style", "polka", "style"), ("kit", "cowbell", "kit"), ("audio_format", "flac", "format"),
    ("bpm", True, "bpm"),
])
def test_out_of_range_values_name_the_key(field, value, key):
    with pytest.raises(BadValue) as error:
        BeatRequest(**{field: value}).validated(STYLES, KITS)
    assert error.value.field == key
    assert str(error.value).startswith(f"{key} can't be")  # plain: the engine writes no Markdown
    assert error.value.line(lambda piece: f"<{piece}>").startswith(f"<{key}> can't be <")


@pytest.mark.parametrize(("field", "value"), [
    ("bpm", 40), ("bpm", 300), ("bars", 1), ("bars", 64), ("temperature", 0.1),
    ("temperature", 2.0), ("swing", 0), ("swing", 75), ("humanize", 1), ("fills", 8),
    ("seed", 0), ("seed", 2**32 - 1), ("style", "TRAP"), ("kit", "808"),
])
def test_limits_are_inclusive(field, value):
    BeatRequest(**{field: value}).validated(STYLES, KITS)


def test_a_missing_seed_is_drawn_and_kept():
    request = BeatRequest().validated(STYLES, KITS)
    assert isinstance(request.seed, int)
    assert request.validated(STYLES, KITS).seed == request.seed


def test_aliases_find_their_field():
    assert field_for("Temperature").key == "temp" and field_for("tempo").key == "bpm"


def test_an_edit_seed_out_of_range_names_then_not_seed():
    with pytest.raises(BadValue) as error:
        parse_request("bars=1 then=vary:4294967296").validated(STYLES, KITS)
    assert error.value.field == "then" and "vary:4294967296" in str(error.value)
    assert "a whole number from 0 to 4294967295" in str(error.value)
