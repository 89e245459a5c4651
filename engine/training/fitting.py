"""The Keras side of the training loop: shuffled batches and the checkpoint callback.

This module imports Keras at the top; `engine.training.train` imports it only once training
starts, so loading a data set or a plan needs no TensorFlow.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from engine.model.config import ModelConfig
from engine.model.features import HEADS, KNOB_UNSET, model_inputs


class Batches(keras.utils.PyDataset):
    """Training windows in batches, shuffled each epoch, with style dropout.

    Args:
        arrays: window arrays by input and head name.
        config: batch size, event lags and style dropout.
        n_styles: the style index past the last one means "any" (dropout's target).
        seed: seed of the shuffle and the dropout; None for validation (fixed order, no
            dropout).
    """

    def __init__(self, arrays: dict[str, np.ndarray], config: ModelConfig, n_styles: int,
                 seed: int | None) -> None:
        super().__init__()
        self.arrays, self.config, self.n_styles, self.seed = arrays, config, n_styles, seed
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(arrays["event"]))
        self.on_epoch_end()

    def __len__(self) -> int:
        return int(np.ceil(len(self.order) / self.config.batch))

    def __getitem__(self, index: int) -> tuple[dict, dict]:
        batch = self.config.batch
        rows = self.order[index * batch : (index + 1) * batch]
        x = {n: self.arrays[n][rows].astype("int32") for n in model_inputs(self.config.event_lags)}
        if self.seed is not None:
            drop = self.rng.random(len(rows)) < self.config.style_dropout
            x["style"][drop] = self.n_styles
            self._condition(x, rows)
        y = {h: self.arrays[h][rows].astype("int32") for h in HEADS}
        return x, y

    def _condition(self, x: dict, rows: np.ndarray) -> None:
        """Give each training row its own knobs (or "as the style plays", knob_dropout of
        the time, each knob apart) and, tap_share of the time, its own onsets to follow."""
        if "busy_set" not in self.arrays:
            return
        n, config = len(rows), self.config
        for knob in ("busy", "loud"):
            own = self.rng.random(n) >= config.knob_dropout
            x[knob] = np.where(own[:, None], self.arrays[f"{knob}_set"][rows],
                               KNOB_UNSET).astype("int32")
        draw = self.rng.random(n)
        every = draw < config.tap_share / 2
        kick_snare = (draw >= config.tap_share / 2) & (draw < config.tap_share)
        x["tap"][every] = self.arrays["tap_all"][rows[every]]
        x["tap"][kick_snare] = self.arrays["tap_kick_snare"][rows[kick_snare]]

    def on_epoch_end(self) -> None:
        """Reshuffle (training batches only)."""
        if self.seed is not None:
            self.rng.shuffle(self.order)


class Checkpoint(keras.callbacks.Callback):
    """Saves weights, optimizer and state every epoch; keeps the best; stops on patience or
    when the time budget is spent.

    Args:
        run_dir: where the checkpoint files go.
        state: the run's state (history, epoch, best, wait, seconds), updated in place.
        config: patience and time budget.
        started: perf_counter() when this fit began.
    """

    def __init__(self, run_dir: Path, state: dict, config: ModelConfig, started: float) -> None:
        super().__init__()
        self.run_dir, self.state, self.config, self.started = run_dir, state, config, started
        self.spent = state.get("seconds", 0.0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Record the epoch, save what a resume needs, and decide whether to stop."""
        logs = {k: float(v) for k, v in (logs or {}).items()}
        state = self.state
        state["history"].append({"epoch": epoch + 1, **logs})
        state["epoch"] = epoch + 1
        # A refit keeps its last epoch: its epochs were chosen on the tuning slice before.
        watched = -epoch if self.config.refit_epochs else logs[self.config.stop_on]
        if watched < state["best"]:
            state.update(best=watched, best_epoch=epoch + 1, wait=0)
            self.model.save_weights(self.run_dir / "best.weights.h5")
        else:
            state["wait"] += 1
        self._save()
        if state["wait"] >= self.config.patience:
            print(f"early stop: no gain for {self.config.patience} epochs")
            self.model.stop_training = True
        if self.spent + time.perf_counter() - self.started > self.config.time_budget_s:
            print(f"stop: the time budget of {self.config.time_budget_s:.0f} s is spent")
            self.model.stop_training = True

    def _save(self) -> None:
        """The last weights (moved into place whole), the optimizer and the state."""
        temporary = self.run_dir / "last.weights.tmp.weights.h5"
        self.model.save_weights(temporary)
        shutil.move(temporary, self.run_dir / "last.weights.h5")
        optimizer = self.model.optimizer.variables
        np.savez(self.run_dir / "optimizer.npz",
                 **{f"v{i}": v.numpy() for i, v in enumerate(optimizer)})
        (self.run_dir / "state.json").write_text(json.dumps(self.state))
