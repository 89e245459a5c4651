"""The shared-drum layers fold into the plain tables the NumPy runtime reads."""

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training needs the [train] extra")

from engine.model.config import CONFIGS  # noqa: E402
from engine.music.drums import N_EVENTS  # noqa: E402


@pytest.mark.parametrize("order", [1, 2])
def test_the_exported_event_tables_give_what_the_shared_drum_layers_give(order):
    # Keras is imported here, not at collection, as in the other training tests: importing
    # it at collection made the fuzz test's log count come out short in CI (not understood).
    from engine.training.keras_model import build_model, export_weights
    config = replace(CONFIGS["tiny"], shared_drums=order)
    model = build_model(config, n_styles=3)
    rng = np.random.default_rng(0)
    embedding, logits = model.get_layer("event_embed"), model.get_layer("event")
    for layer in (embedding, logits):  # every term, the shared ones too, non-zero
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    weights = export_weights(model)

    events = np.array([[0, 1, 3, 0b101100001, N_EVENTS - 1, N_EVENTS]], "int32")
    assert np.allclose(np.asarray(embedding(events))[0], weights["event_embed"][events[0]],
                       atol=1e-5)
    # a kick and a snare: their own row, the kick's and the snare's terms (and their pair's,
    # the first pair, after the 9 drums)
    own, per_part = (np.asarray(w) for w in embedding.weights)
    kick_and_snare = own[3] + per_part[0] + per_part[1] + (per_part[9] if order == 2 else 0)
    assert np.allclose(weights["event_embed"][3], kick_and_snare, atol=1e-5)

    state = rng.normal(size=(4, config.hidden)).astype("float32")
    expected = state @ weights["event_w"] + weights["event_b"]
    assert np.allclose(np.asarray(logits(state)), expected, atol=1e-4)


def test_the_runtime_adds_the_loud_table_by_style_as_keras_does():
    from engine.model.features import KNOB_TOKENS, model_inputs
    from engine.model.lstm import DrumLSTM
    from engine.training.keras_model import build_model, export_weights
    config = CONFIGS["tiny"]
    model = build_model(config, n_styles=2)
    rng = np.random.default_rng(1)
    for layer in model.layers:  # every weight non-zero, the loud table's too
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32")
                           for w in layer.weights])
    lstm = DrumLSTM(export_weights(model), {"styles": ["rock", "trap"],
                                            "config": config.as_dict()})
    rows, steps = 3 * KNOB_TOKENS, 20  # every loud setting of rock, trap and "any"
    inputs = {name: np.zeros((rows, steps), "int32")
              for name in model_inputs(config.event_lags)}
    inputs["now_velocity"] = np.zeros((rows, steps, 9), "int32")
    inputs["pos"] = np.tile(np.arange(steps) % 16, (rows, 1)).astype("int32")
    inputs["busy"] = np.full((rows, steps), KNOB_TOKENS - 1, "int32")
    inputs["loud"] = np.repeat(np.arange(rows) % KNOB_TOKENS, steps).reshape(rows, steps)
    inputs["style"] = np.repeat(np.arange(rows) // KNOB_TOKENS, steps).reshape(rows, steps)

    expected = np.asarray(model(inputs, training=False)["velocity"])

    velocity = lstm.run({k: v.astype(np.int64) for k, v in inputs.items()}).velocity
    assert np.allclose(velocity, expected, atol=1e-4)
    # the loud setting tells, and so does the style
    assert not np.allclose(velocity[0], velocity[KNOB_TOKENS - 1], atol=1e-2)
    assert not np.allclose(velocity[0], velocity[KNOB_TOKENS], atol=1e-2)
