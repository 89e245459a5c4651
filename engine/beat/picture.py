"""Draw a pattern as a drum grid PNG for Discord's dark theme.

One row per drum class, one column per 16th step; bar lines bright, beat lines faint. A hit's
colour gets stronger with its velocity, and a roll shows as thin ticks splitting its cell.
Long beats wrap: at most BARS_PER_LINE bars sit side by side.

The picture is a palette PNG (one byte a pixel, a seventh of the encoding time of RGB and half
the file): the grid's few colours, text in TEXT_LEVELS shades of anti-aliasing, and each class
in SHADES velocity shades. The text (labels, bar numbers, title) is drawn once per size and
title and kept, since it is the same for every beat.
"""

from __future__ import annotations

import functools
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.music.drums import N_CLASSES, STEPS_PER_BAR, STEPS_PER_BEAT
from engine.music.pattern import Pattern

LABELS = ("Kick", "Snare", "Closed hat", "Open hat", "Low tom", "Mid tom", "High tom",
          "Crash", "Ride")
"""Row labels, in engine.music.drums.CLASSES order."""
COLOURS = np.array([
    (237, 66, 69),    # kick: red
    (250, 166, 26),   # snare: orange
    (254, 231, 92),   # closed hat: yellow
    (87, 242, 135),   # open hat: green
    (88, 101, 242),   # low tom: blurple
    (124, 136, 255),  # mid tom
    (164, 173, 255),  # high tom
    (0, 176, 244),    # crash: cyan
    (93, 211, 243),   # ride: light cyan
], np.float32)
"""Full-velocity colour of each class."""
BACKGROUND = (43, 45, 49)
"""Discord's dark embed background."""
EMPTY = np.array((56, 58, 64), np.float32)
"""Colour of a step without a hit."""
BAR_LINE = (181, 186, 193)
BEAT_LINE = (88, 91, 99)
STEP_GAP = (35, 36, 40)
TEXT = (219, 222, 225)
DIM_TEXT = (148, 155, 164)
ROLL_TICK = (30, 31, 34)

BARS_PER_LINE = 4
"""Bars drawn side by side before the grid wraps: 4 bars of 6 px steps read at the ~400 px
Discord shows an embed image at."""
TARGET_WIDTH = 460
"""Width of the picture, px: a little over what Discord shows, so it is scaled down only
slightly and the labels stay readable."""
LABEL_WIDTH = 64
CELL_WIDTH = (6, 24)
"""Narrowest and widest step cell, px (6 leaves room for a 4-hit roll's ticks)."""
ROW_HEIGHT = 13
HEADER_HEIGHT = 14
"""Room for the bar numbers above each line of bars, px."""
LINE_GAP = 8
MARGIN = 8
FONT_SIZE = 10
TITLE_HEIGHT = 26
MIN_SHADE = 0.3
"""How far a velocity-1 hit moves from the empty colour towards its class colour (0-1)."""
SHADES = 24
"""Velocity shades of each class: one per 5 or 6 velocity steps, too close to tell apart."""
TEXT_LEVELS = 16
"""Anti-aliasing shades of each text colour."""


def _palette() -> tuple[bytes, dict[str, int]]:
    """The palette's colours, and where each plain colour and each ramp starts."""
    colours = [BACKGROUND, tuple(EMPTY.astype(int)), STEP_GAP, BAR_LINE, BEAT_LINE, ROLL_TICK]
    index = {name: i for i, name in enumerate(
        ("background", "empty", "step_gap", "bar_line", "beat_line", "roll_tick"))}
    ramp = np.linspace(0, 1, TEXT_LEVELS)[:, None]
    for name, colour in (("text", TEXT), ("dim_text", DIM_TEXT)):
        index[name] = len(colours)
        colours += [tuple(c) for c in np.rint(
            np.add(BACKGROUND, ramp * np.subtract(colour, BACKGROUND))).astype(int)]
    index["cells"] = len(colours)
    velocity = 1 + np.arange(SHADES) * 126 / (SHADES - 1)
    shade = (MIN_SHADE + (1 - MIN_SHADE) * velocity / 127)[None, :, None]
    cells = np.rint(EMPTY + (COLOURS[:, None, :] - EMPTY) * shade).astype(int)
    colours += [tuple(c) for c in cells.reshape(-1, 3)]
    assert len(colours) <= 256
    return bytes(np.array(colours, np.uint8).reshape(-1)), index


PALETTE, _AT = _palette()


def draw_grid(pattern: Pattern, title: str = "") -> bytes:
    """Draw a pattern as a PNG.

    Args:
        pattern: the grid to draw.
        title: a line above the grid, or "" for none.

    Returns:
        PNG bytes, about TARGET_WIDTH px wide.
    """
    layout = _Layout.of(pattern.steps)
    image = _lettered(pattern.steps, title).copy()
    top = TITLE_HEIGHT if title else MARGIN
    for line in range(layout.lines):
        _paint_line(image, pattern, layout, line, top + line * layout.line_height)
    picture = Image.fromarray(image)  # uint8 indices: mode L, made P by the palette
    picture.putpalette(PALETTE)
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


