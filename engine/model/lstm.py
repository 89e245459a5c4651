"""A NumPy port of the trained drum LSTM: load exported weights once, step with carried state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import ModelError
from engine.model.features import (
    CONTEXT_NAMES,
    DRIFT_NONE,
    DRIFT_TOKENS,
    KNOB_TOKENS,
    KNOB_UNSET,
    LAG_STEPS,
    N_ROLLS,
    OFFSET_BUCKETS,
    TAP_NONE,
    TAP_TOKENS,
    TEMPO_GROUPS,
    VELOCITY_BUCKETS,
)
from engine.music.drums import N_CLASSES, STEPS_PER_BAR

WEIGHT_NAMES = (
    "event_embed", "pos_embed", "style_embed", "fill_embed", "tempo_embed", "now_embed",
    "lstm_kernel", "lstm_recurrent", "lstm_bias", "event_w", "event_b", "velocity_dense_w",
    "velocity_dense_b", "roll_dense_w", "roll_dense_b", "offset_dense_w", "offset_dense_b",
    "velocity_table",
)
SAMPLER_TABLES = ("style_prior", "velocity_shift", "offset_shift", "offset_sharpness")
"""Optional tables the sampler adds to the heads' draws (engine.training.calibration)."""
LISTENING = {"busy_embed": KNOB_TOKENS, "loud_embed": KNOB_TOKENS, "tap_embed": TAP_TOKENS,
             "tap_table": TAP_TOKENS, "drift_table": DRIFT_TOKENS}
"""The weights of the knob, tap and drift inputs, with their token counts; a model trained
before them has none (they read as zeros: the inputs then change nothing). So may a model
lack the loud table, which has a row per style and knob setting."""
OPTIONAL_WEIGHTS = (*LISTENING, "loud_table", "offset_mean", *SAMPLER_TABLES)
CONTEXT_EMBEDS = dict(zip(CONTEXT_NAMES, ("pos_embed", "style_embed", "fill_embed",
                                           "tempo_embed", "busy_embed", "loud_embed",
                                           "tap_embed"), strict=True))
DEFAULT_LAGS = ("prev", "back1", "back2")
"""Event inputs of a model whose config names none."""


@dataclass(frozen=True)
class Heads:
    """Logits of one step for a batch: event (B, 512), velocity (B, 9, 8), roll (B, 9, 4),
    offset (B, 9, 16)."""

    event: np.ndarray
    velocity: np.ndarray
    roll: np.ndarray
    offset: np.ndarray


