"""Keep and redo: the sampler writes some drums new around drums it keeps exactly."""

import numpy as np
import pytest

from engine.model.generator import GenerationSpec, load_generator
from engine.music.drums import DRUM_PARTS, N_CLASSES

SEEDS = range(100)
STEPS = 32
"""Two bars per beat keeps 100 seeds x every style quick."""


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.fixture(scope="module")
def plain(generator):
    specs = [GenerationSpec(STEPS, style, 1.0, seed) for style in generator.styles
             for seed in SEEDS]
    return specs, generator.generate(specs)


@pytest.mark.parametrize("part", list(DRUM_PARTS))
def test_kept_drums_are_byte_identical_for_100_seeds_and_every_style(generator, plain, part):
    specs, beats = plain
    kept = [c for c in range(N_CLASSES) if c not in DRUM_PARTS[part]]
    redo = [GenerationSpec(STEPS, spec.style, 1.0, spec.seed + 1, keep=beat,
                           keep_classes=tuple(kept))
            for spec, beat in zip(specs, beats, strict=True)]

    new = generator.generate(redo)

    for old, made in zip(beats, new, strict=True):
        for grid in ("velocity", "roll", "offset"):
            assert getattr(made, grid)[:, kept].tobytes() == getattr(old, grid)[:, kept].tobytes()
    changed = [not np.array_equal(m.velocity, o.velocity) for m, o in zip(new, beats, strict=True)]
    assert np.mean(changed) > 0.5  # the part is written new, not copied


def test_a_kept_pattern_shorter_than_the_beat_holds_only_its_own_steps(generator):
    first = generator.generate([GenerationSpec(16, "funk", 1.0, 3)])[0]
    made = generator.generate([GenerationSpec(48, "funk", 1.0, 4, keep=first,
                                              keep_classes=(0, 1))])[0]
    assert made.steps == 48
    assert made.velocity[:16, :2].tobytes() == first.velocity[:, :2].tobytes()


def test_keeping_every_class_returns_the_pattern(generator):
    first = generator.generate([GenerationSpec(32, "rock", 1.0, 5)])[0]
    made = generator.generate([GenerationSpec(32, "rock", 1.0, 6, keep=first,
                                              keep_classes=tuple(range(N_CLASSES)))])[0]
    assert made == first


def test_a_spec_cannot_keep_drums_and_vary_a_guide():
    first = load_generator().generate([GenerationSpec(16, "any", 1.0, 1)])[0]
    with pytest.raises(ValueError):
        GenerationSpec(16, "any", 1.0, 1, guide=first, keep=first, keep_classes=(0,))


def test_with_a_primer_its_steps_stay_whole_and_the_rest_keeps_the_kept_drums(generator):
    beat = generator.generate([GenerationSpec(48, "funk", 1.0, 8)])[0]
    primer = beat.slice(0, 16)
    made = generator.generate([GenerationSpec(32, "funk", 1.0, 9, primer=primer, keep=beat,
                                              keep_classes=(0, 1))])[0]
    assert made.slice(0, 16) == primer
    assert made.velocity[:, :2].tobytes() == beat.velocity[:, :2].tobytes()
