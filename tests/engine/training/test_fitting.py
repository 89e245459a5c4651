"""The Keras side of training (engine.training.fitting): batches that cover every window once
an epoch with style dropout only in training, and a checkpoint that keeps the best weights and
stops on patience or the time budget. Keras is imported inside the tests only."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from engine.model.config import CONFIGS
from engine.model.features import HEADS, model_inputs

CONFIG = replace(CONFIGS["tiny"], batch=4, style_dropout=0.5, patience=2)
N_STYLES = 3


def arrays(rows: int = 10, window: int = 8) -> dict[str, np.ndarray]:
    """Window arrays of every input and head; row i holds i everywhere (style: 1)."""
    ids = np.arange(rows)[:, None].repeat(window, 1)
    out = {name: ids.copy() for name in (*model_inputs(CONFIG.event_lags), *HEADS)}
    out["style"] = np.ones_like(ids)
    return out


@pytest.fixture(scope="module")
def fitting():
    pytest.importorskip("keras", reason="training needs the [train] extra")
    from engine.training import fitting

    return fitting


def test_validation_batches_keep_their_order_and_their_style(fitting):
    batches = fitting.Batches(arrays(), CONFIG, N_STYLES, seed=None)

    assert len(batches) == 3  # 10 windows, 4 a batch
    x, y = batches[2]
    assert set(x) == set(model_inputs(CONFIG.event_lags)) and set(y) == set(HEADS)
    assert list(x["prev"][:, 0]) == [8, 9] and (x["style"] == 1).all()
    assert x["prev"].dtype == y["event"].dtype == np.int32
    batches.on_epoch_end()
    assert list(batches[0][0]["prev"][:, 0]) == [0, 1, 2, 3]


def test_training_batches_cover_every_window_each_epoch_and_drop_styles(fitting):
    batches = fitting.Batches(arrays(rows=400), CONFIG, N_STYLES, seed=3)
    epochs = []
    for _ in range(2):
        rows = [batches[i][0] for i in range(len(batches))]
        epochs.append(np.concatenate([x["prev"][:, 0] for x in rows]))
        styles = np.concatenate([x["style"][:, 0] for x in rows])
        batches.on_epoch_end()
        assert set(styles) == {1, N_STYLES} and 0.4 < (styles == N_STYLES).mean() < 0.6

    assert all(sorted(epoch) == list(range(400)) for epoch in epochs)
    assert list(epochs[0]) != list(epochs[1]) != list(range(400))  # shuffled, anew


def _model():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
    return model


def test_the_checkpoint_keeps_the_best_and_stops_after_patience(fitting, tmp_path, capsys):
    state = {"history": [], "epoch": 0, "best": float("inf"), "wait": 0}
    checkpoint = fitting.Checkpoint(tmp_path, state, CONFIG, time.perf_counter())
    model = _model()
    checkpoint.set_model(model)

    for epoch, loss in enumerate((1.0, 0.8, 0.9, 0.85)):
        checkpoint.on_epoch_end(epoch, {"loss": loss + 0.1, "val_loss": loss})
        if epoch == 1:
            best = (tmp_path / "best.weights.h5").stat().st_mtime_ns

    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved == state and (state["epoch"], state["best_epoch"], state["best"]) == (4, 2, 0.8)
    assert [h["val_loss"] for h in state["history"]] == [1.0, 0.8, 0.9, 0.85]
    assert (tmp_path / "best.weights.h5").stat().st_mtime_ns == best  # not overwritten
    assert (tmp_path / "last.weights.h5").exists() and (tmp_path / "optimizer.npz").exists()
    assert model.stop_training and "early stop: no gain for 2 epochs" in capsys.readouterr().out


def test_the_checkpoint_stops_when_the_time_budget_is_spent(fitting, tmp_path, capsys):
    config = replace(CONFIG, time_budget_s=60.0)
    state = {"history": [], "epoch": 0, "best": float("inf"), "wait": 0, "seconds": 59.0}
    checkpoint = fitting.Checkpoint(tmp_path, state, config, time.perf_counter() - 2.0)
    model = _model()
    checkpoint.set_model(model)

    checkpoint.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})

    assert model.stop_training and state["wait"] == 0
    assert "the time budget of 60 s is spent" in capsys.readouterr().out
