"""The shipped model through the NumPy runtime: determinism, primers, variations, fills."""

import subprocess
import sys

import numpy as np
import pytest

from engine.data.dataset import bar_has_hits
from engine.model.generator import DEFAULT_MODEL, DrumGenerator, GenerationSpec, load_generator
from engine.music.drums import SNARE, STEPS_PER_BAR
from engine.music.midi_io import write_midi
from engine.music.notes import perform

BARS8 = 8 * STEPS_PER_BAR


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    loaded = load_generator()
    assert isinstance(loaded, DrumGenerator), f"no trained model at {DEFAULT_MODEL}"
    return loaded


def test_the_shipped_model_is_small_and_knows_trap(generator):
    assert DEFAULT_MODEL.stat().st_size < 20 * 2**20
    assert "trap" in generator.styles and "rock" in generator.styles


def test_same_seed_same_midi_bytes(generator):
    def midi(seed: int) -> bytes:
        pattern = generator.generate([GenerationSpec(BARS8, "funk", 1.0, seed)])[0]
        return write_midi(perform(pattern), 90, pattern.steps)
    assert midi(11) == midi(11)
    assert midi(11) != midi(12)


def test_batching_does_not_change_a_beat(generator):
    specs = [GenerationSpec(BARS8, s, 1.0, i) for i, s in enumerate(("rock", "trap", "jazz"))]
    together = generator.generate(specs)
    assert all(a == generator.generate([s])[0] for a, s in zip(together, specs, strict=True))


def test_beats_have_no_empty_bar_and_real_velocities(generator):
    beats = generator.generate([GenerationSpec(BARS8, "any", 1.3, s) for s in range(20)])
    assert all(bar_has_hits(b).all() for b in beats)
    velocities = np.concatenate([b.velocity[b.onsets] for b in beats])
    assert velocities.min() < 60 and velocities.max() > 100  # ghost notes and accents


def test_a_primer_is_kept_and_continued(generator):
    primer = generator.generate([GenerationSpec(2 * STEPS_PER_BAR, "rock", 1.0, 5)])[0]
    out = generator.generate([GenerationSpec(4 * STEPS_PER_BAR, "rock", 1.0, 6,
                                             primer=primer)])[0]
    assert out.steps == 6 * STEPS_PER_BAR
    assert out.slice(0, primer.steps) == primer
    assert out.onsets[primer.steps :].any()


def test_a_variation_keeps_most_of_the_beat(generator):
    beat = generator.generate([GenerationSpec(BARS8, "funk", 1.0, 1)])[0]
    variation = generator.generate([GenerationSpec(BARS8, "funk", 1.0, 2, guide=beat)])[0]
    same_steps = (beat.events() == variation.events()).mean()
    assert 0.6 < same_steps < 1.0


def test_fills_change_the_last_bar_of_each_group(generator):
    specs = [GenerationSpec(4 * STEPS_PER_BAR, "rock", 1.0, s, fills=f)
             for s in range(30) for f in (0, 4)]
    beats = generator.generate(specs)
    def last_bar_toms(fills: int) -> float:
        chosen = [b for b, s in zip(beats, specs, strict=True) if s.fills == fills]
        return np.mean([b.onsets[3 * STEPS_PER_BAR :, 4:7].sum() for b in chosen])
    assert last_bar_toms(4) > last_bar_toms(0)


def test_hits_carry_learned_timing_offsets(generator):
    beats = generator.generate([GenerationSpec(BARS8, "funk", 1.0, s, bpm=100) for s in range(10)])
    offsets = np.concatenate([b.offset[b.onsets] for b in beats])
    assert np.abs(offsets).max() <= 0.5
    assert 0.08 < offsets.std() < 0.3  # Groove's drummers: about 0.19 of a step
    assert all(not b.offset[~b.onsets].any() for b in beats)


def _snare_share(generator, bpm: float, step: int) -> float:
    beats = generator.generate([GenerationSpec(BARS8, "trap", 1.0, s, bpm=bpm)
                                for s in range(20)])
    return float(np.mean([b.onsets[step::STEPS_PER_BAR, SNARE].mean() for b in beats]))


def test_the_tempo_moves_the_trap_snare(generator):
    """Slow trap has the snare on beats 2 and 4 (step 4 and 12), fast trap on beat 3 (step 8)."""
    assert _snare_share(generator, 85, 4) > 0.7 and _snare_share(generator, 85, 12) > 0.7
    assert _snare_share(generator, 150, 8) > 0.7
    assert _snare_share(generator, 150, 4) < 0.3


def test_the_serving_path_imports_neither_tensorflow_nor_discord():
    code = ("import sys, engine.beat.maker, engine.model.generator, cli.main, cli.beat;"
            "bad = [m for m in ('tensorflow', 'keras', 'discord', 'aiosqlite', 'bot')"
            " if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_style_guidance_steers_every_step(generator):
    import copy

    assert generator.lstm.meta["style_guidance"] > 0
    plain_model = copy.copy(generator.lstm)
    plain_model.meta = {**generator.lstm.meta, "style_guidance": 0.0}
    plain = DrumGenerator(plain_model)
    spec = GenerationSpec(BARS8, "funk", 1.0, 3, bpm=95)
    assert plain.generate([spec])[0] != generator.generate([spec])[0]
