"""A small hand-written corpus of trap drum parts, and full trap loops recombined from it.

Groove has no trap, so the parts are written here as code: 808-style kicks, half-time snares and
claps, and hats with 32nd-note and triplet rolls. `build_trap_corpus` turns them into
single-part MIDI loops, 2 bars each, named per part (`kick_01.mid`, `clap_02.mid`,
`hats_07.mid`) and committed under engine/data/trap/; `trap_loops` reads them back through the
same path as any sample-pack loop (engine.data.standardise, then engine.music.midi_io.read_midi)
and mixes them with engine.data.augment.recombine into full loops for training under style "trap".

Besides the typical parts, a few set the ends of trap's density, for the busy knob: sparse
ones as in intros and breakdowns (hats on quarter or half notes, or 8ths with gaps and no
rolls; a kick on one and the and of three) and busy ones (a snare full of ghosts, stacked
clap pickups, a rolling 808). New parts go at the end of their list, so the committed files'
numbers stay.

Programmed parts play fixed velocities, so loudness is set per loop instead: training plays
each loop at a level (`trap_level`, a gain drawn from TRAP_LEVELS), as a producer sets a
loop's gain, so the loud knob has soft and loud trap to learn from.

Rolls on the 16th grid: a step holds a hit count as well as a velocity (Pattern.roll): 1 is a
plain 16th, 2 two 32nds, 3 a 32nd-note triplet, 4 four 64ths, all inside that step.
engine.music.notes.perform spreads them evenly over the step (later hits softer), and
read_midi folds hits of one class closer than 0.8 steps after a hit back into that hit's
step as its roll count, so the roll codes survive the round trip through MIDI. A roll on the
very last step would spill past the loop's end and read back as an extra bar, so no part
ends on one.

Grid notation (one character per 16th step, a space between bars):
    `.` rest; `X` accent; `x` normal (hats: accented by position in the beat); `-` ghost;
    `2` `3` `4` a roll of that many hits; `f` a flam (a soft-hard 32nd pair); `o` open hat.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.augment import recombine
from engine.data.standardise import part_of, standardise_file
from engine.music.drums import (
    CLOSED_HAT,
    KICK,
    OPEN_HAT,
    OUTPUT_PITCHES,
    SNARE,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
)
from engine.music.midi_io import read_midi, write_midi
from engine.music.notes import perform
from engine.music.pattern import Pattern

TRAP_DIR = Path(__file__).resolve().parent / "trap"
"""Where the committed part files live."""
PART_BARS = 2
TRAP_BPMS = (130.0, 135.0, 140.0, 145.0, 150.0)
"""Trap tempos (written half-time: the snare on beat 3); part i gets TRAP_BPMS[i % 5]."""
HALF_TIME_BACKBEAT = 8
"""The step of the snare in each bar: beat 3, which is the backbeat at half time."""
BACKBEAT_STEPS = (4, 12)
"""The snare's steps in a bar of slow trap (60-100 bpm): beats 2 and 4."""
HALF_TIME_BPM = (120, 170)
"""Tempo range (bpm, inclusive) of trap written half-time, snare on beat 3."""
BACKBEAT_BPM = (60, 100)
"""Tempo range (bpm, inclusive) of trap written with the snare on beats 2 and 4."""
TRAP_LEVELS = (0.8, 1.2)
"""Range of the gain a training loop is played at (drawn uniformly; 1 plays it as written):
the parts' velocities are fixed, so the level is what spreads trap's loudness. Centred on 1,
so a typical loop keeps its level; accents clip at 127."""
CLAP_PITCH = 39
"""GM hand clap; clap parts are written on it, and standardise files them under snare."""
CLAP_PITCHES = (*OUTPUT_PITCHES[:SNARE], CLAP_PITCH, *OUTPUT_PITCHES[SNARE + 1 :])

Hit = tuple[int, int, int]
"""(class, velocity, roll) of one grid symbol; velocity 0 means accented by position."""

KICK_SYMBOLS: dict[str, Hit] = {"X": (KICK, 124, 1), "x": (KICK, 104, 1), "-": (KICK, 82, 1)}
SNARE_SYMBOLS: dict[str, Hit] = {
    "X": (SNARE, 118, 1),
    "x": (SNARE, 96, 1),
    "-": (SNARE, 46, 1),
    "f": (SNARE, 112, 2),
    "2": (SNARE, 86, 2),
    "3": (SNARE, 86, 3),
}
HAT_SYMBOLS: dict[str, Hit] = {
    "X": (CLOSED_HAT, 118, 1),
    "x": (CLOSED_HAT, 0, 1),
    "-": (CLOSED_HAT, 52, 1),
    "2": (CLOSED_HAT, 0, 2),
    "3": (CLOSED_HAT, 0, 3),
    "4": (CLOSED_HAT, 0, 4),
    "o": (OPEN_HAT, 96, 1),
}
HAT_ACCENTS = (100, 66, 84, 72)
"""Velocity of a positional hat by its 16th within the beat: on the beat, e, and, a."""