@functools.lru_cache(maxsize=64)
def _lettered(steps: int, title: str) -> np.ndarray:
    """The background with the text of a picture of `steps` steps, as palette indices
    (read-only: copy it)."""
    layout = _Layout.of(steps)
    size = (layout.width, layout.height(bool(title)))
    masks = {"text": Image.new("L", size), "dim_text": Image.new("L", size)}
    _write_text({k: ImageDraw.Draw(m) for k, m in masks.items()}, steps, layout, title,
                TITLE_HEIGHT if title else MARGIN)
    image = np.full(size[::-1], _AT["background"], np.uint8)
    for name, mask in masks.items():
        ink = np.asarray(mask).astype(np.int32)
        level = (ink * (TEXT_LEVELS - 1) + 127) // 255
        image = np.where(ink > 0, _AT[name] + level, image).astype(np.uint8)
    image.flags.writeable = False
    return image


class _Layout:
    """Where the steps go: how many per line and how wide each cell is."""

    def __init__(self, steps: int, steps_per_line: int, cell: int) -> None:
        self.steps, self.steps_per_line, self.cell = steps, steps_per_line, cell
        self.lines = max(1, math.ceil(steps / steps_per_line))
        self.width = LABEL_WIDTH + steps_per_line * cell + MARGIN
        self.line_height = HEADER_HEIGHT + N_CLASSES * ROW_HEIGHT + LINE_GAP

    @classmethod
    def of(cls, steps: int) -> _Layout:
        """Spread the bars evenly over as few lines as BARS_PER_LINE allows."""
        bars = max(1, math.ceil(steps / STEPS_PER_BAR))
        lines = math.ceil(bars / BARS_PER_LINE)
        steps_per_line = math.ceil(bars / lines) * STEPS_PER_BAR
        cell = (TARGET_WIDTH - LABEL_WIDTH - MARGIN) // steps_per_line
        return cls(steps, steps_per_line, int(np.clip(cell, *CELL_WIDTH)))

    def height(self, titled: bool) -> int:
        """Image height in px."""
        return (TITLE_HEIGHT if titled else MARGIN) + self.lines * self.line_height

    def x(self, step: int) -> int:
        """Left edge of a step's cell within its line, px."""
        return LABEL_WIDTH + (step % self.steps_per_line) * self.cell


def _cell_shades(pattern: Pattern, start: int, stop: int) -> np.ndarray:
    """(9, steps) palette indices: the empty colour, or the class's shade for the velocity."""
    velocity = pattern.velocity[start:stop].T.astype(np.int32)
    shade = np.rint((np.maximum(velocity, 1) - 1) * (SHADES - 1) / 126).astype(np.int32)
    cells = _AT["cells"] + np.arange(N_CLASSES)[:, None] * SHADES + shade
    return np.where(velocity > 0, cells, _AT["empty"]).astype(np.uint8)


def _paint_line(image: np.ndarray, pattern: Pattern, layout: _Layout, line: int, y: int) -> None:
    """Paint one line of bars: cells, then gaps, beat and bar lines, then roll ticks."""
    start = line * layout.steps_per_line
    stop = min(start + layout.steps_per_line, pattern.steps)
    cells = _cell_shades(pattern, start, stop)
    block = np.repeat(np.repeat(cells, ROW_HEIGHT, axis=0), layout.cell, axis=1)
    block[::ROW_HEIGHT] = _AT["step_gap"]
    block[:, :: layout.cell] = _AT["step_gap"]
    for step in range(start, stop, STEPS_PER_BEAT):
        strong = step % STEPS_PER_BAR == 0
        block[:, (step - start) * layout.cell] = _AT["bar_line" if strong else "beat_line"]
    top, left = y + HEADER_HEIGHT, LABEL_WIDTH
    image[top:top + block.shape[0], left:left + block.shape[1]] = block
    image[top:top + block.shape[0], left + block.shape[1]] = _AT["bar_line"]
    _tick_rolls(image, pattern, layout, start, stop, top)


def _tick_rolls(image: np.ndarray, pattern: Pattern, layout: _Layout, start: int, stop: int,
                top: int) -> None:
    """Split each roll's cell with (hits - 1) dark ticks, one per extra hit."""
    rolled = (pattern.velocity[start:stop] > 0) & (pattern.roll[start:stop] > 1)
    for step, cls in zip(*np.nonzero(rolled), strict=True):
        hits = int(pattern.roll[start + step, cls])
        x0, y0 = layout.x(start + step) + 1, top + cls * ROW_HEIGHT + 1
        inner = layout.cell - 1
        for i in range(1, hits):
            image[y0 + 2:y0 + ROW_HEIGHT - 3, x0 + round(i * inner / hits) - 1] = _AT["roll_tick"]


def _write_text(draws: dict[str, ImageDraw.ImageDraw], steps: int, layout: _Layout, title: str,
                top: int) -> None:
    """Draw the title and labels on the "text" mask, the bar numbers on "dim_text"."""
    font = ImageFont.load_default(FONT_SIZE)
    if title:
        draws["text"].text((MARGIN, 6), title, fill=255, font=ImageFont.load_default(15))
    for line in range(layout.lines):
        y = top + line * layout.line_height
        first = line * layout.steps_per_line
        for step in range(first, min(first + layout.steps_per_line, steps), STEPS_PER_BAR):
            label = str(step // STEPS_PER_BAR + 1)
            draws["dim_text"].text((layout.x(step) + 2, y + 1), label, fill=255, font=font)
        for row, label in enumerate(LABELS):
            draws["text"].text((MARGIN, y + HEADER_HEIGHT + row * ROW_HEIGHT + 1), label,
                               fill=255, font=font)
