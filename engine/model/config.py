"""Named model configurations: the hyper-parameters of the drum LSTM in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of one model size.

    Attributes:
        name: config name.
        arch: "lstm" (served) or "wavenet" (the baseline; `hidden` is its channels).
        event_lags: the event inputs, by name (engine.model.features.LAG_STEPS): the event
            one step back, a few steps back within the bar, and whole bars back.
        event_embed: width of the embedding of each drum event input.
        hidden: LSTM units.
        shared_drums: 0, or the event embedding and the event logits also get one term per
            drum an event hits (1), and per pair of drums it hits (2), shared by every event
            with those drums (folded away at export).
        own_decay: decoupled weight decay on the events' own terms of those layers only
            (0 for none): a pull towards what the drums share.
        style_embed: width of the style embedding.
        dropout: dropout on the LSTM input and output.
        window: training window in 16th steps.
        stride: step between training windows.
        batch: windows per batch.
        learning_rate: Adam learning rate at the first epoch.
        lr_decay: factor on the learning rate after each epoch.
        time_budget_s: training stops after the epoch that passes this many seconds of
            fitting (the best epoch so far is kept), so one command fits the time limit.
        epochs: most epochs to train.
        patience: epochs without validation gain before stopping.
        refit_epochs: 0, or fit on the whole training split (the tuning slice too) for
            this many epochs and keep the last, looking at no held-out data: the epochs a
            run that held the tuning slice out kept.
        stop_on: the validation figure early stopping and the kept epoch go by: "val_loss"
            (all heads) or "val_event_loss" (the events alone).
        weight_average: momentum of the running average of the weights (Polyak averaging,
            0 for none); validation, checkpoints and the export use the average.
        style_dropout: share of training windows whose style is replaced by "any".
        knob_dropout: share of training windows whose busy (and, drawn apart, loud) input
            is "as the style plays" rather than the window's own bucket.
        tap_share: share of training windows that follow a tap input made from their own
            onsets (half every onset, half the kick and snare alone); the rest follow none.
        velocity_weight: loss weight of the velocity head.
        roll_weight: loss weight of the roll head.
        offset_weight: loss weight of the timing-offset head.
        style_prior_weight: weight of the style prior at sampling (engine.training.style_prior).
        style_guidance: strength of style guidance at sampling (engine.model.generator): the
            event logits move this far past the style's own, away from style "any"'s.
        style_guidance_by_style: (style, strength) pairs for styles guided more (or less)
            than style_guidance.
        drift_gain: factor on the drift table at sampling (engine.model.generator): the
            calibration sharpens the timing head's own logits, and this keeps the timing
            just played as persistent as in the training drumming.
        calibration_rounds: rounds of calibrating the sampler after training
            (engine.training.calibration); 0 for none.
    """

    name: str
    arch: str = "lstm"
    event_lags: tuple[str, ...] = ("prev", "back1", "back2")
    event_embed: int = 64
    hidden: int = 256
    shared_drums: int = 0
    own_decay: float = 0.0
    style_embed: int = 16
    dropout: float = 0.25
    window: int = 64
    stride: int = 32
    batch: int = 64
    learning_rate: float = 2e-3
    lr_decay: float = 1.0
    time_budget_s: float = float("inf")
    epochs: int = 30
    patience: int = 4
    stop_on: str = "val_loss"
    refit_epochs: int = 0
    weight_average: float = 0.0
    style_dropout: float = 0.15
    knob_dropout: float = 0.5
    tap_share: float = 0.3
    velocity_weight: float = 0.3
    roll_weight: float = 0.1
    offset_weight: float = 0.3
    style_prior_weight: float = 1.0
    style_guidance: float = 0.0
    style_guidance_by_style: tuple[tuple[str, float], ...] = ()
    drift_gain: float = 1.0
    calibration_rounds: int = 0

    def as_dict(self) -> dict:
        """Return the config as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        """The config a model file's metadata holds; keys this version does not know (a
        setting that later went away) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v
                      for k, v in values.items() if k in known})


DEEP_LAGS = ("prev", "lag2", "lag3", "lag4", "lag8", "back1", "back2", "back3", "back4")
"""The served model's event inputs: steps 1, 2, 3, 4 and 8 back, and one to four bars back."""

CONFIGS: dict[str, ModelConfig] = {
    "default": ModelConfig("default", event_lags=DEEP_LAGS, hidden=192, shared_drums=2,
                           own_decay=1.0,
                           window=128, stride=64,
                           batch=32, dropout=0.35, epochs=40, lr_decay=0.95,
                           weight_average=0.995, time_budget_s=34 * 60, style_guidance=2.0,
                           calibration_rounds=12, stop_on="val_event_loss", tap_share=0.2,
                           refit_epochs=13, drift_gain=1.5,
                           style_guidance_by_style=(("country", 4.0), ("soul", 4.0))),
    "small": ModelConfig("small", event_embed=32, hidden=128, epochs=20),
    "wavenet": ModelConfig("wavenet", arch="wavenet", hidden=96, window=128, stride=64,
                           batch=32, dropout=0.1, epochs=12, lr_decay=0.9,
                           time_budget_s=7 * 60),
    "tiny-wavenet": ModelConfig("tiny-wavenet", arch="wavenet", event_embed=8, hidden=8,
                                style_embed=4, window=32, stride=16, batch=16, epochs=2),
    "tiny": ModelConfig("tiny", event_lags=DEEP_LAGS, event_embed=8, hidden=16, style_embed=4,
                        shared_drums=2, own_decay=1.0,
                        window=32, stride=16, batch=16, epochs=3, patience=2,
                        style_guidance=1.0, calibration_rounds=2),
}
"""`tiny` and `tiny-wavenet` exist for tests; `default` is the shipped model; `wavenet` is the
baseline it is compared with."""
