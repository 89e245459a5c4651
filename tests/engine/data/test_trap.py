"""The committed trap parts read back as trap: rolled hats, half-time snares, 808 kicks; and
the training loops made of them span trap's density and loudness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data.augment import dedupe, split_parts
from engine.data.standardise import part_of
from engine.data.trap import (
    HALF_TIME_BACKBEAT,
    HAT_SYMBOLS,
    TRAP_DIR,
    TRAP_LEVELS,
    build_trap_corpus,
    parse_grid,
    read_parts,
    trap_level,
    trap_loops,
)
from engine.music.drums import (
    CLOSED_HAT,
    KICK,
    N_CLASSES,
    OPEN_HAT,
    SNARE,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
)
from engine.music.pattern import Pattern
from engine.training.examples import examples, fit_conditioning, window_levels
from engine.training.train import trap_performances

TWO_BARS = 2 * STEPS_PER_BAR


@pytest.fixture(scope="module")
def parts() -> dict[str, Pattern]:
    return read_parts()


def of_kind(parts: dict[str, Pattern], *prefixes: str) -> list[Pattern]:
    return [p for name, p in parts.items() if name.split("_")[0] in prefixes]


def roll_codes(patterns: list[Pattern], classes: tuple[int, ...]) -> set[int]:
    return {int(p.roll[s, c]) for p in patterns for s, c in np.argwhere(p.onsets) if c in classes}


def test_committed_corpus_is_what_the_code_builds(tmp_path: Path) -> None:
    built = build_trap_corpus(tmp_path)
    committed = sorted(TRAP_DIR.glob("*.mid"))
    assert [p.name for p in built] == [p.name for p in committed]
    assert all(b.read_bytes() == c.read_bytes() for b, c in zip(built, committed, strict=True))


def test_corpus_has_enough_parts_of_each_kind(parts: dict[str, Pattern]) -> None:
    assert len(of_kind(parts, "kick")) >= 12
    assert len(of_kind(parts, "snare", "clap")) >= 8
    assert len(of_kind(parts, "hats")) >= 16
    assert len(parts) == len(list(TRAP_DIR.glob("*.mid")))


def test_every_part_is_two_bars_of_one_part(parts: dict[str, Pattern]) -> None:
    for name, pattern in parts.items():
        classes = {part_of(name)} | ({OPEN_HAT} if part_of(name) == CLOSED_HAT else set())
        assert pattern.steps == TWO_BARS, name
        assert set(np.nonzero(pattern.onsets.any(axis=0))[0]) <= classes, name


def test_parts_of_a_kind_all_differ(parts: dict[str, Pattern]) -> None:
    for kind in (("kick",), ("snare", "clap"), ("hats",)):
        patterns = of_kind(parts, *kind)
        assert len(dedupe(patterns)) == len(patterns), kind


def test_hats_read_back_with_32nd_triplet_and_64th_rolls(parts: dict[str, Pattern]) -> None:
    hats = of_kind(parts, "hats")
    assert roll_codes(hats, (CLOSED_HAT,)) == {1, 2, 3, 4}
    plain = [h for h in hats if roll_codes([h], (CLOSED_HAT,)) == {1}]
    assert len(plain) <= 4
    assert all(h.onsets[:, CLOSED_HAT].sum() <= 2 * 8 for h in plain)  # 8ths at most
    assert any(h.onsets[:, OPEN_HAT].any() for h in hats)


def test_hats_carry_accents(parts: dict[str, Pattern]) -> None:
    for hats in of_kind(parts, "hats"):
        played = hats.velocity[hats.onsets[:, CLOSED_HAT], CLOSED_HAT]
        assert len(set(played.tolist())) >= 2


def test_snares_and_claps_sit_on_the_half_time_backbeat(parts: dict[str, Pattern]) -> None:
    backbeats = [HALF_TIME_BACKBEAT, STEPS_PER_BAR + HALF_TIME_BACKBEAT]
    for snare in of_kind(parts, "snare", "clap"):
        assert snare.onsets[backbeats, SNARE].all()
        assert snare.velocity[backbeats, SNARE].min() >= snare.velocity[:, SNARE].max() - 10
    assert roll_codes(of_kind(parts, "snare", "clap"), (SNARE,)) >= {2}


def test_kicks_start_on_one_and_syncopate(parts: dict[str, Pattern]) -> None:
    for kick in of_kind(parts, "kick"):
        hits = np.nonzero(kick.onsets[:, KICK])[0]
        assert hits[0] == 0 and 3 <= hits.size <= 12
        assert any(step % STEPS_PER_BEAT for step in hits)
        assert len(set(kick.velocity[hits, KICK].tolist())) >= 2


def test_corpus_has_sparse_and_busy_parts(parts: dict[str, Pattern]) -> None:
    def per_bar(patterns: list[Pattern], cls: int) -> list[float]:
        return [p.onsets[:, cls].sum() / 2 for p in patterns]

    on_beats = [h for h in of_kind(parts, "hats")
                if not h.onsets[np.arange(TWO_BARS) % STEPS_PER_BEAT > 0].any()]
    assert len(on_beats) >= 2 and sorted(per_bar(on_beats, CLOSED_HAT))[:2] == [2, 4]
    assert min(per_bar(of_kind(parts, "kick"), KICK)) <= 1.5
    assert max(per_bar(of_kind(parts, "snare", "clap"), SNARE)) >= 5


def test_trap_level_scales_hits_and_keeps_rests() -> None:
    loop = trap_loops(1, seed=5)[0]
    hits = loop.onsets
    for seed in range(20):
        played = trap_level(loop, np.random.default_rng(seed))
        assert (played.onsets == hits).all() and (played.roll == loop.roll).all()
        gain = np.random.default_rng(seed).uniform(*TRAP_LEVELS)
        expected = np.clip(np.rint(loop.velocity[hits] * gain), 1, 127)
        assert (played.velocity[hits] == expected).all()


def test_trap_training_windows_span_the_busy_and_loud_knobs() -> None:
    """The knob edges (5% and 95% of trap's windows) lie far apart: busy 1 at least 2.2 times
    the hits per bar of busy 0, loud 1 at least 30 above loud 0; the typical loop stays."""
    performances = trap_performances(1)
    assert max(p.pattern.steps for p in performances) <= 128  # one window each
    fit = fit_conditioning(examples(performances, ("trap",)), 1, window=128, stride=64)
    busy, loud = fit.busy_edges[0], fit.loud_edges[0]
    assert busy[-1] / busy[0] >= 2.2
    assert loud[-1] - loud[0] >= 30
    hits, velocity = np.median([window_levels(p.pattern) for p in performances], axis=0)
    assert 15.5 <= hits <= 17.5 and 90 <= velocity <= 97


def test_trap_loops_are_distinct_full_loops(parts: dict[str, Pattern]) -> None:
    loops = trap_loops(40, seed=5)
    assert len(loops) == 40 and len(dedupe(loops)) == 40
    for pattern in loops:
        assert pattern.steps == TWO_BARS
        assert all(p.onsets.any() for name, p in split_parts(pattern).items() if name != "other")
    assert trap_loops(40, seed=5) == loops
    assert trap_loops(40, seed=6) != loops


def test_parse_grid_rejects_bad_lengths_and_symbols() -> None:
    pattern = parse_grid("x.2.3.4.o....... " + "." * STEPS_PER_BAR, HAT_SYMBOLS)
    assert pattern.roll[[2, 4, 6], CLOSED_HAT].tolist() == [2, 3, 4]
    assert pattern.onsets[8, OPEN_HAT] and pattern.velocity.shape == (TWO_BARS, N_CLASSES)
    with pytest.raises(ValueError):
        parse_grid("x" * STEPS_PER_BAR, HAT_SYMBOLS)
    with pytest.raises(ValueError):
        parse_grid("q" * TWO_BARS, HAT_SYMBOLS)
