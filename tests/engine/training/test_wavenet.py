"""The WaveNet baseline (engine.training.wavenet), untrained and tiny: it is causal, a saved
one loads back the same, and its sampler writes each spec's length, the same beat for the same
seed, with no bar left silent. Keras is imported inside the tests only (training it is tested
in test_train.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.dataset import bar_has_hits
from engine.model.config import CONFIGS
from engine.model.features import N_TEMPOS, NO_EVENT, TEMPO_GROUPS, VELOCITY_BUCKETS
from engine.model.generator import GenerationSpec
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR

CONFIG = CONFIGS["tiny-wavenet"]
STYLES = ("rock", "trap")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A freshly built tiny WaveNet, saved with a random style prior, and loaded back."""
    pytest.importorskip("keras", reason="training needs the [train] extra")
    from engine.training.wavenet import ScoredWaveNet, build_wavenet, save_wavenet

    model = build_wavenet(CONFIG, len(STYLES))
    prior = np.random.default_rng(0).normal(
        0, 0.1, (len(STYLES) + 1, TEMPO_GROUPS, STEPS_PER_BAR, N_EVENTS)).astype(np.float32)
    meta = {"styles": list(STYLES), "config": CONFIG.as_dict()}
    path = tmp_path_factory.mktemp("wavenet") / "wavenet.npz"
    save_wavenet(path, model, prior, meta)
    return ScoredWaveNet(model, prior, meta), ScoredWaveNet.load(path)


def _inputs(steps: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    events = {k: rng.integers(0, NO_EVENT + 1, (1, steps)) for k in CONFIG.event_lags}
    return {**events, "pos": (np.arange(steps) % STEPS_PER_BAR)[None],
            "style": np.zeros((1, steps), np.int64), "fill": np.zeros((1, steps), np.int64),
            "tempo": np.full((1, steps), N_TEMPOS - 1),
            "now": rng.integers(0, N_EVENTS, (1, steps)),
            "now_velocity": rng.integers(0, VELOCITY_BUCKETS, (1, steps, N_CLASSES))}


def test_a_saved_wavenet_loads_back_the_same(saved):
    built, loaded = saved
    inputs = _inputs(24, seed=1)

    assert loaded.styles == STYLES and loaded.config == CONFIG
    np.testing.assert_array_equal(loaded.prior, built.prior)
    for head, out in built._run(inputs).items():
        np.testing.assert_allclose(loaded._run(inputs)[head], out, atol=1e-6, err_msg=head)


def test_no_step_sees_the_steps_after_it(saved):
    _, model = saved
    first, second = _inputs(24, seed=1), _inputs(24, seed=2)
    mixed = {k: np.concatenate([first[k][:, :12], second[k][:, 12:]], axis=1) for k in first}

    a, b = model._run(first)["event"], model._run(mixed)["event"]

    np.testing.assert_allclose(a[:, :12], b[:, :12], atol=1e-5)
    assert not np.allclose(a[:, 12:], b[:, 12:])


def test_the_sampler_writes_each_length_the_same_for_a_seed_and_no_silent_bar(saved):
    _, model = saved
    specs = [GenerationSpec(2 * STEPS_PER_BAR, "rock", 1.0, 1, bpm=95),
             GenerationSpec(2 * STEPS_PER_BAR, "rock", 1.0, 1, bpm=95),
             GenerationSpec(STEPS_PER_BAR, "polka", 0.5, 2, bpm=150)]

    beats = model.generate(specs)

    assert [b.steps for b in beats] == [32, 32, 16]
    assert beats[0] == beats[1]
    assert all(bar_has_hits(b).all() for b in beats)
    for b in beats:
        hit = b.onsets
        assert (b.velocity[hit] >= 1).all() and (b.velocity[~hit] == 0).all()
        assert (np.abs(b.offset) <= 0.5).all() and (b.offset[~hit] == 0).all()
