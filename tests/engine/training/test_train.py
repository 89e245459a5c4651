"""A short training run on a tiny fixture set lowers the loss, resumes, and exports weights
that the NumPy runtime reproduces (parity with Keras within 1e-4)."""

import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training needs the [train] extra")

from engine.data.dataset import bar_has_hits, split_of  # noqa: E402
from engine.model.config import CONFIGS  # noqa: E402
from engine.model.features import (  # noqa: E402
    DRIFT_TOKENS,
    HEADS,
    KNOB_TOKENS,
    N_TEMPOS,
    TAP_TOKENS,
    VELOCITY_BUCKETS,
)
from engine.model.generator import GenerationSpec  # noqa: E402
from engine.model.lstm import DrumLSTM  # noqa: E402
from engine.music.drums import N_CLASSES, STEPS_PER_BAR  # noqa: E402
from engine.training.train import TrainPlan, train  # noqa: E402
from tests.midi_fixtures import drum_file  # noqa: E402


def _rock(variant: int) -> bytes:
    hits = []
    for bar in range(2):
        base = bar * 4
        hits += [(base + b / 2, 42, 70 + 20 * (b % 2 == 0)) for b in range(8)]
        hits += [(base + 1, 38, 110), (base + 3, 38, 110), (base, 36, 100)]
        hits += [(base + (variant % 4) / 2 + 2, 36, 90)]
    return drum_file(hits)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    data = root / "loops"
    data.mkdir()
    names = [f"rock_{i:02d}.mid" for i in range(40)]
    assert any(split_of(n) == "validation" for n in names)
    for i, name in enumerate(names):
        (data / name).write_bytes(_rock(i))
    plan = TrainPlan((data,), CONFIGS["tiny"], root / "run", root / "tiny.npz", trap=False,
                     max_epochs=2)
    train(plan)
    resumed = TrainPlan(plan.data, plan.config, plan.run_dir, plan.out, trap=False, max_epochs=3)
    meta = train(resumed)
    return plan, meta


def test_training_lowers_the_loss(tiny_run):
    plan, _ = tiny_run
    history = json.loads((plan.run_dir / "state.json").read_text())["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    assert (plan.run_dir / "loss.png").stat().st_size > 1000


def test_a_rerun_resumes_from_the_checkpoint(tiny_run):
    plan, meta = tiny_run
    history = json.loads((plan.run_dir / "state.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert meta["epochs"] == 3


def test_numpy_runtime_matches_keras(tiny_run):
    from bench.keras_reference import KerasReference

    plan, _ = tiny_run
    reference = KerasReference(plan.out)
    lstm = DrumLSTM.load(plan.out)
    rng = np.random.default_rng(0)
    inputs = {name: rng.integers(0, 513, (3, 40)) for name in lstm.meta["config"]["event_lags"]}
    inputs.update({name: rng.integers(0, high, (3, 40)) for name, high in (
        ("pos", 16), ("fill", 2), ("tempo", N_TEMPOS), ("now", 512), ("busy", KNOB_TOKENS),
        ("loud", KNOB_TOKENS), ("tap", TAP_TOKENS), ("drift", DRIFT_TOKENS))})
    inputs["style"] = np.full((3, 40), len(lstm.styles))
    inputs["now_velocity"] = rng.integers(0, VELOCITY_BUCKETS, (3, 40, N_CLASSES))
    keras_out = reference.sequence.predict({k: v.astype("int32") for k, v in inputs.items()},
                                           verbose=0)
    ours = lstm.run(inputs)
    for head in HEADS:
        assert np.abs(keras_out[head] - getattr(ours, head)).max() < 1e-4


def test_the_wavenet_baseline_trains_scores_and_samples(tiny_run, tmp_path):
    from engine.training.examples import examples
    from engine.training.train import load_corpus
    from engine.training.wavenet import ScoredWaveNet

    plan, _ = tiny_run
    wavenet = TrainPlan(plan.data, CONFIGS["tiny-wavenet"], tmp_path / "run",
                        tmp_path / "wavenet.npz", trap=False)
    meta = train(wavenet)
    assert meta["config"]["arch"] == "wavenet" and meta["epochs"] == 2
    model = ScoredWaveNet.load(wavenet.out)
    held = examples(load_corpus(wavenet).split("validation"), model.styles)
    assert 0 < model.bits_per_step(held) < 9  # below a uniform guess over 512 events
    specs = [GenerationSpec(2 * STEPS_PER_BAR, "any", 1.0, seed, bpm=95) for seed in (1, 1, 2)]
    beats = model.generate(specs)
    assert beats[0] == beats[1] and beats[0].steps == 2 * STEPS_PER_BAR
    assert all(bar_has_hits(b).all() for b in beats)


def test_training_calibrates_the_sampler(tiny_run):
    plan, meta = tiny_run
    report = meta["calibration"]
    assert report["rounds"] == CONFIGS["tiny"].calibration_rounds
    assert report["after"]["velocity"] < report["before"]["velocity"]
    assert report["after"]["rate"] < report["before"]["rate"]
    lstm = DrumLSTM.load(plan.out)
    assert lstm.velocity_shift.shape == (len(lstm.styles) + 1, 2, STEPS_PER_BAR, N_CLASSES)
    assert np.abs(lstm.velocity_shift).max() > 0


def test_validation_and_export_use_the_weight_average(tiny_run, tmp_path):
    """With an average that barely follows the weights, validation sees weights close to
    where training started, so its loss hardly moves while the plain run's falls."""
    plan, _ = tiny_run
    config = replace(CONFIGS["tiny"], weight_average=0.999999, calibration_rounds=0)
    averaged = TrainPlan(plan.data, config, tmp_path / "run", tmp_path / "averaged.npz",
                         trap=False, max_epochs=2)
    train(averaged)

    def val_event_losses(run_dir):
        history = json.loads((run_dir / "state.json").read_text())["history"]
        return [h["val_event_loss"] for h in history[:2]]

    plain, slow = val_event_losses(plan.run_dir), val_event_losses(averaged.run_dir)
    assert plain[0] - plain[1] > 0.05
    assert abs(slow[0] - slow[1]) < 0.1 * (plain[0] - plain[1])
    assert slow[1] > plain[1]
