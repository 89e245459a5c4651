"""How closely real drumming matches a held-out timing profile: the reach of any model.

    .venv/bin/python scripts/timing_profile_reach.py [--data ../shared/data/groove]

The timing profile is the mean offset of each (bar position, class) cell for kick, snare and
closed hat, and the measure is the Pearson correlation of two profiles
(`engine.training.realism.profile_correlation`, as `beatbot eval` reports it). Prints:
- train_vs_validation: the real training beats against the validation beats;
- matched_train_vs_validation: training beats drawn to the validation split's mix of
  style and tempo group (the eval draws generated beats the same way), mean of 20 draws;
- validation_split_half and validation_ceiling: the validation profile against itself,
  split in two by session, and the Spearman-Brown reliability's square root: how far
  sampling noise alone would cap a perfect model of the validation drummers;
- held_out_sessions: real beats of whole sessions (about as many files as validation),
  drawn from all the data, against the rest; quantiles and the share reaching 0.8.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from engine.data.dataset import Performance, load_folder
from engine.model.features import tempo_group
from engine.training.realism import profile_correlation

DRAWS = 300


def correlation(a: list[Performance], b: list[Performance]) -> float:
    """The timing-profile correlation of two sets of performances."""
    return profile_correlation([p.pattern for p in a], [p.pattern for p in b])


def matched(train: list[Performance], held: list[Performance], rng) -> list[Performance]:
    """Training beats in the held-out split's mix of style and tempo group (8 per file)."""
    out = []
    for (style, group), n in Counter((p.style, tempo_group(p.bpm)) for p in held).items():
        pool = ([p for p in train if p.style == style and tempo_group(p.bpm) == group]
                or [p for p in train if p.style == style] or train)
        out += [pool[i] for i in rng.integers(0, len(pool), 8 * n)]
    return out


def split_half(held: list[Performance], rng) -> float:
    """Mean correlation of the held-out split against itself, halved by session."""
    sessions = sorted({p.group for p in held})
    values = []
    for _ in range(DRAWS):
        half = set(rng.permutation(sessions)[: len(sessions) // 2])
        values.append(correlation([p for p in held if p.group in half],
                                  [p for p in held if p.group not in half]))
    return float(np.mean(values))


def held_out_sessions(beats: list[Performance], files: int, rng) -> np.ndarray:
    """Correlations of whole sessions held out (about `files` files each) against the rest."""
    sessions = sorted({p.group for p in beats})
    size = Counter(p.group for p in beats)
    values = []
    for _ in range(DRAWS):
        chosen: set[str] = set()
        for index in rng.permutation(len(sessions)):
            if sum(size[s] for s in chosen) >= files:
                break
            chosen.add(sessions[index])
        values.append(correlation([p for p in beats if p.group in chosen],
                                  [p for p in beats if p.group not in chosen]))
    return np.array(values)


def main() -> None:
    """Print each comparison's correlation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/groove"))
    args = parser.parse_args()
    corpus = load_folder(args.data)
    train = [p for p in corpus.split("train") if not p.fill]
    held = [p for p in corpus.split("validation") if not p.fill]
    rng = np.random.default_rng(0)
    half = split_half(held, rng)
    reliability = 2 * half / (1 + half)
    sessions = held_out_sessions(train + held, len(held), rng)
    print(json.dumps({
        "train_vs_validation": round(correlation(train, held), 3),
        "matched_train_vs_validation": round(float(np.mean(
            [correlation(matched(train, held, rng), held) for _ in range(20)])), 3),
        "validation_split_half": round(half, 3),
        "validation_ceiling": round(float(np.sqrt(reliability)), 3),
        "held_out_sessions": {
            "draws": DRAWS, "files": len(held),
            "q10_q50_q90": [round(float(q), 3) for q in np.quantile(sessions, [.1, .5, .9])],
            "share_reaching_0.8": round(float((sessions >= 0.8).mean()), 3)},
    }, indent=2))


if __name__ == "__main__":
    main()
