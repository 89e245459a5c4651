"""Recombined loops take their parts from different sources and never leak validation loops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data.augment import (
    augment_folder,
    augment_split,
    dedupe,
    merge_parts,
    recombine,
    split_parts,
)
from engine.data.dataset import split_of
from engine.music.drums import CLOSED_HAT, CRASH, KICK, OPEN_HAT, SNARE, STEPS_PER_BAR
from engine.music.midi_io import read_midi, write_midi
from engine.music.notes import perform
from engine.music.pattern import Pattern

TWO_BARS = 2 * STEPS_PER_BAR
EIGHTHS = tuple(range(0, TWO_BARS, 2))


def loop(kick, snare, hats, steps=TWO_BARS, crash=(), velocity=100) -> Pattern:
    """A loop with the given steps of kick, snare, closed hat and crash."""
    pattern = Pattern.empty(steps)
    for cls, hits in ((KICK, kick), (SNARE, snare), (CLOSED_HAT, hats), (CRASH, crash)):
        pattern.velocity[list(hits), cls] = velocity
    return pattern


def source(i: int, steps: int = TWO_BARS) -> Pattern:
    """The i-th of a family of loops whose kicks, snares, hats and crashes all differ."""
    return loop((0, 2 + i), (8, 10 + i), (*range(0, steps, 4), 1 + 2 * i), steps, crash=(i,))


def same_onsets(a: Pattern, b: Pattern) -> bool:
    return a.steps == b.steps and np.array_equal(a.onsets, b.onsets)


def source_of(made: Pattern, loops: list[Pattern], part: str) -> int:
    """Index of the one loop whose `part` is the part of `made`."""
    mine = split_parts(made)[part]
    found = [i for i, s in enumerate(loops) if same_onsets(split_parts(s)[part], mine)]
    assert len(found) == 1, f"{part} matches sources {found}"
    return found[0]


def test_split_parts_cover_every_class_once_and_merge_back() -> None:
    pattern = source(3)
    pattern.velocity[5, OPEN_HAT] = 90
    pattern.roll[5, OPEN_HAT] = 3
    parts = split_parts(pattern)
    assert parts["hats"].onsets[5, OPEN_HAT] and not parts["kick"].onsets[:, CLOSED_HAT].any()
    assert parts["other"].onsets[:, CRASH].any() and not parts["other"].onsets[:, KICK].any()
    assert merge_parts(parts) == pattern


def test_recombine_takes_each_part_from_a_different_source() -> None:
    loops = [source(i) for i in range(4)]
    made = recombine(loops, 10, seed=3)
    assert len(made) == 10
    for pattern in made:
        kick, snare, hats = (source_of(pattern, loops, p) for p in ("kick", "snare", "hats"))
        assert len({kick, snare, hats}) == 3
        assert source_of(pattern, loops, "other") == kick


def test_recombine_is_deterministic_by_seed() -> None:
    loops = [source(i) for i in range(5)]
    assert recombine(loops, 12, seed=7) == recombine(loops, 12, seed=7)
    assert recombine(loops, 12, seed=7) != recombine(loops, 12, seed=8)


def test_recombine_only_mixes_loops_of_equal_length() -> None:
    loops = [source(i) for i in range(3)] + [source(i, STEPS_PER_BAR) for i in range(3, 6)]
    made = recombine(loops, 12, seed=0)
    assert {p.steps for p in made} == {STEPS_PER_BAR, TWO_BARS}
    for pattern in made:
        sources = {source_of(pattern, loops, p) for p in ("kick", "snare", "hats")}
        assert {loops[i].steps for i in sources} == {pattern.steps}


def test_recombine_gives_distinct_new_loops_and_stops_when_combinations_run_out() -> None:
    loops = [source(i) for i in range(4)]
    made = recombine(loops, 100, seed=1)
    assert len(made) == 4 * 3 * 2  # ordered choices of three different sources
    assert len(dedupe(made)) == len(made)
    assert not any(same_onsets(m, s) for m in made for s in loops)


def test_dedupe_keeps_the_first_of_equal_onsets_whatever_the_velocity() -> None:
    a, b = source(0), source(1)
    softer_a = loop((0, 2), (8, 10), (*range(0, TWO_BARS, 4), 1), crash=(0,), velocity=40)
    assert dedupe([a, softer_a, b, a]) == [a, b]


VALIDATION_LOOP = loop((0, 6, 10, 16, 22), (8, 24), EIGHTHS)
"""A held-out loop that the training loops below can rebuild part by part."""
REBUILDERS = [
    loop((0, 6, 10, 16, 22), (8, 24, 30), (*EIGHTHS, 31)),  # its kick
    loop((0, 16), (8, 24), (*EIGHTHS, 29)),  # its snare
    loop((0, 3, 16), (8, 24, 28), EIGHTHS),  # its hats
    loop((0, 11, 16), (8, 23, 24), range(0, TWO_BARS, 4)),
]


def holds(loops: list[Pattern], wanted: Pattern) -> bool:
    return any(same_onsets(p, wanted) for p in loops)


def test_unguarded_recombination_does_rebuild_the_validation_loop() -> None:
    assert holds(recombine(REBUILDERS, 100, seed=0), VALIDATION_LOOP)


def test_augment_split_never_rebuilds_a_validation_loop() -> None:
    made = augment_split(REBUILDERS, [VALIDATION_LOOP], 100, seed=0)
    assert made and not holds(made, VALIDATION_LOOP)


def test_training_copy_of_a_validation_loop_never_reaches_the_output() -> None:
    louder_copy = loop((0, 6, 10, 16, 22), (8, 24), EIGHTHS, velocity=127)
    made = augment_split([louder_copy, *REBUILDERS], [VALIDATION_LOOP], 200, seed=2)
    assert made and not holds(made, VALIDATION_LOOP)


def test_a_two_bar_window_of_a_longer_validation_loop_is_guarded_too() -> None:
    longer = loop((0, 3), (8,), range(0, TWO_BARS, 4)).concat(VALIDATION_LOOP)
    made = augment_split(REBUILDERS, [longer], 100, seed=0)
    assert made and not holds(made, VALIDATION_LOOP)


def test_augment_split_results_are_distinct_even_when_rotated_by_a_bar() -> None:
    made = augment_split([source(i) for i in range(5)], [], 60, seed=4)
    rotated = [m.slice(STEPS_PER_BAR, TWO_BARS).concat(m.slice(0, STEPS_PER_BAR)) for m in made]
    assert len(made) == 5 * 4 * 3
    assert len(dedupe(made + rotated)) == 2 * len(made)


def names_in(split: str, count: int) -> list[str]:
    """The first `count` file names `loop_i.mid` that split_of puts in `split`."""
    names = (f"loop_{i}.mid" for i in range(10_000))
    return [n for n in names if split_of(n) == split][:count]


def write_loop(path: Path, pattern: Pattern, bpm: float) -> None:
    path.write_bytes(write_midi(perform(pattern), bpm, pattern.steps))


@pytest.fixture
def loop_folder(tmp_path: Path) -> Path:
    """A folder of real .mid loops: four rebuilders in train (at 131-134 bpm), the loop they
    rebuild in validation."""
    src = tmp_path / "loops"
    src.mkdir()
    for index, (name, pattern) in enumerate(zip(names_in("train", 4), REBUILDERS, strict=True)):
        write_loop(src / name, pattern, 131.0 + index)
    write_loop(src / names_in("validation", 1)[0], VALIDATION_LOOP, 140.0)
    return src


def test_augment_folder_writes_new_train_loops_at_the_kick_source_tempo(
    loop_folder: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "out"
    written = augment_folder(loop_folder, dst, 100, seed=0)
    files = sorted(dst.glob("*.mid"))
    assert written == len(files) > 0
    assert all(split_of(f.name) == "train" for f in files)
    beats = [read_midi(f) for f in files]
    assert not holds([b.pattern for b in beats], VALIDATION_LOOP)
    for beat in beats:
        assert beat.bpm == 131.0 + source_of(beat.pattern, REBUILDERS, "kick")
