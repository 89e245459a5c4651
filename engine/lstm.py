"""A NumPy port of the trained drum LSTM: load exported weights once, step with carried state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.drums import N_CLASSES, STEPS_PER_BAR
from engine.errors import ModelError
from engine.features import N_ROLLS, VELOCITY_BUCKETS

WEIGHT_NAMES = (
    "event_embed", "pos_embed", "style_embed", "fill_embed", "lstm_kernel", "lstm_recurrent",
    "lstm_bias", "event_w", "event_b", "velocity_dense_w", "velocity_dense_b", "roll_dense_w",
    "roll_dense_b",
)


@dataclass(frozen=True)
class Heads:
    """Logits of one step for a batch: event (B, 512), velocity (B, 9, 8), roll (B, 9, 4)."""

    event: np.ndarray
    velocity: np.ndarray
    roll: np.ndarray


class DrumLSTM:
    """The LSTM with its input projection folded into lookup tables (no matmul on the input).

    Keras computes z = x @ W + h @ U + b with x the concatenated embeddings; since every input
    is an embedding lookup, x @ W is a sum of rows of precomputed tables.
    """

    def __init__(self, weights: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.styles: tuple[str, ...] = tuple(meta["styles"])
        self.hidden = n = weights["lstm_recurrent"].shape[0]
        # Halving the sigmoid gates' pre-activations lets one tanh serve all four gates:
        # sigmoid(x) = 0.5 + 0.5 * tanh(x / 2).
        scale = np.concatenate([np.full(2 * n, 0.5), np.ones(n), np.full(n, 0.5)])
        scale = scale.astype(np.float32)
        kernel = weights["lstm_kernel"] * scale
        tables, row = {}, 0
        for name, embed in (("prev", "event_embed"), ("back1", "event_embed"),
                            ("back2", "event_embed"), ("pos", "pos_embed"),
                            ("style", "style_embed"), ("fill", "fill_embed")):
            width = weights[embed].shape[1]
            tables[name] = weights[embed] @ kernel[row : row + width]
            row += width
        tables["style"] = tables["style"] + weights["lstm_bias"] * scale
        self.tables = tables
        # The three fed-back events in one table, so one gather serves all three.
        self.event_tables = np.concatenate([tables["prev"], tables["back1"], tables["back2"]])
        self.event_offsets = np.array([0, 1, 2]) * len(tables["prev"])
        self.recurrent = weights["lstm_recurrent"] * scale
        self.head_w = np.concatenate([weights["event_w"], weights["velocity_dense_w"],
                                      weights["roll_dense_w"]], axis=1)
        self.head_b = np.concatenate([weights["event_b"], weights["velocity_dense_b"],
                                      weights["roll_dense_b"]])
        self.n_events = weights["event_w"].shape[1]
        no_prior = np.zeros((len(self.styles) + 1, STEPS_PER_BAR, self.n_events), np.float32)
        self.style_prior = weights.get("style_prior", no_prior)

    @classmethod
    def load(cls, path: Path) -> DrumLSTM:
        """Load a model file written by `save`.

        Raises:
            ModelError: the file is missing, unreadable or incomplete.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = {name: data[name].astype(np.float32) for name in WEIGHT_NAMES}
                if "style_prior" in data:
                    weights["style_prior"] = data["style_prior"].astype(np.float32)
                meta = json.loads(str(data["meta"]))
            return cls(weights, meta)
        except FileNotFoundError:
            raise ModelError(f"model file not found: {path}") from None
        except Exception as error:
            raise ModelError(f"model file {path} is unreadable ({type(error).__name__})") from None

    @staticmethod
    def save(path: Path, weights: dict[str, np.ndarray], meta: dict) -> None:
        """Write weights and metadata (styles, config, training figures) to one .npz file."""
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **weights)

    def initial_state(self, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Return zero (h, c) for a batch."""
        zeros = np.zeros((batch, self.hidden), np.float32)
        return zeros, zeros.copy()

    def context(self, style: np.ndarray) -> np.ndarray:
        """Precompute the style, position and fill part of the gates: (B, 16, 2, 4*hidden)."""
        t = self.tables
        return (t["style"][style][:, None, None] + t["pos"][None, :, None]
                + t["fill"][None, None, :])

    def step(self, inputs: dict[str, np.ndarray], state: tuple[np.ndarray, np.ndarray]
             ) -> tuple[Heads, tuple[np.ndarray, np.ndarray]]:
        """Advance one step.

        Args:
            inputs: int arrays (B,) for prev, back1, back2, pos, style, fill.
            state: (h, c), each (B, hidden).

        Returns:
            The logits of this step and the new state.
        """
        ctx = self.context(inputs["style"])[np.arange(len(inputs["style"])), inputs["pos"],
                                             inputs["fill"]]
        fed = np.stack([inputs["prev"], inputs["back1"], inputs["back2"]], axis=1)
        out, state = self.step_events(fed, ctx, state, self.head_b)
        return self.split_heads(out), state

    def step_events(self, fed: np.ndarray, ctx: np.ndarray,
                    state: tuple[np.ndarray, np.ndarray], head_bias: np.ndarray
                    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Advance one step (the serving hot path: few, in-place NumPy calls).

        Args:
            fed: (B, 3) the events one step, one bar and two bars back (NO_EVENT if none).
            ctx: (B, 4*hidden) rows of `context` for this step's position and fill.
            state: (h, c).
            head_bias: bias of the output heads, (620,) or per row (B, 620); the runtime
                folds its style prior into it.

        Returns:
            All head logits side by side, (B, 620) (see `split_heads`), and the new state.
        """
        h, c = state
        z = h @ self.recurrent
        z += ctx
        z += self.event_tables[fed + self.event_offsets].sum(axis=1)
        np.tanh(z, out=z)
        n = self.hidden
        sigmoid = z[:, : 2 * n]  # input and forget gates
        sigmoid *= 0.5
        sigmoid += 0.5
        out_gate = z[:, 3 * n :]
        out_gate *= 0.5
        out_gate += 0.5
        c = sigmoid[:, n:] * c
        c += sigmoid[:, :n] * z[:, 2 * n : 3 * n]
        h = out_gate * np.tanh(c)
        out = h @ self.head_w
        out += head_bias
        return out, (h, c)

    def split_heads(self, out: np.ndarray) -> Heads:
        """Split side-by-side logits (B, 620) into the event, velocity and roll heads."""
        e = self.n_events
        v = e + N_CLASSES * VELOCITY_BUCKETS
        batch = len(out)
        return Heads(out[:, :e], out[:, e:v].reshape(batch, N_CLASSES, VELOCITY_BUCKETS),
                     out[:, v:].reshape(batch, N_CLASSES, N_ROLLS))

    def run(self, inputs: dict[str, np.ndarray]) -> Heads:
        """Run whole sequences (teacher forcing): inputs (B, T) -> logits with a T axis."""
        batch, steps = inputs["prev"].shape
        state = self.initial_state(batch)
        outs = []
        for t in range(steps):
            heads, state = self.step({k: v[:, t] for k, v in inputs.items()}, state)
            outs.append(heads)
        return Heads(*(np.stack([getattr(o, f) for o in outs], axis=1)
                       for f in ("event", "velocity", "roll")))