KICKS = (
    "X.....x...x..... X.....x..x......",
    "X......x.x...... X......x.x...x..",
    "X..x......X..... X..x....-.x...x.",
    "X.x.......x..x.. X.x.......x.....",
    "X.....X..x...... X.....X..x..x.x.",
    "X.........X...x. X......x..X.....",
    "X..x..x...x..... X..x..x.......x.",
    "X...-.x...x.x... X.....x.x.......",
    "X.x...x..x...... X.x...x..x..x...",
    "X..........x..x. X..x.......x....",
    "X.x...-...x..x.. X.x...-.....x.-x",
    "X.........x.x.x. X......x...x....",
    "X..x.x....x..... X..x.x....x..xx.",
    "X.....xx..x..... X.....x...x...x-",
    "X.........x..... X...............",
    "X..x..x...x..x.. X..x..x..x.x.xx.",
)
"""808 kicks: the downbeat, then sparse syncopation around the half-time snare; last a
breakdown kick (three hits) and a rolling one."""
SNARES = (
    "........X....... ........X.......",
    "........X....... ........X.....-x",
    "........X..-.... ........X..-..-.",
    "........f.....-. ........X.......",
    "........X....... ........X...2.3.",
    "....-...X....... .......-X......x",
    "........X....... ........X.x.x.xx",
    "..-...-.X..-..-. ..-...-.X.-..-.x",
)
"""Snares on the half-time backbeat, with ghosts, a flam, pickups and end-of-loop rolls; the
last is busy with ghosts."""
CLAPS = (
    "........X......x ........X.......",
    "........X....... ........f.....x.",
    "........X.....-. ........X....-.x",
    "........X....... ......x.X.......",
    "......x.X.....xx ......x.X...x.xx",
)
"""Claps on the same backbeat: pickups, a flam and ghosts; the last stacks pickups."""
HATS = (
    "x.x.x.x.x.x.x.x. x.x.x.x.x.x.222x",
    "xxxxxxxxxxxxxxxx xxxxxxxxxxxx333x",
    "x.x.x.x.x.x.x.x. x.x.x.x.x.3.x.3.",
    "x.x.x.2.x.x.x.2x x.x.x.2.x.2.2.x.",
    "xxx.xxx.xxx.xxx. xxx.xxx.x.2.3.4.",
    "x.x.x.x.x.x.x.o. x.x.x.x.x.x.333x",
    "x.x.x.x.x.x.x.o. x.x.x.x.x.x.x.o.",
    "x.xxx.xxx.xxx.xx x.xxx.xxx.x.333x",
    "X.x.X.x.X.x.X.x. X.x.X.xxX.x.2.2.",
    "x.x.2.x.x.x.2.x. x.x.2.x.x.3333x.",
    "xxxxxxxx3333xxxx xxxxxxxx4444x.x.",
    "x.x.x.x.x.x.x.x. 2.2.2.2.3333333.",
    "x.x.x3x.x.x.x3x. x.x.x3x.x.x.444x",
    "x-x-x-x-x-x-x-x- x-x-x-x-x-x-44x.",
    "x.x.x.x.x.o.x.x. x.x.x.x.x.o.3.3.",
    "x..x..x.x..x..x. x..x..x.x..3333x",
    "X-x-X-x-X-x-X-x- X-x-X-x-2.2.333x",
    "x.x.x.x.3.x.x.x. x.x.x.x.3.x.o.x.",
    "xx.xxx.xxx.xxx.x o.xxx.xxx.x4444x",
    "X...x...X...x... X...x...X...x...",
    "X.......x....... X.......x.......",
    "x.x.x...x.x.x... x.x.x...x.x.x.o.",
)
"""Hats: 8th and 16th bases with 32nd, triplet and 64th rolls, accents and open hats; the
last three are sparse, for intros and breakdowns: quarter notes, half notes, and 8ths with
gaps and no rolls."""

PART_SETS: tuple[tuple[str, tuple[str, ...], dict[str, Hit], tuple[int, ...]], ...] = (
    ("kick", KICKS, KICK_SYMBOLS, OUTPUT_PITCHES),
    ("snare", SNARES, SNARE_SYMBOLS, OUTPUT_PITCHES),
    ("clap", CLAPS, SNARE_SYMBOLS, CLAP_PITCHES),
    ("hats", HATS, HAT_SYMBOLS, OUTPUT_PITCHES),
)
"""(file prefix, grids, symbols, output pitch per class) of each kind of part."""


