"""The drum LSTM in Keras (training and evaluation only; serving uses engine.model.lstm)."""

from __future__ import annotations

import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from engine.model.config import ModelConfig  # noqa: E402
from engine.model.features import (  # noqa: E402
    CONTEXT_NAMES,
    DRIFT_TOKENS,
    EVENT_HITS,
    HEADS,
    IGNORE,
    KNOB_TOKENS,
    N_ROLLS,
    N_TEMPOS,
    OFFSET_BUCKETS,
    TAP_TOKENS,
    VELOCITY_BUCKETS,
)
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR  # noqa: E402

TEMPO_EMBED = 8
"""Width of the tempo-bucket embedding."""
KNOB_EMBED = 4
"""Width of the busy and loud knob embeddings."""
TAP_EMBED = 8
"""Width of the tap embedding (the material a beat follows)."""
OFFSET_TABLES = ("now_embed", "tap_table", "drift_table")
"""The offset head's lookup tables, each (tokens, 9 * 16): by the event at t, by the tap at
t, and by the drift (the timing just played)."""
LOUD_TABLES = ("loud_table", "style_loud_table")
"""The velocity head's tables by the loud knob, (tokens, 9 * 8): one for every style, and
one by style and knob that adds each style's own reach. They are a path from the knob to
each drum's velocity that does not go through the LSTM; the export folds them into one
table by style and knob, `loud_table`."""


@keras.saving.register_keras_serializable("beatbot")
class HitTable(keras.layers.Layer):
    """Offset logits by (class, velocity bucket): a learned (9, 8, K) table, gathered."""

    def build(self, input_shape):
        """Make the layer's weights."""
        self.table = self.add_weight(shape=(N_CLASSES * VELOCITY_BUCKETS, OFFSET_BUCKETS),
                                     initializer="zeros", name="table")

    def call(self, velocity_bucket):
        """Each hit's velocity row for its bucket."""
        index = velocity_bucket + keras.ops.arange(N_CLASSES, dtype="int32") * VELOCITY_BUCKETS
        return keras.ops.take(self.table, index, axis=0)


def drum_parts(rows: int, order: int) -> np.ndarray:
    """(rows, parts) 0/1: for each event, which drums (order 1) and also which pairs of
    drums (order 2) it hits (bit i = class i); rows past 511 hit nothing."""
    drums = EVENT_HITS[:rows].astype("float32")
    pairs = [drums[:, [a]] * drums[:, [b]]
             for a, b in itertools.combinations(range(N_CLASSES), 2)] if order > 1 else []
    return np.concatenate([drums, *pairs], axis=1)


