"""The drum grid picture: a PNG of sensible size, shaded by velocity, with rolls marked."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine.beat.picture import (
    BARS_PER_LINE,
    EMPTY,
    HEADER_HEIGHT,
    LABEL_WIDTH,
    MARGIN,
    ROLL_TICK,
    ROW_HEIGHT,
    draw_grid,
)
from engine.music.drums import KICK, N_CLASSES, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern

DISCORD_WIDTH = (400, 480)
"""Widths that read well in an embed, which Discord shows about 400 px wide, px."""


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB")).astype(np.int32)


def row_runs(image: np.ndarray, cls: int) -> list[tuple[int, int]]:
    """(start, stop) x of the painted cells in a class's row of the first line of bars.

    One-pixel holes (roll ticks) are closed; runs under 3 px (grid lines) are dropped.
    """
    y = MARGIN + HEADER_HEIGHT + cls * ROW_HEIGHT + ROW_HEIGHT // 2
    painted = np.abs(image[y] - EMPTY.astype(np.int32)).sum(axis=1) > 60
    painted &= image[y].sum(axis=1) > 3 * 70  # skip dark gaps and grid lines
    painted[:LABEL_WIDTH] = False  # skip the row's label
    painted[1:-1] |= painted[:-2] & painted[2:]
    edges = np.flatnonzero(np.diff(np.r_[0, painted.astype(np.int8), 0]))
    return [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= 3]


@pytest.mark.parametrize("bars", [1, 2, 4, 8])
def test_a_grid_is_a_png_that_fits_an_embed(bars):
    image = pixels(draw_grid(Pattern.empty(bars * STEPS_PER_BAR), "title"))
    height, width, _ = image.shape
    assert DISCORD_WIDTH[0] <= width <= DISCORD_WIDTH[1]
    assert N_CLASSES * ROW_HEIGHT < height < 3 * N_CLASSES * ROW_HEIGHT


def test_eight_bars_are_two_lines_of_four_that_fit_discords_box():
    one_line = pixels(draw_grid(Pattern.empty(4 * STEPS_PER_BAR)))
    image = pixels(draw_grid(Pattern.empty(8 * STEPS_PER_BAR)))
    assert image.shape[1] == one_line.shape[1] <= DISCORD_WIDTH[1]
    assert image.shape[0] - MARGIN == 2 * (one_line.shape[0] - MARGIN)
    scale = 400 / image.shape[1]
    assert image.shape[0] * scale <= 300  # Discord's embed image box is about 400 x 300 px
    assert scale >= 0.85  # labels 10 px high stay 8.5 px or more


def test_64_bars_wrap_into_lines_of_four():
    one_line = pixels(draw_grid(Pattern.empty(BARS_PER_LINE * STEPS_PER_BAR)))
    wrapped = pixels(draw_grid(Pattern.empty(64 * STEPS_PER_BAR)))
    assert wrapped.shape[1] == one_line.shape[1]
    lines = (wrapped.shape[0] - MARGIN) / (one_line.shape[0] - MARGIN)
    assert lines == 64 / BARS_PER_LINE


def test_a_partial_bar_still_draws():
    assert pixels(draw_grid(Pattern.empty(STEPS_PER_BAR + 5))).shape[0] > 0


def test_each_hit_paints_one_cell_in_its_row():
    pattern = Pattern.empty(STEPS_PER_BAR)
    pattern.velocity[[0, 8], KICK] = 100
    pattern.velocity[4, SNARE] = 100
    image = pixels(draw_grid(pattern))
    assert len(row_runs(image, KICK)) == 2
    assert len(row_runs(image, SNARE)) == 1
    assert row_runs(image, KICK)[0][0] < row_runs(image, SNARE)[0][0] < row_runs(image, KICK)[1][0]


def test_loud_hits_are_brighter_than_soft_ones():
    pattern = Pattern.empty(STEPS_PER_BAR)
    pattern.velocity[0, KICK] = 127
    pattern.velocity[4, KICK] = 30
    image = pixels(draw_grid(pattern))
    (loud_x, _), (soft_x, _) = row_runs(image, KICK)
    y = MARGIN + HEADER_HEIGHT + KICK * ROW_HEIGHT + ROW_HEIGHT // 2
    distance = [np.abs(image[y, x + 3] - EMPTY).sum() for x in (loud_x, soft_x)]
    assert distance[0] > 2 * distance[1]


def test_a_roll_is_marked_with_ticks():
    pattern = Pattern.empty(STEPS_PER_BAR)
    pattern.velocity[[0, 4], SNARE] = 100
    pattern.roll[4, SNARE] = 3
    image = pixels(draw_grid(pattern))
    y = MARGIN + HEADER_HEIGHT + SNARE * ROW_HEIGHT + ROW_HEIGHT // 2
    ticks = np.all(image[y] == ROLL_TICK, axis=1)
    plain, rolled = row_runs(image, SNARE)[0], row_runs(image, SNARE)[-1]
    assert not ticks[plain[0]:plain[1]].any()
    assert ticks[rolled[0]:rolled[1] + 1].sum() == 2  # a 3-hit roll: two ticks


def test_shading_rises_with_velocity_in_steps_too_small_to_see():
    y = MARGIN + HEADER_HEIGHT + KICK * ROW_HEIGHT + ROW_HEIGHT // 2
    distance = []
    for velocities in (np.arange(1, 65), np.arange(65, 128)):
        pattern = Pattern.empty(4 * STEPS_PER_BAR)
        pattern.velocity[: len(velocities), KICK] = velocities
        png = draw_grid(pattern)
        assert Image.open(io.BytesIO(png)).mode == "P"  # one byte a pixel: small and quick
        image = pixels(png)
        cell = (image.shape[1] - LABEL_WIDTH - MARGIN) // pattern.steps
        distance += [np.abs(image[y, LABEL_WIDTH + step * cell + cell // 2] - EMPTY).sum()
                     for step in range(len(velocities))]
    assert len(distance) == 127
    assert (np.diff(distance) >= 0).all()
    assert np.diff(distance).max() <= 12  # neighbouring velocities look alike
