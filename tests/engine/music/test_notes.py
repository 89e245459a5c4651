"""From grid to notes: rolls, swing, the learned groove and humanize."""

import numpy as np
import pytest

from engine.music.drums import TICKS_PER_STEP
from engine.music.notes import MIN_GAP_TICKS, perform
from engine.music.pattern import Pattern


def _hats(steps: int = 16) -> Pattern:
    p = Pattern.empty(steps)
    p.velocity[:, 2] = 100
    return p


def test_plain_steps_land_on_the_grid():
    assert [n.tick for n in perform(_hats(4))] == [0, 120, 240, 360]


@pytest.mark.parametrize("hits", [2, 3, 4])
def test_rolls_split_the_step_evenly_and_fade(hits):
    p = Pattern.empty(1)
    p.velocity[0, 2], p.roll[0, 2] = 100, hits
    notes = perform(p)
    assert [n.tick for n in notes] == [round(i * TICKS_PER_STEP / hits) for i in range(hits)]
    assert [n.velocity for n in notes] == sorted((n.velocity for n in notes), reverse=True)


def test_swing_delays_only_the_offbeat_sixteenths():
    ticks = [n.tick for n in perform(_hats(4), swing=50)]
    assert ticks == [0, 180, 240, 420]


def _grooved(steps: int = 16) -> Pattern:
    """Hats from step 1 on, early then late (a steady push into a laid-back feel)."""
    p = _hats(steps)
    p.velocity[0, 2] = 0
    p.offset[:, 2] = np.linspace(-0.2, 0.2, steps)
    return p


def _ticks(notes) -> np.ndarray:
    return np.array([n.tick for n in notes])


def test_groove_one_plays_the_learned_offsets_and_zero_is_on_the_grid():
    p = _grooved()
    steps = np.arange(1, 16)
    late = np.round((steps + p.offset[1:, 2]) * TICKS_PER_STEP)
    assert np.abs(_ticks(perform(p, groove=1.0)) - late).max() <= 1
    assert list(_ticks(perform(p, groove=0.0))) == list(steps * TICKS_PER_STEP)


def test_groove_scales_the_offsets_and_swing_adds_on_top():
    p = _grooved(5)
    half = _ticks(perform(p, groove=0.5))
    expected = np.round((np.arange(1, 5) + 0.5 * p.offset[1:, 2]) * TICKS_PER_STEP)
    assert np.abs(half - expected).max() <= 1
    swung = _ticks(perform(p, swing=50, groove=0.5))
    assert list(swung - half) == [60, 0, 60, 0]


def test_hits_of_one_class_stay_apart_so_the_file_reads_back():
    p = _hats(2)
    p.offset[0, 2], p.offset[1, 2] = 0.4, -0.4  # 0.2 of a step apart: a roll, if played
    first, second = _ticks(perform(p))
    assert second - first == MIN_GAP_TICKS


def test_humanize_loosens_the_groove_without_randomness():
    p = _grooved()
    plain, loose = perform(p), perform(p, humanize=1.0)
    assert loose == perform(p, humanize=1.0)
    grid = np.arange(1, 16) * TICKS_PER_STEP
    spread = [np.abs(_ticks(notes) - grid).mean() for notes in (plain, loose)]
    assert spread[1] == pytest.approx(2 * spread[0], rel=0.05)
    assert perform(p, groove=0.0, humanize=1.0) == perform(p, groove=0.0)


def test_kit_pitches_override_the_gm_ones():
    pitches = (36, 39, 42, 46, 45, 48, 50, 49, 51)
    p = Pattern.empty(1)
    p.velocity[0, 1] = 90
    assert perform(p, pitches)[0].pitch == 39
