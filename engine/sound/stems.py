"""Render a beat's stems: one track of audio per drum class, at the mix's own level, so that
the stems add up to the mix.

Each class is played alone through the same synth, kit and settings as a plain render, and
the mix that goes with stems is their sum, normalised as a plain render is; every stem is
scaled by that same gain, so adding the stems gives the mix back (to the rounding of each
sample). The mix is the sum rather than a render of all notes at once because FluidSynth is
not quite linear: a voice's first block (1.5 ms) ramps from the level its voice slot last
played at, so a hit that reuses a slot another drum just left starts a little differently
(peaks of about -30 dBFS in the difference). A kit may also choke one class with another (the
808's closed hat cuts a ringing open hat), which only happens when both play together, so
the classes of a CHOKE_GROUP are rendered cumulatively, and each later class's stem is the
difference its notes make to the group: what it adds to the mix, choke included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.music.drums import CLOSED_HAT, OPEN_HAT
from engine.music.notes import Note
from engine.sound.kits import Kit
from engine.sound.render import FULL_SCALE, Renderer, loop_frames, peak_gain, to_int16

CHOKE_GROUPS: tuple[tuple[int, ...], ...] = ((CLOSED_HAT, OPEN_HAT),)
"""Drum classes a kit may choke against each other (one exclusive class in the soundfont)."""
SILENT_DBFS = -200.0
"""What `residual_dbfs` reports when the stems add up to the mix exactly."""


@dataclass(frozen=True)
class RenderedStems:
    """A mix and its stems, all int16 (frames, 2) at the mix's gain.

    Attributes:
        mix: the sum of the stems' float renders, normalised as Renderer.render does.
        stems: the stem of each drum class that plays, by class, in class order.
        residual_dbfs: peak of sum(stems) - mix, in dB below full scale.
    """

    mix: np.ndarray
    stems: dict[int, np.ndarray]
    residual_dbfs: float


def render_stems(renderer: Renderer, notes: dict[int, list[Note]], bpm: float, steps: int,
                 kit: Kit) -> RenderedStems:
    """Render one stem per class, and the mix as their sum.

    Args:
        renderer: the renderer that plays the mix too.
        notes: the performed notes of each drum class that plays, by class.
        bpm: tempo, beats per minute.
        steps: loop length in 16th steps.
        kit: the kit to play.

    Raises:
        RenderError: as Renderer.render.
    """
    floats = _stem_floats(renderer, notes, bpm, steps, kit)
    mix = np.zeros((loop_frames(steps, bpm), 2), np.float32)
    for audio in floats.values():
        mix += audio
    gain = peak_gain(mix)
    mix16 = to_int16(mix, gain)
    stems = {cls: _clipped(audio, gain) for cls, audio in sorted(floats.items())}
    return RenderedStems(mix16, stems, residual_dbfs(mix16, list(stems.values())))


def _stem_floats(renderer: Renderer, notes: dict[int, list[Note]], bpm: float, steps: int,
                 kit: Kit) -> dict[int, np.ndarray]:
    """The float stem of each class: alone, or its difference within its choke group."""
    floats = {}
    for group in _groups(tuple(notes)):
        so_far, before = [], None
        for cls in group:
            so_far = sorted(so_far + notes[cls])
            audio = renderer.render_float(so_far, bpm, steps, kit)
            floats[cls] = audio if before is None else audio - before
            before = audio
    return floats


def _groups(classes: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The classes that play, split into render groups: each choke group's classes that play
    together, every other class alone."""
    grouped = [tuple(c for c in group if c in classes) for group in CHOKE_GROUPS]
    alone = [(c,) for c in classes if not any(c in group for group in CHOKE_GROUPS)]
    return sorted((g for g in grouped + alone if g), key=lambda g: g[0])


def _clipped(audio: np.ndarray, gain: float) -> np.ndarray:
    """A stem as int16 at the mix's gain, scaled in place (the floats are ours). A stem may
    peak above the mix where the mix's hits cancel each other a little, so it is clipped,
    never wrapped."""
    audio *= gain * FULL_SCALE
    np.rint(audio, out=audio)
    if np.abs(audio).max(initial=0.0) > FULL_SCALE:
        np.clip(audio, -FULL_SCALE - 1, FULL_SCALE, out=audio)
    return audio.astype(np.int16)


def residual_dbfs(mix: np.ndarray, stems: list[np.ndarray]) -> float:
    """Peak of sum(stems) - mix, in dB relative to full scale (SILENT_DBFS when exact)."""
    total = -mix.astype(np.int32)
    for stem in stems:
        total += stem
    peak = float(np.abs(total).max(initial=0))
    return 20 * np.log10(peak / FULL_SCALE) if peak else SILENT_DBFS
