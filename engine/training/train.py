"""Train the drum LSTM: windows in, checkpoints every epoch, early stopping, NumPy export."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.data.dataset import Corpus, Performance, load_folder
from engine.errors import EngineError
from engine.model.config import ModelConfig
from engine.model.lstm import DrumLSTM
from engine.training.calibration import calibrate
from engine.training.examples import examples, fit_conditioning, style_vocabulary, windows
from engine.training.style_prior import style_prior

TRAP_LOOPS = 800
"""Trap loops recombined from our own parts for training (see engine.data.trap)."""
TUNE_SHARE = 0.08
"""Share of the training files, in whole sessions, held out as the tuning slice: early
stopping and every choice made after fitting are judged on it, never on validation."""
TUNE = "tune"
"""The split name of the tuning slice."""


@dataclass(frozen=True)
class TrainPlan:
    """Everything one training run needs.

    Attributes:
        data: data folders (Groove's info.csv labels are used when present).
        config: hyper-parameters.
        run_dir: checkpoints, history and the loss curve; a rerun resumes from here.
        out: where the exported model (.npz) goes.
        trap: add the trap corpus as style "trap".
        seed: seed of the shuffling and initial weights.
        max_epochs: override of config.epochs (None keeps it).
        tune_share: share of the training files held out by session as the tuning slice
            (0 for none: early stopping then reads the validation split).
    """

    data: tuple[Path, ...]
    config: ModelConfig
    run_dir: Path
    out: Path
    trap: bool = True
    seed: int = 1
    max_epochs: int | None = None
    tune_share: float = TUNE_SHARE


def load_corpus(plan: TrainPlan) -> Corpus:
    """Load every data folder, plus the trap corpus when asked, with the tuning slice's
    files in split TUNE."""
    corpus = Corpus()
    for folder in plan.data:
        part = load_folder(folder)
        corpus.performances += part.performances
        corpus.skipped.update(part.skipped)
    hold_tuning_slice(corpus, plan.tune_share)
    if plan.trap:
        corpus.performances += trap_performances(plan.seed)
    return corpus


def tuning_sessions(performances: list[Performance], share: float) -> list[str]:
    """Whole sessions of the training split, in the order of a hash of their names, until
    they hold `share` of its files; a session larger than that alone is passed over (Groove's
    largest sessions are a fifth of the data). None when there are no sessions to hold out."""
    train = [p for p in performances if p.split == "train" and p.group]
    sizes: dict[str, int] = {}
    for p in train:
        sizes[p.group] = sizes.get(p.group, 0) + 1
    if share <= 0 or len(sizes) < 2:
        return []
    chosen, files = [], 0
    for session in sorted(sizes, key=lambda s: hashlib.sha1(s.encode()).hexdigest()):
        if files >= share * len(train):
            break
        if sizes[session] <= share * len(train):
            chosen.append(session)
            files += sizes[session]
    return sorted(chosen)


def hold_tuning_slice(corpus: Corpus, share: float) -> None:
    """Move the tuning sessions' training files to split TUNE (in place)."""
    sessions = set(tuning_sessions(corpus.performances, share))
    corpus.performances = [replace(p, split=TUNE) if p.split == "train" and p.group in sessions
                           else p for p in corpus.performances]


def stopping_split(corpus: Corpus) -> str:
    """The split early stopping reads: the tuning slice, or validation without one."""
    return TUNE if corpus.split(TUNE) else "validation"


def trap_performances(seed: int) -> list[Performance]:
    """Recombine our trap parts into 4-bar training loops (train split only): every other
    loop is rewritten for slow tempos (engine.data.trap.backbeat), and each gets a tempo of
    its convention, so the tempo input learns where trap puts the snare, and a level
    (engine.data.trap.trap_level), so the loud knob has soft and loud trap to learn from."""
    from engine.data.trap import backbeat, trap_level, trap_loops, trap_tempo

    rng = np.random.default_rng(seed)
    out = []
    for i, loop in enumerate(trap_loops(TRAP_LOOPS, seed)):
        loop = backbeat(loop) if i % 2 else loop
        loop = loop.concat(loop) if loop.bars < 4 else loop
        bpm = trap_tempo(loop, rng)
        out.append(Performance(f"trap/{i:03d}", trap_level(loop, rng), "trap", "train", False,
                               bpm, "trap"))
    return out


def train(plan: TrainPlan, argv: list[str] | None = None) -> dict:
    """Run (or resume) training and export the best weights.

    Returns:
        The metadata written beside the weights (styles, config, figures).
    """
    import keras

    from engine.training.fitting import Batches, Checkpoint
    from engine.training.keras_model import compile_model, export_weights

    keras.utils.set_random_seed(plan.seed)
    if plan.config.refit_epochs:  # the tuning slice is fitted too; nothing is held out
        plan = replace(plan, tune_share=0.0, max_epochs=plan.config.refit_epochs)
    corpus = load_corpus(plan)
    styles = style_vocabulary(corpus, ("trap",) if plan.trap else ())
    config = plan.config
    fit_items = examples(corpus.split("train"), styles)
    conditioning = fit_conditioning(fit_items, len(styles), config.window, config.stride)
    data = {"train": windows(fit_items, config.window, config.stride, conditioning),
            "validation": windows(examples(corpus.split(stopping_split(corpus)), styles),
                                  config.window, config.stride, conditioning)}
    _check_data(plan, corpus, data)
    model = _build(config, len(styles))
    compile_model(model, config)
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    state = _resume(model, plan.run_dir)
    epochs = plan.max_epochs or config.epochs
    if (state["epoch"] < epochs and state["wait"] < config.patience
            and state.get("seconds", 0.0) < config.time_budget_s):
        started = time.perf_counter()
        model.fit(
            Batches(data["train"], config, len(styles), plan.seed),
            validation_data=(None if config.refit_epochs else
                             Batches(data["validation"], config, len(styles), None)),
            epochs=epochs, initial_epoch=state["epoch"], verbose=1 if sys.stdout.isatty() else 2,
            callbacks=[*_averaging(config), Checkpoint(plan.run_dir, state, config, started),
                       _learning_rate(config)],
        )
        state = json.loads((plan.run_dir / "state.json").read_text())
        state["seconds"] = state.get("seconds", 0.0) + time.perf_counter() - started
        (plan.run_dir / "state.json").write_text(json.dumps(state))
    model.load_weights(plan.run_dir / "best.weights.h5")
    meta = _meta(plan, styles, corpus, data, state, argv)
    meta.update(conditioning.meta())
    prior = style_prior(corpus.split("train"), styles)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    if config.arch == "wavenet":
        from engine.training.wavenet import save_wavenet

        save_wavenet(plan.out, model, prior, meta)
    else:
        weights = {**export_weights(model), "style_prior": prior,
                   "offset_mean": conditioning.offset_mean}
        if config.calibration_rounds:
            found = calibrate(DrumLSTM(weights, meta), corpus.split("train"), prior,
                              plan.seed, config.calibration_rounds)
            weights.update(style_prior=found.event_bias, velocity_shift=found.velocity_shift,
                           offset_shift=found.offset_shift,
                           offset_sharpness=found.offset_sharpness)
            meta["calibration"] = found.report
        DrumLSTM.save(plan.out, weights, meta)
    plot_losses(state["history"], plan.run_dir / "loss.png")
    return meta


def _check_data(plan: TrainPlan, corpus: Corpus, data: dict) -> None:
    """Refuse, in one line, data that can't train a model (windows() of nothing is empty).

    Raises:
        EngineError: a split has no training windows.
    """
    empty = [split for split in ("train", "validation") if not data[split]]
    if not empty:
        return
    skipped = ", ".join(f"{n} {why}" for why, n in corpus.skipped.items()) or "none"
    raise EngineError(f"no {' or '.join(empty)} data in {', '.join(map(str, plan.data))}: "
                      f"{len(corpus.performances)} usable drum files (skipped: {skipped}); "
                      "training needs at least 2 drum .mid files, one of them for validation")


def _build(config: ModelConfig, n_styles: int):
    """The Keras model of the config's architecture."""
    if config.arch == "wavenet":
        from engine.training.wavenet import build_wavenet

        return build_wavenet(config, n_styles)
    from engine.training.keras_model import build_model

    return build_model(config, n_styles)


def _meta(plan: TrainPlan, styles, corpus: Corpus, data, state: dict, argv) -> dict:
    train_files = corpus.split("train")
    return {
        "styles": list(styles),
        "config": plan.config.as_dict(),
        "command": "beatbot train " + " ".join(argv or []),
        "train_files": len(train_files),
        "train_steps": int(sum(p.pattern.steps for p in train_files)),
        "train_windows": int(len(data["train"]["event"])),
        "skipped": dict(corpus.skipped),
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "best_val_loss": None if plan.config.refit_epochs else state["best"],
        "train_seconds": round(state.get("seconds", 0.0), 1),
        "seed": plan.seed,
        "style_prior_weight": plan.config.style_prior_weight,
        "style_guidance": plan.config.style_guidance,
        "style_guidance_by_style": dict(plan.config.style_guidance_by_style),
        "drift_gain": plan.config.drift_gain,
        "stopping_split": "none: refit" if plan.config.refit_epochs else stopping_split(corpus),
        "tune_sessions": sorted({p.group for p in corpus.split(TUNE)}),
        "tune_files": len(corpus.split(TUNE)),
    }


def _resume(model, run_dir: Path) -> dict:
    """Load the last checkpoint (weights and optimizer) when a run is resumed."""
    path = run_dir / "state.json"
    if not path.exists():
        return {"epoch": 0, "best": float("inf"), "best_epoch": 0, "wait": 0, "history": []}
    state = json.loads(path.read_text())
    model.optimizer.build(model.trainable_variables)
    model.load_weights(run_dir / "last.weights.h5")
    _load_optimizer(model, run_dir / "optimizer.npz")
    print(f"resuming after epoch {state['epoch']} (best val loss {state['best']:.4f})")
    return state


def _load_optimizer(model, path: Path) -> None:
    if path.exists():
        with np.load(path) as saved:
            for i, var in enumerate(model.optimizer.variables):
                var.assign(saved[f"v{i}"])


def _averaging(config: ModelConfig) -> list:
    """With weight averaging, swap the average in for validation and the checkpoints (so
    a resume goes on from the average)."""
    import keras

    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if config.weight_average else []


def _learning_rate(config: ModelConfig):
    """The learning rate of each epoch: decays by config.lr_decay (the same on a resume)."""
    import keras

    return keras.callbacks.LearningRateScheduler(
        lambda epoch: config.learning_rate * config.lr_decay**epoch)


def plot_losses(history: list[dict], path: Path) -> None:
    """Draw training and validation loss per epoch to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for key, label in (("event_loss", "train event"), ("val_event_loss", "validation event"),
                       ("loss", "train total"), ("val_loss", "validation total")):
        if history and key in history[0]:
            ax.plot(epochs, [h[key] for h in history], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (nats per step)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
