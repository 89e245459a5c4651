"""The drum LSTM in Keras (training and evaluation only; serving uses engine.model.lstm)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from engine.model.config import ModelConfig  # noqa: E402
from engine.model.features import IGNORE, N_ROLLS, VELOCITY_BUCKETS  # noqa: E402
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR  # noqa: E402

HEADS = ("event", "velocity", "roll")


def build_model(config: ModelConfig, n_styles: int) -> keras.Model:
    """Build the LSTM: event, lookback, position, style and fill in; three heads out.

    Args:
        config: hyper-parameters.
        n_styles: named styles; the embedding has one more slot for "any".
    """
    inputs = {n: keras.Input((None,), dtype="int32", name=n)
              for n in ("prev", "back1", "back2", "pos", "style", "fill")}
    events = keras.layers.Embedding(N_EVENTS + 1, config.event_embed, name="event_embed")
    parts = [events(inputs[n]) for n in ("prev", "back1", "back2")]
    parts.append(keras.layers.Embedding(STEPS_PER_BAR, 16, name="pos_embed")(inputs["pos"]))
    parts.append(keras.layers.Embedding(n_styles + 1, config.style_embed,
                                        name="style_embed")(inputs["style"]))
    parts.append(keras.layers.Embedding(2, 4, name="fill_embed")(inputs["fill"]))
    x = keras.layers.Concatenate()(parts)
    x = keras.layers.Dropout(config.dropout)(x)
    x = keras.layers.LSTM(config.hidden, return_sequences=True, name="lstm")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    outputs = {
        "event": keras.layers.Dense(N_EVENTS, name="event")(x),
        "velocity": keras.layers.Reshape((-1, N_CLASSES, VELOCITY_BUCKETS), name="velocity")(
            keras.layers.Dense(N_CLASSES * VELOCITY_BUCKETS, name="velocity_dense")(x)),
        "roll": keras.layers.Reshape((-1, N_CLASSES, N_ROLLS), name="roll")(
            keras.layers.Dense(N_CLASSES * N_ROLLS, name="roll_dense")(x)),
    }
    return keras.Model(inputs, outputs, name="drum_lstm")


def compile_model(model: keras.Model, config: ModelConfig) -> None:
    """Attach Adam and the masked cross-entropy losses (labels of -1 are skipped)."""
    def loss() -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
        loss={h: loss() for h in HEADS},
        loss_weights={"event": 1.0, "velocity": config.velocity_weight,
                      "roll": config.roll_weight},
    )


def export_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """Return every weight the NumPy runtime needs, by name."""
    lstm = model.get_layer("lstm")
    kernel, recurrent, bias = (w.numpy() for w in lstm.weights)
    out = {
        "event_embed": model.get_layer("event_embed").embeddings.numpy(),
        "pos_embed": model.get_layer("pos_embed").embeddings.numpy(),
        "style_embed": model.get_layer("style_embed").embeddings.numpy(),
        "fill_embed": model.get_layer("fill_embed").embeddings.numpy(),
        "lstm_kernel": kernel, "lstm_recurrent": recurrent, "lstm_bias": bias,
    }
    for head in ("event", "velocity_dense", "roll_dense"):
        w, b = (v.numpy() for v in model.get_layer(head).weights)
        out[f"{head}_w"], out[f"{head}_b"] = w, b
    return {k: v.astype(np.float32) for k, v in out.items()}
