"""Kits: the shipped list, what `kit=auto` picks, and loading with files missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.music.drums import N_CLASSES, OUTPUT_PITCHES
from engine.sound.kits import KITS_FILE, Kit, load_kits, resolve_kit

SOUNDFONT_DIR = Path(__file__).resolve().parents[3] / "soundfonts"
MAX_SOUNDFONT_BYTES = 30 * 1024 * 1024


@pytest.fixture(scope="module")
def kits() -> dict[str, Kit]:
    return load_kits(SOUNDFONT_DIR)


def test_the_shipped_kits_are_808_and_acoustic(kits):
    assert {"808", "acoustic"} <= set(kits)
    for kit in kits.values():
        assert kit.soundfont.is_file(), kit.soundfont
        assert len(kit.pitches) == N_CLASSES
        assert kit.description


def test_the_kits_play_the_general_midi_pitches(kits):
    assert kits["808"].pitches == OUTPUT_PITCHES
    assert kits["acoustic"].pitches == OUTPUT_PITCHES


def test_the_soundfonts_stay_small():
    total = sum(path.stat().st_size for path in SOUNDFONT_DIR.glob("*.sf2"))
    assert 0 < total <= MAX_SOUNDFONT_BYTES


def test_the_readme_gives_each_kit_a_source_and_licence(kits):
    readme = (SOUNDFONT_DIR / "README.md").read_text()
    for kit in kits.values():
        assert f"`{kit.name}`" in readme and kit.soundfont.name in readme
    assert "MIT" in readme and "Frank Wen" in readme and "CC0" in readme


@pytest.mark.parametrize(
    ("name", "style", "expected"),
    [
        ("auto", "trap", "808"),
        ("auto", "hiphop", "808"),
        ("auto", "rock", "acoustic"),
        ("auto", "funk", "acoustic"),
        ("auto", "any", "acoustic"),
        ("808", "rock", "808"),
        ("acoustic", "trap", "acoustic"),
    ],
)
def test_resolve_kit(kits, name, style, expected):
    assert resolve_kit(kits, name, style).name == expected


def test_an_unknown_kit_name_is_a_key_error(kits):
    with pytest.raises(KeyError):
        resolve_kit(kits, "cowbell", "rock")


def test_a_missing_soundfont_does_not_stop_loading(tmp_path):
    shutil.copy(SOUNDFONT_DIR / KITS_FILE, tmp_path / KITS_FILE)
    kits = load_kits(tmp_path)
    assert kits["808"].soundfont == tmp_path / "808.sf2"
    assert not kits["808"].soundfont.exists()


def test_a_malformed_entry_is_a_value_error(tmp_path):
    (tmp_path / KITS_FILE).write_text(json.dumps({"kits": [{"name": "broken"}]}))
    with pytest.raises(ValueError, match="bad kit entry"):
        load_kits(tmp_path)


def test_a_kit_needs_one_pitch_per_class(tmp_path):
    with pytest.raises(ValueError, match="pitches"):
        Kit("short", tmp_path / "x.sf2", 128, 0, (36, 38), "", ())