@keras.saving.register_keras_serializable("beatbot")
class SharedDrumEmbedding(keras.layers.Layer):
    """An event embedding whose row is the event's own vector plus one vector per drum (and
    pair of drums, at order 2) it hits, so that rare combinations of drums learn from every
    event with those drums."""

    def __init__(self, rows: int, width: int, order: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.rows, self.width, self.order = rows, width, order

    def build(self, input_shape):
        """Make the layer's weights."""
        self.parts = keras.ops.convert_to_tensor(drum_parts(self.rows, self.order))
        self.own = self.add_weight(shape=(self.rows, self.width), name="own",
                                   initializer=keras.initializers.RandomUniform(-0.05, 0.05))
        self.per_part = self.add_weight(shape=(self.parts.shape[1], self.width),
                                        name="per_part", initializer="zeros")

    def table(self):
        """The folded (rows, width) table: what the NumPy runtime looks up."""
        return self.own + keras.ops.matmul(self.parts, self.per_part)

    def call(self, events):
        """Embed a batch of events."""
        return keras.ops.take(self.table(), events, axis=0)

    def get_config(self):
        """The layer's settings, so a saved model loads again."""
        return {**super().get_config(), "rows": self.rows, "width": self.width,
                "order": self.order}


@keras.saving.register_keras_serializable("beatbot")
class SharedDrumLogits(keras.layers.Layer):
    """The 512-way event logits, each the event's own plus one term per drum (and pair of
    drums, at order 2) it hits."""

    def __init__(self, order: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.order = order

    def build(self, input_shape):
        """Make the layer's weights."""
        width = input_shape[-1]
        self.parts = keras.ops.convert_to_tensor(drum_parts(N_EVENTS, self.order).T)
        n_parts = self.parts.shape[0]
        self.own = self.add_weight(shape=(width, N_EVENTS), name="kernel",
                                   initializer="glorot_uniform")
        self.own_bias = self.add_weight(shape=(N_EVENTS,), name="bias", initializer="zeros")
        self.per_part = self.add_weight(shape=(width, n_parts), name="per_part",
                                        initializer="zeros")
        self.per_part_bias = self.add_weight(shape=(n_parts,), name="per_part_bias",
                                             initializer="zeros")

    def folded(self):
        """(kernel, bias) of the one dense layer this is: what the NumPy runtime uses."""
        return (self.own + keras.ops.matmul(self.per_part, self.parts),
                self.own_bias + keras.ops.matmul(self.per_part_bias[None], self.parts)[0])

    def call(self, x):
        """Event logits for a batch of hidden states."""
        kernel, bias = self.folded()
        return keras.ops.matmul(x, kernel) + bias

    def get_config(self):
        """The layer's settings, so a saved model loads again."""
        return {**super().get_config(), "order": self.order}


def per_class(name: str, width: int, x):
    """A dense layer from x to (..., 9, width) logits."""
    dense = keras.layers.Dense(N_CLASSES * width, name=f"{name}_dense")(x)
    return keras.layers.Reshape((-1, N_CLASSES, width), name=f"{name}_logits")(dense)


def embedded_inputs(config: ModelConfig, n_styles: int) -> tuple[dict, list]:
    """The inputs every architecture takes, and the embeddings of those it reads at each
    step (the event lags, position, style, fill and tempo), in that order.

    Returns:
        The Keras inputs by name (with `now` and `now_velocity` for the offset head), and
        the embedded tensors to concatenate.
    """
    inputs = {n: keras.Input((None,), dtype="int32", name=n)
              for n in (*config.event_lags, *CONTEXT_NAMES)}
    inputs["now"] = keras.Input((None,), dtype="int32", name="now")
    inputs["now_velocity"] = keras.Input((None, N_CLASSES), dtype="int32", name="now_velocity")
    inputs["drift"] = keras.Input((None,), dtype="int32", name="drift")
    events = (SharedDrumEmbedding(N_EVENTS + 1, config.event_embed, config.shared_drums,
                                  name="event_embed") if config.shared_drums else
              keras.layers.Embedding(N_EVENTS + 1, config.event_embed, name="event_embed"))
    parts = [events(inputs[n]) for n in config.event_lags]
    parts.append(keras.layers.Embedding(STEPS_PER_BAR, 16, name="pos_embed")(inputs["pos"]))
    parts.append(keras.layers.Embedding(n_styles + 1, config.style_embed,
                                        name="style_embed")(inputs["style"]))
    parts.append(keras.layers.Embedding(2, 4, name="fill_embed")(inputs["fill"]))
    parts.append(keras.layers.Embedding(N_TEMPOS, TEMPO_EMBED,
                                        name="tempo_embed")(inputs["tempo"]))
    for knob in ("busy", "loud"):
        parts.append(keras.layers.Embedding(KNOB_TOKENS, KNOB_EMBED,
                                            name=f"{knob}_embed")(inputs[knob]))
    parts.append(keras.layers.Embedding(TAP_TOKENS, TAP_EMBED, name="tap_embed")(inputs["tap"]))
    return inputs, parts


def class_table(name: str, tokens: int, index, width: int = OFFSET_BUCKETS):
    """Per-class logits (..., 9, width) looked up by one input (zero at the start)."""
    rows = keras.layers.Embedding(tokens, N_CLASSES * width,
                                  embeddings_initializer="zeros", name=name)(index)
    return keras.layers.Reshape((-1, N_CLASSES, width))(rows)


def build_model(config: ModelConfig, n_styles: int) -> keras.Model:
    """Build the LSTM: event, lookback, position, style, fill and tempo in; four heads out.

    The offset head also takes the event at t (`now`) and the velocity bucket of each class
    at t (`now_velocity`): at sampling both are known before the offsets are drawn.

    Args:
        config: hyper-parameters.
        n_styles: named styles; the embedding has one more slot for "any".
    """
    inputs, parts = embedded_inputs(config, n_styles)
    x = keras.layers.Concatenate()(parts)
    x = keras.layers.Dropout(config.dropout)(x)
    x = keras.layers.LSTM(config.hidden, return_sequences=True, name="lstm")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    tables = [class_table(name, tokens, inputs[key]) for name, tokens, key in zip(
        OFFSET_TABLES, (N_EVENTS, TAP_TOKENS, DRIFT_TOKENS), ("now", "tap", "drift"),
        strict=True)]
    # The timing head reads the LSTM's state without training it: drummers' offsets are
    # noisy and personal, and learning them through the LSTM cost the events' bits. It
    # also reads the drift, so a late stretch stays late, and the material's own timing.
    held = keras.layers.Lambda(keras.ops.stop_gradient, name="hold")(x)
    offset = keras.layers.Add(name="offset")(
        [per_class("offset", OFFSET_BUCKETS, held), *tables,
         HitTable(name="velocity_table")(inputs["now_velocity"])])
    outputs = {
        "event": (SharedDrumLogits(config.shared_drums, name="event") if config.shared_drums else
                  keras.layers.Dense(N_EVENTS, name="event"))(x),
        "velocity": keras.layers.Add(name="velocity")(
            [per_class("velocity", VELOCITY_BUCKETS, x),
             class_table("loud_table", KNOB_TOKENS, inputs["loud"], VELOCITY_BUCKETS),
             class_table("style_loud_table", (n_styles + 1) * KNOB_TOKENS,
                         inputs["style"] * KNOB_TOKENS + inputs["loud"], VELOCITY_BUCKETS)]),
        "roll": keras.layers.Identity(name="roll")(per_class("roll", N_ROLLS, x)),
        "offset": offset,
    }
    return keras.Model(inputs, outputs, name="drum_lstm")


def compile_model(model: keras.Model, config: ModelConfig) -> None:
    """Attach Adam and the masked cross-entropy losses (labels of -1 are skipped)."""
    def loss() -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE)
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=1.0,
                                      use_ema=config.weight_average > 0,
                                      ema_momentum=config.weight_average or 0.99,
                                      weight_decay=config.own_decay or None)
    if config.own_decay:  # only the events' own terms: a pull towards what drums share
        own = {id(layer.own) for layer in model.layers
               if isinstance(layer, (SharedDrumEmbedding, SharedDrumLogits))}
        optimizer.exclude_from_weight_decay(
            var_list=[v for v in model.trainable_variables if id(v) not in own])
    model.compile(
        optimizer=optimizer,
        loss={h: loss() for h in HEADS},
        loss_weights={"event": 1.0, "velocity": config.velocity_weight,
                      "roll": config.roll_weight, "offset": config.offset_weight},
    )


