"""Loading MIDI folders: splits by hash, 4/4 only, trimmed silence, Groove labels."""

from collections import Counter

import pytest

from engine.data.dataset import load_folder, split_of, trim
from engine.music.drums import STEPS_PER_BAR
from engine.music.pattern import Pattern
from tests.midi_fixtures import drum_file


def test_other_meters_are_skipped_and_counted(tmp_path):
    (tmp_path / "a.mid").write_bytes(drum_file([(0, 36, 100)]))
    (tmp_path / "b.mid").write_bytes(drum_file([(0, 36, 100)], meter=(3, 4)))
    (tmp_path / "c.mid").write_bytes(b"junk")
    corpus = load_folder(tmp_path, style="rock")
    assert [p.name for p in corpus.performances] == ["a.mid"]
    assert corpus.skipped == Counter({"meter not 4/4": 1, "unreadable or no drums": 1})
    assert corpus.performances[0].style == "rock"


def test_split_by_hash_is_stable_and_mostly_train():
    names = [f"loop_{i}.mid" for i in range(200)]
    splits = Counter(split_of(n) for n in names)
    assert [split_of(n) for n in names] == [split_of(n) for n in names]
    assert 5 <= splits["validation"] <= 40 and splits["train"] > 150


def test_trim_drops_empty_bars_at_both_ends():
    p = Pattern.empty(4 * STEPS_PER_BAR)
    p.velocity[STEPS_PER_BAR + 3, 0] = 100
    p.velocity[2 * STEPS_PER_BAR, 1] = 100
    trimmed = trim(p)
    assert trimmed.steps == 2 * STEPS_PER_BAR and trimmed.onsets.sum() == 2


@pytest.mark.groove
def test_groove_loads_with_labels(groove_dir):
    corpus = load_folder(groove_dir)
    train, validation = corpus.split("train"), corpus.split("validation")
    assert len(train) > 850 and len(validation) > 110
    assert sum(corpus.skipped[k] for k in corpus.skipped if k.startswith("meter")) == 12
    assert {"rock", "funk", "jazz", "hiphop"} <= {p.style for p in train}
    assert any(p.fill for p in train) and any(not p.fill for p in train)
    assert sum(p.pattern.steps for p in corpus.performances) > 300_000
    assert not corpus.skipped["unreadable or no drums"]
