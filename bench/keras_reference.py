"""The trained model in Keras, for the benchmark's comparisons (needs the train extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.model.features import (
    CONTEXT_NAMES,
    DRIFT_NONE,
    KNOB_UNSET,
    LAG_STEPS,
    NO_EVENT,
    TAP_NONE,
    model_inputs,
    sequence_inputs,
    tempo_bucket,
)
from engine.model.lstm import DrumLSTM
from engine.music.drums import DEFAULT_BPM, N_CLASSES


class KerasReference:
    """Loads exported weights into Keras models: a sequence model and a one-step model."""

    def __init__(self, model_path: Path) -> None:
        import keras

        from engine.model.config import ModelConfig
        from engine.training.keras_model import assign_weights, build_model

        lstm = DrumLSTM.load(model_path)
        config = ModelConfig.from_dict(lstm.meta["config"])
        self.styles = lstm.styles
        self.sequence = build_model(config, len(lstm.styles))
        with np.load(model_path) as data:
            weights = {name: data[name] for name in data.files if name != "meta"}
        assign_weights(self.sequence, weights)
        self.hidden = config.hidden
        self.lags = tuple(config.event_lags)
        self.step_model = _step_model(self.sequence, self.lags, keras)
        self.rng = np.random.default_rng(0)

    def step_beat(self, steps: int) -> np.ndarray:
        """Write `steps` events by calling the one-step model with carried state."""
        h = np.zeros((1, self.hidden), np.float32)
        c = h.copy()
        events = np.zeros(steps, np.int64)
        for t in range(steps):
            inputs = _one_step(events, t, len(self.styles), self.lags)
            outputs = self.step_model([*inputs, h, c], training=False)
            logits, h, c = (np.asarray(v) for v in outputs)
            events[t] = self._sample(logits[0, 0])
        return events

    def sliding_window_steps(self, steps: int, window: int) -> np.ndarray:
        """The seed's method: `predict` on the last `window` steps, once per new step."""
        events = list(self.rng.integers(0, 512, window))
        fill = np.zeros(window, np.int64)
        for _ in range(steps):
            x = sequence_inputs(np.array(events[-window:]), len(self.styles), fill)
            x.update(now=np.zeros(window, np.int64),
                     now_velocity=np.zeros((window, N_CLASSES), np.int64),
                     drift=np.full(window, DRIFT_NONE))
            names = model_inputs(self.lags)
            out = self.sequence.predict({k: x[k][None].astype("int32") for k in names},
                                        verbose=0)
            events.append(self._sample(out["event"][0, -1]))
        return np.array(events)

    def _sample(self, logits: np.ndarray) -> int:
        p = np.exp(logits - logits.max())
        return int(self.rng.choice(len(p), p=p / p.sum()))


def _one_step(events: np.ndarray, t: int, style: int, lags: tuple[str, ...]
              ) -> list[np.ndarray]:
    def at(i: int) -> int:
        return int(events[i]) if i >= 0 else NO_EVENT
    values = [at(t - LAG_STEPS[k]) for k in lags]
    values += [t % 16, style, 0, tempo_bucket(DEFAULT_BPM), KNOB_UNSET, KNOB_UNSET, TAP_NONE]
    return [np.array([[v]], np.int32) for v in values]


def _step_model(sequence, lags: tuple[str, ...], keras):
    """A model sharing the sequence model's layers that runs one step from a given state."""
    inputs = [keras.Input((1,), dtype="int32", name=n) for n in (*lags, *CONTEXT_NAMES)]
    hidden = sequence.get_layer("lstm").units
    h_in, c_in = keras.Input((hidden,)), keras.Input((hidden,))
    events = sequence.get_layer("event_embed")
    parts = [events(x) for x in inputs[: len(lags)]]
    parts += [sequence.get_layer(n)(x) for n, x in
              zip(("pos_embed", "style_embed", "fill_embed", "tempo_embed", "busy_embed",
                   "loud_embed", "tap_embed"), inputs[len(lags) :], strict=True)]
    x = keras.layers.Concatenate()(parts)
    stepper = keras.layers.LSTM(hidden, return_sequences=True, return_state=True)
    cell_out, h, c = stepper(x, initial_state=[h_in, c_in])
    stepper.set_weights(sequence.get_layer("lstm").get_weights())
    logits = sequence.get_layer("event")(cell_out)
    return keras.Model([*inputs, h_in, c_in], [logits, h, c])
