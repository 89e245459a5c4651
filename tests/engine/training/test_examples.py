"""Training examples (engine.training.examples): the style vocabulary, one example per file
with fills led in by a beat of their session, and windows padded where the targets are
ignored."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.dataset import Corpus, Performance
from engine.model.features import IGNORE, NO_EVENT, tempo_bucket
from engine.music.drums import KICK, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training.examples import (
    FILL_CONTEXT_BARS,
    MIN_STYLE_FILES,
    examples,
    style_index,
    style_vocabulary,
    windows,
)


def bars(count: int, cls: int = KICK) -> Pattern:
    pattern = Pattern.empty(count * STEPS_PER_BAR)
    pattern.velocity[::4, cls] = 100
    return pattern


def played(name: str, style: str = "rock", split: str = "train", fill: bool = False,
           bpm: float = 100.0, group: str = "s1", pattern: Pattern | None = None) -> Performance:
    return Performance(name, pattern or bars(2), style, split, fill, bpm, group)


def test_styles_with_enough_training_files_then_the_extra_ones():
    files = ([played(f"r{i}", "rock") for i in range(MIN_STYLE_FILES)]
             + [played(f"f{i}", "funk") for i in range(MIN_STYLE_FILES - 1)]
             + [played(f"j{i}", "jazz", split="validation") for i in range(MIN_STYLE_FILES)]
             + [played(f"a{i}", "any") for i in range(MIN_STYLE_FILES)])

    styles = style_vocabulary(Corpus(files), extra=("trap", "rock"))

    assert styles == ("rock", "trap")


@pytest.mark.parametrize(("style", "index"), [("rock", 0), ("trap", 1), ("any", 2), ("polka", 2)])
def test_unknown_styles_and_any_share_the_last_slot(style, index):
    assert style_index(("rock", "trap"), style) == index


def test_a_beat_is_one_example_at_its_tempo_with_no_fill():
    (example,) = examples([played("a", "trap", bpm=140.0)], ("rock", "trap"))

    assert (example.style, example.tempo) == (1, tempo_bucket(140.0))
    assert example.pattern.steps == 2 * STEPS_PER_BAR and not example.fill.any()
    assert list(example.inputs()["prev"][:2]) == [NO_EVENT, 1 << KICK]


def test_a_fill_is_led_in_by_the_end_of_the_nearest_tempo_beat_of_its_session():
    near = played("near", bpm=101.0, pattern=bars(6, SNARE))
    far = played("far", bpm=130.0, pattern=bars(6, KICK))
    other = played("other", bpm=100.0, group="s2", pattern=bars(6, KICK))
    fill = played("fill", fill=True, pattern=bars(1))

    made = examples([far, near, other, fill], ("rock",))

    example = made[-1]
    lead = FILL_CONTEXT_BARS - 1
    assert example.pattern.steps == (lead + 1) * STEPS_PER_BAR
    assert list(example.fill[::STEPS_PER_BAR]) == [0] * lead + [1]
    assert example.pattern.slice(0, lead * STEPS_PER_BAR) == near.pattern.slice(
        (6 - lead) * STEPS_PER_BAR, 6 * STEPS_PER_BAR)


def test_a_fill_without_a_beat_of_its_session_stands_alone():
    (example,) = examples([played("fill", fill=True, group="alone")], ("rock",))
    assert example.pattern.steps == 2 * STEPS_PER_BAR and example.fill.all()


def test_windows_cover_every_step_and_pad_with_ignored_targets():
    items = examples([played("a", pattern=bars(3))], ("rock",))  # 48 steps

    cut = windows(items, window=32, stride=32)

    assert cut["event"].shape == (2, 32) and cut["velocity"].shape == (2, 32, 9)
    assert cut["now_velocity"].shape == (2, 32, 9)
    np.testing.assert_array_equal(cut["event"][1], items[0].pattern.events()[16:])  # the end
    short = windows(examples([played("b", pattern=bars(1))], ("rock",)), 32, 32)
    assert (short["event"][0, 16:] == IGNORE).all() and (short["velocity"][0, 16:] == IGNORE).all()
    assert (short["prev"][0, 16:] == 0).all() and (short["now"][0, 16:] == 0).all()