def build_trap_corpus(dst: Path) -> list[Path]:
    """Write every trap part as a 2-bar single-part MIDI loop; the same bytes every time.

    Args:
        dst: folder for the files (created as needed); engine/data/trap for the committed set.

    Returns:
        The paths written, in name order.
    """
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for prefix, grids, symbols, pitches in PART_SETS:
        for number, grid in enumerate(grids, start=1):
            bpm = TRAP_BPMS[(number - 1) % len(TRAP_BPMS)]
            pattern = parse_grid(grid, symbols)
            path = dst / f"{prefix}_{number:02d}.mid"
            path.write_bytes(write_midi(perform(pattern, pitches), bpm, pattern.steps))
            written.append(path)
    return sorted(written)


def read_parts(folder: Path = TRAP_DIR) -> dict[str, Pattern]:
    """Read part files the way sample-pack loops are read: standardise by name, then quantise.

    Args:
        folder: folder of single-part .mid loops; files whose name names no part are skipped.

    Returns:
        File name -> pattern, in name order.
    """
    parts = {}
    for path in sorted(folder.glob("*.mid")):
        part = part_of(path.name)
        if part is not None:
            parts[path.name] = read_midi(standardise_file(path.read_bytes(), part)).pattern
    return parts


def trap_loops(n: int, seed: int) -> list[Pattern]:
    """Full 2-bar trap loops: kick, snare or clap, and hats from different committed parts.

    Args:
        n: loops wanted (the corpus allows well over a thousand distinct ones).
        seed: seed of the recombination; equal seeds give equal loops.

    Returns:
        Up to n distinct loops.
    """
    return recombine(list(read_parts().values()), n, seed)


def backbeat(loop: Pattern) -> Pattern:
    """Rewrite a half-time loop for slow tempos: its snare part plays twice as fast.

    Slow trap is the same feel written at half the bpm: what was one bar with the snare on
    beat 3 is half a bar with the snare on beat 2 and 4. The kick and hats stay as written
    (at a slow tempo they are still 16ths with 32nd rolls); the snare part, compressed to
    half its length and repeated, lands on steps 4 and 12 (BACKBEAT_STEPS).

    Args:
        loop: a whole number of bars, an even number of them.
    """
    velocity, roll = loop.velocity.copy(), loop.roll.copy()
    half = loop.steps // 2
    snare_v, snare_r = loop.velocity[:, SNARE], loop.roll[:, SNARE]
    for part in range(2):
        for k in range(half):
            pair = slice(2 * k, 2 * k + 2)
            hits = snare_v[pair] > 0
            at = part * half + k
            velocity[at, SNARE] = snare_v[pair].max()
            roll[at, SNARE] = min(4, int(snare_r[pair][hits].sum())) if hits.any() else 1
    return Pattern(velocity, roll)


def trap_tempo(loop: Pattern, rng) -> float:
    """A tempo fitting a loop's convention: snare on beat 3 is fast, on 2 and 4 slow."""
    grid = loop.onsets[:, SNARE].reshape(-1, STEPS_PER_BAR)
    slow = grid[:, list(BACKBEAT_STEPS)].all(axis=1).mean() > 0.5
    low, high = BACKBEAT_BPM if slow else HALF_TIME_BPM
    return float(rng.integers(low, high + 1))


def trap_level(loop: Pattern, rng) -> Pattern:
    """Play a loop at a gain drawn from TRAP_LEVELS: every hit scaled, kept within 1-127."""
    gain = rng.uniform(*TRAP_LEVELS)
    hits = loop.velocity > 0
    scaled = np.clip(np.rint(loop.velocity * gain), 1, 127)
    velocity = np.where(hits, scaled, 0).astype(np.uint8)
    return Pattern(velocity, loop.roll.copy(), loop.offset.copy())


def parse_grid(grid: str, symbols: dict[str, Hit]) -> Pattern:
    """Turn grid notation (see the module docstring) into a pattern.

    Args:
        grid: one symbol per 16th step; spaces between bars are ignored.
        symbols: what each symbol plays.

    Raises:
        ValueError: the grid is not PART_BARS bars long or holds an unknown symbol.
    """
    steps = grid.replace(" ", "")
    if len(steps) != PART_BARS * STEPS_PER_BAR:
        raise ValueError(f"a part is {PART_BARS * STEPS_PER_BAR} steps, not {len(steps)}")
    pattern = Pattern.empty(len(steps))
    for step, symbol in enumerate(steps):
        if symbol == ".":
            continue
        if symbol not in symbols:
            raise ValueError(f"unknown grid symbol {symbol!r} at step {step}")
        cls, velocity, roll = symbols[symbol]
        pattern.velocity[step, cls] = velocity or HAT_ACCENTS[step % STEPS_PER_BEAT]
        pattern.roll[step, cls] = roll
    return pattern
