"""A WaveNet-style baseline: dilated causal convolutions on the LSTM's inputs, with its heads.

Trained by `beatbot train --arch wavenet` on the same windows and data and scored by
`beatbot eval --wavenet FILE` beside the LSTM. It is a comparison, not served: sampling runs
in Keras, one step at a time over the receptive field.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.model.config import ModelConfig
from engine.model.features import (
    BUCKET_WIDTH,
    DRIFT_NONE,
    DRIFT_TOKENS,
    EVENT_HITS,
    KNOB_UNSET,
    LAG_STEPS,
    N_ROLLS,
    NO_EVENT,
    OFFSET_BUCKETS,
    TAP_NONE,
    VELOCITY_BUCKETS,
    bucket_offset,
    bucket_velocity,
    model_inputs,
    tempo_bucket,
    tempo_group,
)
from engine.model.generator import EMPTY_BAR_LIMIT, GenerationSpec
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR
from engine.music.pattern import Pattern

DILATIONS = (1, 2, 4, 8, 16, 32)
"""Dilation of each residual block (kernel 2): a receptive field of 64 steps of `prev`."""
RECEPTIVE_FIELD = 1 + sum(DILATIONS)
HISTORY_PAD = 2 * STEPS_PER_BAR
"""Steps of event history kept before the first step: as far back as `back2` looks."""


def build_wavenet(config: ModelConfig, n_styles: int):
    """Build the WaveNet: the LSTM's embeddings, gated dilated causal blocks, the same heads.

    Args:
        config: `hidden` is the number of channels.
        n_styles: named styles; the embedding has one more slot for "any".
    """
    import keras

    from engine.training.keras_model import HitTable, class_table, embedded_inputs, per_class

    inputs, parts = embedded_inputs(config, n_styles)
    x = keras.layers.Conv1D(config.hidden, 1)(keras.layers.Concatenate()(parts))
    skips = []
    for dilation in DILATIONS:
        tanh = keras.layers.Conv1D(config.hidden, 2, padding="causal", dilation_rate=dilation,
                                   activation="tanh")(x)
        gate = keras.layers.Conv1D(config.hidden, 2, padding="causal", dilation_rate=dilation,
                                   activation="sigmoid")(x)
        gated = keras.layers.Multiply()([tanh, gate])
        skips.append(keras.layers.Conv1D(config.hidden, 1)(gated))
        x = keras.layers.Add()([x, keras.layers.Conv1D(config.hidden, 1)(gated)])
    out = keras.layers.Activation("relu")(keras.layers.Add()(skips))
    out = keras.layers.Dropout(config.dropout)(out)
    out = keras.layers.Dense(config.hidden, activation="relu")(out)
    now = keras.layers.Embedding(N_EVENTS, N_CLASSES * OFFSET_BUCKETS,
                                 embeddings_initializer="zeros")(inputs["now"])
    now = keras.layers.Reshape((-1, N_CLASSES, OFFSET_BUCKETS))(now)
    outputs = {
        "event": keras.layers.Dense(N_EVENTS, name="event")(out),
        "velocity": keras.layers.Identity(name="velocity")(
            per_class("velocity", VELOCITY_BUCKETS, out)),
        "roll": keras.layers.Identity(name="roll")(per_class("roll", N_ROLLS, out)),
        "offset": keras.layers.Add(name="offset")(
            [per_class("offset", OFFSET_BUCKETS, out), now,
             class_table("drift_table", DRIFT_TOKENS, inputs["drift"]),
             HitTable(name="velocity_table")(inputs["now_velocity"])]),
    }
    return keras.Model(inputs, outputs, name="drum_wavenet")


def save_wavenet(path: Path, model, style_prior: np.ndarray, meta: dict) -> None:
    """Write the weights, the style prior and the metadata to one .npz file."""
    weights = {f"w{i:03d}": w for i, w in enumerate(model.get_weights())}
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), style_prior=style_prior,
                        **weights)


class ScoredWaveNet:
    """A saved WaveNet as `engine.training.evaluate` scores it: held-out bits and beats.

    Sampling follows the LSTM's sampler: the same style prior (by tempo group), temperature,
    and no bar left silent past beat 2; velocity, roll and timing come after the events.
    """

    def __init__(self, model, style_prior: np.ndarray, meta: dict) -> None:
        self.model = model
        self.meta = meta
        self.config = ModelConfig.from_dict(meta["config"])
        self.styles = tuple(meta["styles"])
        self.prior = style_prior
        self.prior_weight = meta.get("style_prior_weight", 1.0)

    @classmethod
    def load(cls, path: Path) -> ScoredWaveNet:
        """Build the model from the file's config and load its weights."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            prior = data["style_prior"]
            weights = [data[k] for k in sorted(k for k in data.files if k.startswith("w"))]
        model = build_wavenet(ModelConfig.from_dict(meta["config"]), len(meta["styles"]))
        model.set_weights(weights)
        return cls(model, prior, meta)

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        batch, steps = inputs["prev"].shape
        full = {"now": np.zeros((batch, steps), np.int32),
                "now_velocity": np.zeros((batch, steps, N_CLASSES), np.int32),
                "drift": np.full((batch, steps), DRIFT_NONE, np.int32),
                "busy": np.full((batch, steps), KNOB_UNSET, np.int32),
                "loud": np.full((batch, steps), KNOB_UNSET, np.int32),
                "tap": np.full((batch, steps), TAP_NONE, np.int32), **inputs}
        names = model_inputs(tuple(self.config.event_lags))
        out = self.model({k: full[k].astype("int32") for k in names}, training=False)
        return {k: np.asarray(v) for k, v in out.items()}

    def bits_per_step(self, held: list) -> float:
        """Mean negative log2-probability of the held-out events, whole sequences."""
        total, count = 0.0, 0
        for e in held:
            logits = self._run({k: v[None] for k, v in e.inputs().items()})["event"][0]
            logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
            total -= logp[np.arange(e.pattern.steps), e.pattern.events()].sum()
            count += e.pattern.steps
        return total / count / np.log(2)

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec (no primer, guide or fills: the eval uses none)."""
        steps = max(s.steps for s in specs)
        rows = np.arange(len(specs))
        rngs = [np.random.default_rng(s.seed) for s in specs]
        style = np.array([self.styles.index(s.style) if s.style in self.styles
                          else len(self.styles) for s in specs])
        bias = self.prior_weight * self.prior[style, [tempo_group(s.bpm) for s in specs]]
        inverse_t = np.array([1 / s.temperature for s in specs])[:, None]
        history = np.full((len(specs), HISTORY_PAD + steps), NO_EVENT, np.int64)
        inputs = {"pos": np.tile(np.arange(steps) % STEPS_PER_BAR, (len(specs), 1)),
                  "style": np.repeat(style[:, None], steps, 1),
                  "fill": np.zeros((len(specs), steps), np.int64),
                  "tempo": np.array([[tempo_bucket(s.bpm)] * steps for s in specs])}
        for t in range(steps):
            start = max(0, t + 1 - RECEPTIVE_FIELD)
            window = {k: v[:, start : t + 1] for k, v in inputs.items()}
            window.update(_lookback(history, start, t + 1, self.config.event_lags))
            logits = self._run(window)["event"][:, -1] * inverse_t
            logits = logits + bias[:, t % STEPS_PER_BAR]
            bar = history[:, HISTORY_PAD + t - t % STEPS_PER_BAR : HISTORY_PAD + t]
            if t % STEPS_PER_BAR >= EMPTY_BAR_LIMIT:
                logits[(bar == 0).all(axis=1), 0] = -np.inf
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            history[:, HISTORY_PAD + t] = [r.choice(N_EVENTS, p=p[i])
                                                 for i, r in zip(rows, rngs, strict=True)]
        return self._hits(history[:, HISTORY_PAD :], inputs, history, rngs, specs)

    def _hits(self, events, inputs, history, rngs, specs) -> list[Pattern]:
        """Velocity and roll from one pass, then timing given the events and velocities."""
        steps = events.shape[1]
        full = {**inputs, **_lookback(history, 0, steps, self.config.event_lags)}
        first = self._run(full)
        bucket = _gumbel_argmax(first["velocity"], rngs)
        rolls = _gumbel_argmax(first["roll"], rngs) + 1
        full.update(now=events, now_velocity=bucket)
        offset = _gumbel_argmax(self._run(full)["offset"], rngs)
        hits = EVENT_HITS[events]
        out = []
        for i, rng in enumerate(rngs):
            place = rng.random((steps, N_CLASSES))
            within = (place * BUCKET_WIDTH).astype(int)
            velocity = np.where(hits[i], bucket_velocity(bucket[i], within), 0)
            pattern = Pattern(velocity.astype(np.uint8),
                              np.where(hits[i], rolls[i], 1).astype(np.uint8),
                              np.where(hits[i], bucket_offset(offset[i], place), 0))
            out.append(pattern.slice(0, specs[i].steps))
        return out


def _lookback(history: np.ndarray, start: int, stop: int, lags: tuple[str, ...]
              ) -> dict[str, np.ndarray]:
    """The event inputs `lags` (names of LAG_STEPS) of steps [start, stop), from the event
    history padded by HISTORY_PAD steps."""
    t = np.arange(start, stop)
    return {name: history[:, HISTORY_PAD + t - LAG_STEPS[name]] for name in lags}


def _gumbel_argmax(logits: np.ndarray, rngs) -> np.ndarray:
    """A draw from softmax(logits) per row (B, ...) with each row's own generator."""
    noise = np.stack([rng.gumbel(size=logits.shape[1:]) for rng in rngs])
    return np.argmax(logits + noise, axis=-1)