class DrumLSTM:
    """The LSTM with its input projection folded into lookup tables (no matmul on the input).

    Keras computes z = x @ W + h @ U + b with x the concatenated embeddings; since every input
    is an embedding lookup, x @ W is a sum of rows of precomputed tables.
    """

    def __init__(self, weights: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.styles: tuple[str, ...] = tuple(meta["styles"])
        self.hidden = n = weights["lstm_recurrent"].shape[0]
        lags = tuple(meta["config"].get("event_lags", DEFAULT_LAGS))
        self.bar_lags = tuple(k for k in lags if LAG_STEPS[k] >= STEPS_PER_BAR)
        """Event inputs a bar or more back: known when a bar starts."""
        self.near_lags = ("prev", *(k for k in lags if 1 < LAG_STEPS[k] < STEPS_PER_BAR))
        """Event inputs within the bar, prev first: looked up at every step."""
        self.near_back = np.array([LAG_STEPS[k] for k in self.near_lags])
        """How many steps back each of near_lags looks."""
        # Keras orders the gates i, f, c, o. Here they become i, f, o, g so the three
        # sigmoid gates are one slice, and halving their pre-activations lets one tanh
        # serve all four: sigmoid(x) = 0.5 + 0.5 * tanh(x / 2).
        order = np.concatenate([np.arange(2 * n), np.arange(3 * n, 4 * n), np.arange(2 * n, 3 * n)])
        scale = np.concatenate([np.full(3 * n, 0.5), np.ones(n)]).astype(np.float32)
        kernel = weights["lstm_kernel"][:, order] * scale
        tables, row = {}, 0
        embeds = {**{k: "event_embed" for k in lags}, **CONTEXT_EMBEDS}
        for name, embed in embeds.items():
            if embed not in weights:  # a model trained before the knobs and taps
                tables[name] = np.zeros((LISTENING[embed], 4 * n), np.float32)
                continue
            width = weights[embed].shape[1]
            tables[name] = weights[embed] @ kernel[row : row + width]
            row += width
        tables["style"] = tables["style"] + weights["lstm_bias"][order] * scale
        self.tables = tables
        # The near lags' tables stacked, so one gather serves them all at each step (each
        # lag's table is then a view of its rows, so they are held once).
        self.near_table = np.concatenate([tables[k] for k in self.near_lags])
        events = len(tables["prev"])
        self.near_rows = np.arange(len(self.near_lags)) * events
        for i, k in enumerate(self.near_lags):
            tables[k] = self.near_table[i * events:(i + 1) * events]
        self.event_b = weights["event_b"]
        # One product per step serves the event head now and the next step's gates.
        self.event_recurrent = np.ascontiguousarray(np.concatenate(
            [weights["event_w"], weights["lstm_recurrent"][:, order] * scale], axis=1))
        # Velocity and roll do not feed back, so the runtime computes them for all steps at
        # once from the stored hidden states: one matrix for both heads.
        self.hit_w = np.concatenate([weights["velocity_dense_w"], weights["roll_dense_w"]], 1)
        self.hit_b = np.concatenate([weights["velocity_dense_b"], weights["roll_dense_b"]])
        # The offset head: hidden state, plus a table by the event at t and one by each
        # class's velocity bucket.
        self.offset_w, self.offset_b = weights["offset_dense_w"], weights["offset_dense_b"]
        self.now_table = weights["now_embed"].reshape(-1, N_CLASSES, OFFSET_BUCKETS)
        self.velocity_table = weights["velocity_table"].reshape(
            N_CLASSES, VELOCITY_BUCKETS, OFFSET_BUCKETS)
        # The offset head's tables by the tap at t and by the drift: (tokens, 9, 16).
        self.listens = "tap_embed" in weights
        """Whether the model was trained with the knob, tap and drift inputs."""
        self.tap_table, self.drift_table = (
            weights.get(name, np.zeros((LISTENING[name], N_CLASSES * OFFSET_BUCKETS),
                                       np.float32)).reshape(-1, N_CLASSES, OFFSET_BUCKETS)
            for name in ("tap_table", "drift_table"))
        # The velocity head's table by style and loud knob: (styles + 1, tokens, 9, 8).
        self.loud_table = weights.get("loud_table", np.zeros(
            ((len(self.styles) + 1) * KNOB_TOKENS, N_CLASSES * VELOCITY_BUCKETS),
            np.float32)).reshape(-1, KNOB_TOKENS, N_CLASSES, VELOCITY_BUCKETS)
        offset_mean = weights.get("offset_mean", np.zeros((STEPS_PER_BAR, N_CLASSES),
                                                           np.float32))
        self.offset_mean = np.broadcast_to(
            offset_mean, (len(self.styles) + 1, STEPS_PER_BAR, N_CLASSES))
        """(styles + 1, 16, 9) mean offset per cell of each style: the drift input measures
        hits against their style's (a model with one table for all styles has it on every
        row)."""
        self.n_events = weights["event_w"].shape[1]
        # (styles + 1, tempo group, 16, 512): the style prior with the calibration folded in
        # (engine.training.style_prior and engine.training.calibration).
        no_prior = np.zeros((len(self.styles) + 1, TEMPO_GROUPS, STEPS_PER_BAR, self.n_events),
                            np.float32)
        self.style_prior = weights.get("style_prior", no_prior)
        # (styles + 1, tempo group, 16, 9): see engine.training.calibration.
        no_shift = np.zeros((*no_prior.shape[:3], N_CLASSES), np.float32)
        self.velocity_shift = weights.get("velocity_shift", no_shift)
        self.offset_shift = weights.get("offset_shift", no_shift)
        # (styles + 1, tempo group): a factor on the timing head's logits (calibration).
        self.offset_sharpness = weights.get("offset_sharpness",
                                            np.ones(no_prior.shape[:2], np.float32))

    @classmethod
    def load(cls, path: Path) -> DrumLSTM:
        """Load a model file written by `save`.

        Raises:
            ModelError: the file is missing, unreadable or incomplete.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = {name: data[name].astype(np.float32) for name in WEIGHT_NAMES}
                for name in OPTIONAL_WEIGHTS:
                    if name in data:
                        weights[name] = data[name].astype(np.float32)
                meta = json.loads(str(data["meta"]))
            return cls(weights, meta)
        except FileNotFoundError:
            raise ModelError(f"model file not found: {path}") from None
        except Exception:
            raise ModelError(f"model file {path} is unreadable: not a BeatBot model (.npz) or "
                             "damaged") from None

    @staticmethod
    def save(path: Path, weights: dict[str, np.ndarray], meta: dict) -> None:
        """Write weights and metadata (styles, config, training figures) to one .npz file."""
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **weights)

    def initial_state(self, batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the zero state of a batch: h, c, and h's part of the next gates."""
        zeros = np.zeros((batch, self.hidden), np.float32)
        return zeros, zeros.copy(), np.zeros((batch, 4 * self.hidden), np.float32)

    def context(self, style: np.ndarray, tempo: np.ndarray, busy: np.ndarray | int = KNOB_UNSET,
                loud: np.ndarray | int = KNOB_UNSET) -> np.ndarray:
        """Precompute the style, tempo, knobs, position and fill part of the gates:
        (B, 16, 2, 4*hidden). The tap, which changes by step, is added apart (`tables["tap"]`)."""
        t = self.tables
        return ((t["style"][style] + t["tempo"][tempo] + t["busy"][busy]
                 + t["loud"][loud])[:, None, None]
                + t["pos"][None, :, None] + t["fill"][None, None, :])

    def step(self, inputs: dict[str, np.ndarray], state: tuple[np.ndarray, ...]
             ) -> tuple[Heads, tuple[np.ndarray, ...]]:
        """Advance one step.

        Args:
            inputs: int arrays (B,) for the event lags, pos, style, fill, tempo, busy, loud
                and tap, and for the offset head now (B,), now_velocity (B, 9) and drift (B,).
            state: from `initial_state` or the last step.

        Returns:
            The logits of this step and the new state.
        """
        rows = np.arange(len(inputs["style"]))
        ctx = self.context(inputs["style"], inputs["tempo"], inputs["busy"],
                           inputs["loud"])[rows, inputs["pos"], inputs["fill"]]
        ctx = ctx + self.lookback({k: inputs[k] for k in self.bar_lags})
        ctx += self.tables["tap"][inputs["tap"]]
        near = np.stack([inputs[k] for k in self.near_lags], axis=1)
        event, state = self.step_events(near, ctx, state, self.event_b)
        velocity, roll = self.hit_heads(state[0], inputs["style"], inputs["loud"])
        offset = self.offset_head(state[0], inputs["now"], inputs["now_velocity"])
        offset += self.tap_table[inputs["tap"]] + self.drift_table[inputs["drift"]]
        return Heads(event, velocity, roll, offset), state

    def lookback(self, events: dict[str, np.ndarray]) -> np.ndarray:
        """The gate input from the events a bar or more back, by lag name (any shape of
        indices)."""
        return sum(self.tables[k][v] for k, v in events.items())

    def step_events(self, near: np.ndarray, ahead: np.ndarray,
                    state: tuple[np.ndarray, ...], event_bias: np.ndarray,
                    h_out: np.ndarray | None = None
                    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Advance one step (the serving hot path: few, in-place NumPy calls).

        Args:
            near: (B, len(near_lags)) the events at the near lags, the one step back first
                (NO_EVENT before the start).
            ahead: (B, 4*hidden) the gate input known before the step: style, position and
                fill (`context`) plus `lookback`, which the runtime sums a bar at a time.
            state: (h, c, h's part of these gates), from `initial_state` or the last step.
            event_bias: bias of the event head, (512,) or per row (B, 512); the runtime
                folds its style prior into it.
            h_out: where to write the new h (B, hidden), or None for a new array.

        Returns:
            The event logits (B, 512) and the new state (its h feeds `hit_heads`).
        """
        _, c, z = state
        z += ahead
        z += self.near_table[near + self.near_rows].sum(axis=1)
        np.tanh(z, out=z)
        n = self.hidden
        sigmoid = z[:, : 3 * n]  # input, forget and output gates
        sigmoid *= 0.5
        sigmoid += 0.5
        c = z[:, n : 2 * n] * c
        c += z[:, :n] * z[:, 3 * n :]
        h = np.multiply(z[:, 2 * n : 3 * n], np.tanh(c), out=h_out)
        both = h @ self.event_recurrent
        event = both[:, : self.n_events]
        event += event_bias
        return event, (h, c, both[:, self.n_events :])

    def hit_heads(self, h: np.ndarray, style: np.ndarray, loud: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Velocity (..., 9, 8) and roll (..., 9, 4) logits from hidden states (..., hidden),
        the style (...) and the loud knob's input (...)."""
        out = h @ self.hit_w + self.hit_b
        split = N_CLASSES * VELOCITY_BUCKETS
        lead = out.shape[:-1]
        velocity = out[..., :split].reshape(*lead, N_CLASSES, VELOCITY_BUCKETS)
        return (velocity + self.loud_table[style, loud],
                out[..., split:].reshape(*lead, N_CLASSES, N_ROLLS))

    def offset_head(self, h: np.ndarray, event: np.ndarray, velocity_bucket: np.ndarray
                    ) -> np.ndarray:
        """Timing-offset logits (..., 9, 16) from hidden states (..., hidden), the event at
        each step (...) and each class's velocity bucket there (..., 9)."""
        out = (h @ self.offset_w + self.offset_b).reshape(*h.shape[:-1], N_CLASSES,
                                                          OFFSET_BUCKETS)
        out += self.now_table[event]
        out += self.velocity_table[np.arange(N_CLASSES), velocity_bucket]
        return out

    def offset_cells(self, h: np.ndarray, event: np.ndarray, cls: np.ndarray,
                     velocity_bucket: np.ndarray, tap: np.ndarray | int = TAP_NONE
                     ) -> np.ndarray:
        """Timing-offset logits (n, 16) of n hit cells: hidden state (n, hidden), event (n,),
        class (n,), velocity bucket (n,) and tap (n,) of each; the sum of `offset_head`
        and the tap table, less the drift table (`drift_table[drift, cls]`), which the
        sampler adds as it goes."""
        width = OFFSET_BUCKETS
        columns = cls[:, None] * width + np.arange(width)
        dense = np.take_along_axis(h @ self.offset_w, columns, axis=1)
        return (dense + self.offset_b[columns] + self.now_table[event, cls]
                + self.velocity_table[cls, velocity_bucket] + self.tap_table[tap, cls])

    def run(self, inputs: dict[str, np.ndarray]) -> Heads:
        """Run whole sequences (teacher forcing): inputs (B, T) -> logits with a T axis.

        `now` and `now_velocity` may be left out (zeros), when only the events matter, and
        so may the knobs (unset), the tap (none) and the drift (none)."""
        batch, steps = inputs["prev"].shape
        inputs = {"now": np.zeros((batch, steps), np.int64),
                  "now_velocity": np.zeros((batch, steps, N_CLASSES), np.int64),
                  "busy": np.full((batch, steps), KNOB_UNSET),
                  "loud": np.full((batch, steps), KNOB_UNSET),
                  "tap": np.full((batch, steps), TAP_NONE),
                  "drift": np.full((batch, steps), DRIFT_NONE), **inputs}
        state = self.initial_state(batch)
        outs = []
        for t in range(steps):
            heads, state = self.step({k: v[:, t] for k, v in inputs.items()}, state)
            outs.append(heads)
        return Heads(*(np.stack([getattr(o, f) for o in outs], axis=1)
                       for f in ("event", "velocity", "roll", "offset")))
