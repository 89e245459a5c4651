"""The renderer, with real FluidSynth and the shipped soundfonts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.errors import RenderError
from engine.music.drums import (
    CLASSES,
    CLOSED_HAT,
    CRASH,
    KICK,
    N_CLASSES,
    OPEN_HAT,
    SNARE,
    STEPS_PER_BAR,
    TICKS_PER_STEP,
)
from engine.music.notes import Note, perform
from engine.music.pattern import Pattern
from engine.sound.kits import load_kits
from engine.sound.render import BLOCK_FRAMES, PEAK_DBFS, SAMPLE_RATE, Renderer

SOUNDFONT_DIR = Path(__file__).resolve().parents[3] / "soundfonts"
KITS = ("808", "acoustic")
FULL_SCALE = 32768.0
ONSET_TOLERANCE_S = 0.010
HOP = SAMPLE_RATE // 1000
"""Onset detector frame: 1 ms."""


@pytest.fixture(scope="module")
def kits():
    return load_kits(SOUNDFONT_DIR)


@pytest.fixture(scope="module")
def renderer(kits):
    renderer = Renderer(kits)
    yield renderer
    renderer.close()


def backbeat(bars: int = 1) -> Pattern:
    """Kick on 1 and 3, snare on 2 and 4."""
    pattern = Pattern.empty(bars * STEPS_PER_BAR)
    pattern.velocity[0::8, KICK] = 120
    pattern.velocity[4::8, SNARE] = 110
    return pattern


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean((audio.astype(np.float64) / FULL_SCALE) ** 2)))


def assert_same_audio(one: np.ndarray, other: np.ndarray) -> None:
    """Equal but for FluidSynth's voice-slot history.

    A voice's first 64-frame block ramps its pan gains from whatever its slot played last, so
    renders on different synths (or a fresh one) differ in a few blocks; a render mixed with
    another differs everywhere.
    """
    diff = one.astype(np.int32) - other
    assert np.mean(np.abs(diff) > 2) < 0.005
    assert rms(diff) < 0.01 * rms(one)


def centroid_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio[:, 0].astype(np.float64)))
    freqs = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    return float((spectrum * freqs).sum() / spectrum.sum())


def onsets_s(audio: np.ndarray, rise_db: float = 15.0, refractory_s: float = 0.05) -> list[float]:
    """Times where high-frequency energy jumps by `rise_db` within 10 ms.

    The second difference keeps the attacks and drops the 808's 50 Hz boom (by 86 dB), whose
    cycles would otherwise look like onsets in 1 ms frames. Levels 60 dB under the loudest
    frame count as silence. The audio is a loop, so its end goes in front of its start.
    """
    lead = 20 * HOP
    looped = np.concatenate([audio[-lead:], audio])
    edge = np.diff(looped.astype(np.float64).mean(axis=1), n=2)
    frames = len(edge) // HOP
    energy = (edge[: frames * HOP].reshape(frames, HOP) ** 2).sum(axis=1)
    level = 10 * np.log10(energy + energy.max() * 1e-6)
    found: list[float] = []
    for i in range(10, frames):
        if level[i] - level[i - 10:i].min() > rise_db:
            t = (i * HOP - lead) / SAMPLE_RATE
            if not found or t - found[-1] > refractory_s:
                found.append(t)
    return found


@pytest.mark.parametrize("kit_name", KITS)
@pytest.mark.parametrize("cls", range(N_CLASSES), ids=CLASSES)
def test_every_kit_sounds_every_class(renderer, kits, kit_name, cls):
    kit = kits[kit_name]
    audio = renderer.render([Note(0, kit.pitches[cls], 100)], 120.0, STEPS_PER_BAR, kit)
    assert rms(audio[: SAMPLE_RATE // 10]) > 0.02


@pytest.mark.parametrize("kit_name", KITS)
def test_kicks_are_low_and_hats_are_high(renderer, kits, kit_name):
    kit = kits[kit_name]

    def hit(cls):
        audio = renderer.render([Note(0, kit.pitches[cls], 100)], 120.0, STEPS_PER_BAR, kit)
        return centroid_hz(audio[: SAMPLE_RATE // 4])

    kick = hit(KICK)
    assert hit(CLOSED_HAT) > 4 * kick and hit(OPEN_HAT) > 4 * kick


@pytest.mark.parametrize("kit_name", KITS)
def test_onsets_fall_on_the_midi_hits(renderer, kits, kit_name):
    kit = kits[kit_name]
    notes = perform(backbeat(), kit.pitches)
    audio = renderer.render(notes, 120.0, STEPS_PER_BAR, kit)
    expected = [0.0, 0.5, 1.0, 1.5]
    found = onsets_s(audio)
    assert len(found) == len(expected), found
    assert np.abs(np.subtract(found, expected)).max() <= ONSET_TOLERANCE_S


@pytest.mark.parametrize("kit_name", KITS)
@pytest.mark.parametrize("tick", [0, 37, 240, 481, 1000, 1919])
def test_a_hit_starts_within_half_a_block_of_its_frame(renderer, kits, kit_name, tick):
    kit = kits[kit_name]
    audio = renderer.render([Note(tick, kit.pitches[SNARE], 127)], 120.0, 32, kit)
    first = int(np.argmax(np.abs(audio).max(axis=1) > 0))
    exact = round(tick / 480 * 0.5 * SAMPLE_RATE)
    assert abs(first - exact) <= BLOCK_FRAMES // 2 + 1


@pytest.mark.parametrize(("steps", "bpm"), [(16, 120.0), (17, 97.3), (128, 85.0), (4, 300.0),
                                            (64, 40.0)])
def test_the_length_is_exactly_the_steps(renderer, kits, steps, bpm):
    audio = renderer.render(perform(backbeat(4).slice(0, steps)), bpm, steps, kits["808"])
    assert audio.shape == (round(steps * 15.0 / bpm * SAMPLE_RATE), 2)
    assert audio.dtype == np.int16


@pytest.mark.parametrize("kit_name", KITS)
def test_peaks_are_normalised_without_clipping(renderer, kits, kit_name):
    kit = kits[kit_name]
    loud = Pattern.empty(STEPS_PER_BAR)
    loud.velocity[:] = 127
    audio = renderer.render(perform(loud, kit.pitches), 120.0, STEPS_PER_BAR, kit)
    peak = np.abs(audio.astype(np.int32)).max()
    assert peak == pytest.approx(10 ** (PEAK_DBFS / 20) * 32767, abs=2)
    assert (np.abs(audio.astype(np.int32)) >= 32767).sum() == 0


@pytest.mark.parametrize("kit_name", KITS)
def test_a_closed_hat_chokes_an_open_hat(renderer, kits, kit_name):
    kit = kits[kit_name]
    ringing = Pattern.empty(STEPS_PER_BAR)
    ringing.velocity[0, OPEN_HAT] = 100
    choked = ringing.slice(0, STEPS_PER_BAR)
    choked.velocity[1, CLOSED_HAT] = 100
    later = slice(int(0.5 * SAMPLE_RATE), int(0.9 * SAMPLE_RATE))  # after the closed hat died
    levels = [renderer.render(perform(p, kit.pitches), 120.0, STEPS_PER_BAR, kit)[later]
              for p in (ringing, choked)]
    assert rms(levels[1]) < 0.1 * rms(levels[0])


def test_the_last_hit_rings_over_the_start(renderer, kits):
    kit = kits["acoustic"]
    pattern = Pattern.empty(STEPS_PER_BAR)
    pattern.velocity[-1, CRASH] = 120
    audio = renderer.render(perform(pattern, kit.pitches), 120.0, STEPS_PER_BAR, kit)
    assert rms(audio[: SAMPLE_RATE // 10]) > 0.01


@pytest.mark.parametrize("kit_name", KITS)
def test_the_loop_is_seamless(renderer, kits, kit_name):
    """Two loops played through equal one loop repeated: the start continues the end.

    At 118.125 bpm a bar is 89600 frames, a whole number of FluidSynth blocks, so both renders
    put every note at the same place in its block. (Sounds longer than the pre-roll, like the
    acoustic crash, would differ: the pre-roll only replays the loop's last 2 s.)
    """
    kit, bpm = kits[kit_name], 118.125
    pattern = backbeat()
    pattern.velocity[14, SNARE] = 127
    pattern.velocity[15, OPEN_HAT] = 100
    once = renderer.render(perform(pattern, kit.pitches), bpm, STEPS_PER_BAR, kit)
    twice = renderer.render(perform(pattern.concat(pattern), kit.pitches), bpm,
                            2 * STEPS_PER_BAR, kit)
    assert len(once) % BLOCK_FRAMES == 0
    assert_same_audio(twice[len(once):], once)


def test_nothing_leaks_into_the_next_render(renderer, kits):
    kit = kits["acoustic"]
    crashes = Pattern.empty(STEPS_PER_BAR)
    crashes.velocity[:, CRASH] = 127
    renderer.render(perform(crashes, kit.pitches), 120.0, STEPS_PER_BAR, kit)
    silence = renderer.render([], 120.0, STEPS_PER_BAR, kit)
    assert not silence.any()


def test_renders_from_two_threads_never_mix(renderer, kits):
    jobs = []
    for i in range(8):
        kit = kits[KITS[i % 2]]
        pattern = backbeat(2)
        pattern.velocity[i::3, CLOSED_HAT] = 40 + 10 * i
        jobs.append((perform(pattern, kit.pitches), 90.0 + i, 2 * STEPS_PER_BAR, kit))
    alone = [renderer.render(*job) for job in jobs]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda job: renderer.render(*job), jobs))
    for one, other in zip(alone, together, strict=True):
        assert_same_audio(one, other)


def test_a_missing_soundfont_raises_render_error(renderer, kits, tmp_path):
    kit = replace(kits["808"], soundfont=tmp_path / "gone.sf2")
    with pytest.raises(RenderError, match="missing"):
        renderer.render([Note(0, 36, 100)], 120.0, STEPS_PER_BAR, kit)


@pytest.mark.parametrize("content", [b"not a soundfont at all", b"RIFF\x10\x00\x00\x00sfbk"])
def test_a_corrupt_soundfont_raises_render_error(renderer, kits, tmp_path, content):
    path = tmp_path / "corrupt.sf2"
    path.write_bytes(content)
    kit = replace(kits["808"], name="corrupt", soundfont=path)
    with pytest.raises(RenderError, match="unreadable"):
        renderer.render([Note(0, 36, 100)], 120.0, STEPS_PER_BAR, kit)


def test_a_truncated_soundfont_raises_render_error(renderer, kits, tmp_path):
    path = tmp_path / "truncated.sf2"
    path.write_bytes((SOUNDFONT_DIR / "808.sf2").read_bytes()[:100_000])
    kit = replace(kits["808"], name="truncated", soundfont=path)
    with pytest.raises(RenderError):
        renderer.render([Note(0, 36, 100)], 120.0, STEPS_PER_BAR, kit)


def test_a_missing_preset_raises_render_error(renderer, kits):
    kit = replace(kits["808"], preset=99)
    with pytest.raises(RenderError, match="preset"):
        renderer.render([Note(0, 36, 100)], 120.0, STEPS_PER_BAR, kit)


def test_a_roll_is_rendered_as_separate_hits(renderer, kits):
    kit = kits["808"]
    pattern = Pattern.empty(STEPS_PER_BAR)
    pattern.velocity[4, SNARE] = 120
    pattern.roll[4, SNARE] = 2
    audio = renderer.render(perform(pattern, kit.pitches), 60.0, STEPS_PER_BAR, kit)
    step_s = TICKS_PER_STEP / 480 * 1.0
    expected = [4 * step_s, 4.5 * step_s]
    assert np.abs(np.subtract(onsets_s(audio), expected)).max() <= ONSET_TOLERANCE_S