EMBEDDINGS = ("pos_embed", "style_embed", "fill_embed", "tempo_embed", "busy_embed",
              "loud_embed", "tap_embed", *OFFSET_TABLES)
"""The plain lookup layers, exported by name."""


def export_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """Return every weight the NumPy runtime needs, by name."""
    lstm = model.get_layer("lstm")
    kernel, recurrent, bias = (w.numpy() for w in lstm.weights)
    out = {name: model.get_layer(name).embeddings.numpy() for name in EMBEDDINGS}
    events = model.get_layer("event_embed")
    out["event_embed"] = np.asarray(
        events.table() if isinstance(events, SharedDrumEmbedding) else events.embeddings)
    out.update(lstm_kernel=kernel, lstm_recurrent=recurrent, lstm_bias=bias)
    out["velocity_table"] = model.get_layer("velocity_table").table.numpy()
    every, own = (model.get_layer(name).embeddings.numpy() for name in LOUD_TABLES)
    out["loud_table"] = (own.reshape(-1, *every.shape) + every).reshape(own.shape)
    for head in ("event", "velocity_dense", "roll_dense", "offset_dense"):
        layer = model.get_layer(head)
        w, b = layer.folded() if isinstance(layer, SharedDrumLogits) else layer.weights
        out[f"{head}_w"], out[f"{head}_b"] = np.asarray(w), np.asarray(b)
    return {k: v.astype(np.float32) for k, v in out.items()}


def assign_weights(model: keras.Model, weights: dict[str, np.ndarray]) -> None:
    """Load exported weights back into a freshly built model (the inverse of export)."""
    for name in ("event_embed", *EMBEDDINGS):
        _set_folded(model.get_layer(name), [weights[name]])
    model.get_layer("lstm").set_weights(
        [weights["lstm_kernel"], weights["lstm_recurrent"], weights["lstm_bias"]])
    model.get_layer("velocity_table").set_weights([weights["velocity_table"]])
    _set_folded(model.get_layer("style_loud_table"), [weights["loud_table"]])
    _set_folded(model.get_layer("loud_table"), [])
    for head in ("event", "velocity_dense", "roll_dense", "offset_dense"):
        _set_folded(model.get_layer(head), [weights[f"{head}_w"], weights[f"{head}_b"]])


def _set_folded(layer: keras.layers.Layer, values: list[np.ndarray]) -> None:
    """Set a layer's weights from folded ones (a shared-drum layer's drum terms become 0)."""
    rest = [np.zeros(w.shape, "float32") for w in layer.weights[len(values):]]
    layer.set_weights([*values, *rest])
