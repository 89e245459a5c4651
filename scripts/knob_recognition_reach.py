"""How often real drumming at each busy and loud setting is recognised as its style.

    PYTHONPATH=. .venv/bin/python scripts/knob_recognition_reach.py [--data ../shared/data/groove]

The knob target asks every setting to be recognised at least as often as real beats of the
style, all settings together. This asks the same classifier of real held-out drumming at
each setting: the style classifier of the knob curves (logistic, real training windows, the
tuning slice held out; trap from our loops) on the real 2-bar windows of the tuning slice
and the validation split (trap: our loops recombined with another seed), each filed under
the busy (hits per bar) and loud (mean velocity) setting its style's training windows'
quantiles put it in (KNOB_QUANTILES, as the model's inputs are bucketed). Prints, per
style and knob, windows and recognition at each setting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.data.dataset import load_folder
from engine.model.features import KNOB_QUANTILES
from engine.training import listening, realism
from engine.training.train import TUNE_SHARE, hold_tuning_slice, trap_performances

STYLES = ("rock", "funk", "hiphop", "jazz", "latin", "punk", "soul", "country", "afrocuban",
          "neworleans")
"""The classifier's real styles, as the knob curves train it."""
KNOB_STYLES = ("rock", "funk", "hiphop", "trap")
HELD_TRAP = 200
"""Trap's "real" beats: our loops recombined with another seed, as the knob curves take."""


def levels(beats) -> np.ndarray:
    """(windows, 2): hits per bar and mean velocity of each 2-bar window."""
    return np.array([[w.onsets.sum() / w.bars, w.velocity[w.onsets].mean()]
                     for w in realism.windows(beats)])


def main() -> None:
    """Print recognition of real held-out windows at each knob setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/groove"))
    args = parser.parse_args()
    corpus = load_folder(args.data)
    hold_tuning_slice(corpus, TUNE_SHARE)
    train = {s: [p.pattern for p in listening.beats_of(corpus, "train", s)] for s in STYLES}
    train["trap"] = [p.pattern for p in trap_performances(1)]
    classifier = listening.StyleClassifier(train, "logistic")
    out = {}
    held_out = {s: [p.pattern for split in ("tune", "validation")
                    for p in listening.beats_of(corpus, split, s)] for s in KNOB_STYLES}
    held_out["trap"] = [p.pattern for p in trap_performances(2)[:HELD_TRAP]]
    for style in KNOB_STYLES:
        held = held_out[style]
        right = classifier.predict(realism.feature_matrix(held)) == classifier.styles.index(
            style)
        edges = np.quantile(levels(train[style]), KNOB_QUANTILES, axis=0)
        seen = levels(held)
        out[style] = {"windows": len(right), "recognised": round(float(right.mean()), 3)}
        for k, knob in enumerate(("busy", "loud")):
            setting = np.searchsorted(edges[:, k], seen[:, k], side="right")
            out[style][knob] = [{"windows": int((setting == s).sum()),
                                 "recognised": (round(float(right[setting == s].mean()), 3)
                                                if (setting == s).any() else None)}
                                for s in range(len(KNOB_QUANTILES) + 1)]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
