"""The NumPy LSTM (engine.model.lstm): its folded tables and reordered gates give what the plain
Keras LSTM formula gives, a saved model loads back the same, and a bad file is a ModelError."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ModelError
from engine.model.features import (
    N_ROLLS,
    N_TEMPOS,
    NO_EVENT,
    OFFSET_BUCKETS,
    TEMPO_GROUPS,
    VELOCITY_BUCKETS,
)
from engine.model.lstm import DrumLSTM
from engine.music.drums import N_CLASSES, N_EVENTS, STEPS_PER_BAR

HIDDEN, WIDTH = 6, 3
STYLES = ("rock", "trap")
LAGS = ("prev", "lag2", "back1")
WIDTHS = {"event_embed": (N_EVENTS + 1, WIDTH), "pos_embed": (STEPS_PER_BAR, 2),
          "style_embed": (len(STYLES) + 1, 2), "fill_embed": (2, 1),
          "tempo_embed": (N_TEMPOS, 2)}


def tiny_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights of the shapes a trained model exports, for a 6-unit LSTM."""
    rng = np.random.default_rng(seed)
    inputs = WIDTH * len(LAGS) + sum(w for _, w in list(WIDTHS.values())[1:])
    shapes = {**WIDTHS, "now_embed": (N_EVENTS, N_CLASSES * OFFSET_BUCKETS),
              "lstm_kernel": (inputs, 4 * HIDDEN), "lstm_recurrent": (HIDDEN, 4 * HIDDEN),
              "lstm_bias": (4 * HIDDEN,), "event_w": (HIDDEN, N_EVENTS), "event_b": (N_EVENTS,),
              "velocity_dense_w": (HIDDEN, N_CLASSES * VELOCITY_BUCKETS),
              "velocity_dense_b": (N_CLASSES * VELOCITY_BUCKETS,),
              "roll_dense_w": (HIDDEN, N_CLASSES * N_ROLLS), "roll_dense_b": (N_CLASSES * N_ROLLS,),
              "offset_dense_w": (HIDDEN, N_CLASSES * OFFSET_BUCKETS),
              "offset_dense_b": (N_CLASSES * OFFSET_BUCKETS,),
              "velocity_table": (N_CLASSES * VELOCITY_BUCKETS, OFFSET_BUCKETS)}
    return {name: rng.normal(0, 0.5, shape).astype(np.float32) for name, shape in shapes.items()}


META = {"styles": list(STYLES), "config": {"event_lags": list(LAGS)}}


