"""From grid to notes: rolls, swing, humanize."""

import numpy as np
import pytest

from engine.music.drums import TICKS_PER_STEP
from engine.music.notes import perform
from engine.music.pattern import Pattern


def _hats(steps: int = 16) -> Pattern:
    p = Pattern.empty(steps)
    p.velocity[:, 2] = 100
    return p


def test_plain_steps_land_on_the_grid():
    assert [n.tick for n in perform(_hats(4), 120)] == [0, 120, 240, 360]


@pytest.mark.parametrize("hits", [2, 3, 4])
def test_rolls_split_the_step_evenly_and_fade(hits):
    p = Pattern.empty(1)
    p.velocity[0, 2], p.roll[0, 2] = 100, hits
    notes = perform(p, 120)
    assert [n.tick for n in notes] == [round(i * TICKS_PER_STEP / hits) for i in range(hits)]
    assert [n.velocity for n in notes] == sorted((n.velocity for n in notes), reverse=True)


def test_swing_delays_only_the_offbeat_sixteenths():
    ticks = [n.tick for n in perform(_hats(4), 120, swing=50)]
    assert ticks == [0, 180, 240, 420]


def test_humanize_moves_notes_deterministically():
    a = perform(_hats(), 100, humanize=1.0, seed=3)
    assert a == perform(_hats(), 100, humanize=1.0, seed=3)
    assert a != perform(_hats(), 100, humanize=1.0, seed=4)
    offsets = np.array([n.tick for n in a]) - np.arange(16) * TICKS_PER_STEP
    assert 0 < np.abs(offsets).max() < TICKS_PER_STEP / 2
    assert len({n.velocity for n in a}) > 1


def test_kit_pitches_override_the_gm_ones():
    pitches = (36, 39, 42, 46, 45, 48, 50, 49, 51)
    p = Pattern.empty(1)
    p.velocity[0, 1] = 90
    assert perform(p, 120, pitches)[0].pitch == 39