def random_inputs(batch: int, steps: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    events = {k: rng.integers(0, NO_EVENT + 1, (batch, steps)) for k in LAGS}
    return {**events, "pos": np.tile(np.arange(steps) % STEPS_PER_BAR, (batch, 1)),
            "style": rng.integers(0, len(STYLES) + 1, (batch, 1)).repeat(steps, 1),
            "fill": rng.integers(0, 2, (batch, steps)),
            "tempo": rng.integers(0, N_TEMPOS, (batch, 1)).repeat(steps, 1),
            "now": rng.integers(0, N_EVENTS, (batch, steps)),
            "now_velocity": rng.integers(0, VELOCITY_BUCKETS, (batch, steps, N_CLASSES))}


def keras_lstm(weights: dict[str, np.ndarray], inputs: dict[str, np.ndarray]) -> dict:
    """The plain formula, in float64: x the concatenated embeddings, z = x W + h U + b with
    the gates in Keras's order i, f, c, o, then the four heads."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    embeds = [w["event_embed"][inputs[k]] for k in LAGS] + [
        w[f"{k}_embed"][inputs[k]] for k in ("pos", "style", "fill", "tempo")]
    x = np.concatenate(embeds, axis=-1)
    batch, steps = inputs["prev"].shape
    h, c = np.zeros((batch, HIDDEN)), np.zeros((batch, HIDDEN))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    hs = []
    for t in range(steps):
        z = x[:, t] @ w["lstm_kernel"] + h @ w["lstm_recurrent"] + w["lstm_bias"]
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    h = np.stack(hs, axis=1)
    offset = (h @ w["offset_dense_w"] + w["offset_dense_b"]).reshape(
        batch, steps, N_CLASSES, OFFSET_BUCKETS)
    offset += w["now_embed"].reshape(-1, N_CLASSES, OFFSET_BUCKETS)[inputs["now"]]
    table = w["velocity_table"].reshape(N_CLASSES, VELOCITY_BUCKETS, OFFSET_BUCKETS)
    offset += table[np.arange(N_CLASSES), inputs["now_velocity"]]
    return {"event": h @ w["event_w"] + w["event_b"],
            "velocity": (h @ w["velocity_dense_w"] + w["velocity_dense_b"]).reshape(
                batch, steps, N_CLASSES, VELOCITY_BUCKETS),
            "roll": (h @ w["roll_dense_w"] + w["roll_dense_b"]).reshape(
                batch, steps, N_CLASSES, N_ROLLS),
            "offset": offset}


@pytest.mark.parametrize("head", ["event", "velocity", "roll", "offset"])
def test_every_head_gives_what_the_plain_lstm_gives(head):
    weights, inputs = tiny_weights(), random_inputs(batch=3, steps=2 * STEPS_PER_BAR)

    heads = DrumLSTM(weights, META).run(inputs)

    expected = keras_lstm(weights, inputs)[head]
    assert getattr(heads, head).shape == expected.shape
    np.testing.assert_allclose(getattr(heads, head), expected, rtol=1e-4, atol=1e-4)


def test_the_lags_split_into_those_looked_up_each_step_and_those_known_a_bar_ahead():
    lstm = DrumLSTM(tiny_weights(), META)
    assert (lstm.near_lags, lstm.bar_lags, list(lstm.near_back)) == (
        ("prev", "lag2"), ("back1",), [1, 2])
    assert (lstm.styles, lstm.hidden) == (STYLES, HIDDEN)


def test_a_model_without_sampler_tables_adds_nothing_to_the_draws():
    lstm = DrumLSTM(tiny_weights(), META)

    shape = (len(STYLES) + 1, TEMPO_GROUPS, STEPS_PER_BAR)
    assert lstm.style_prior.shape == (*shape, N_EVENTS) and not lstm.style_prior.any()
    assert lstm.velocity_shift.shape == lstm.offset_shift.shape == (*shape, N_CLASSES)
    assert not lstm.velocity_shift.any() and not lstm.offset_shift.any()


def test_a_saved_model_loads_back_with_its_tables_and_meta(tmp_path):
    weights = tiny_weights(seed=5)
    prior = np.random.default_rng(2).normal(
        size=(len(STYLES) + 1, TEMPO_GROUPS, STEPS_PER_BAR, N_EVENTS)).astype(np.float32)
    path = tmp_path / "tiny.npz"
    DrumLSTM.save(path, {**weights, "style_prior": prior}, {**META, "train_files": 3})
    inputs = random_inputs(batch=2, steps=5)

    loaded = DrumLSTM.load(path)

    assert loaded.meta == {**META, "train_files": 3}
    np.testing.assert_array_equal(loaded.style_prior, prior)
    np.testing.assert_array_equal(loaded.run(inputs).event,
                                  DrumLSTM(weights, META).run(inputs).event)


def _without_a_weight(path):
    weights = tiny_weights()
    del weights["event_w"]
    DrumLSTM.save(path, weights, META)


@pytest.mark.parametrize(("make", "words"), [
    (lambda path: None, "model file not found: "),
    (lambda path: path.write_bytes(b"PK\3\4 not really a model" * 10), "is unreadable"),
    (lambda path: path.write_bytes(b""), "is unreadable"),
    (_without_a_weight, "is unreadable: not a BeatBot model (.npz) or damaged"),
])
def test_a_missing_or_bad_file_is_one_model_error(tmp_path, make, words):
    path = tmp_path / "model.npz"
    make(path)

    with pytest.raises(ModelError) as raised:
        DrumLSTM.load(path)

    assert words in str(raised.value) and str(path) in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
