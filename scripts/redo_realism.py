"""Are beats with one part made new as real as plain beats? (`beatbot eval`'s realism
figures, for plain beats and for the same beats after `then=new:PART:SEED`.)

    PYTHONPATH=. python scripts/redo_realism.py --data /work/shared/data/groove --part hats

Prints, per kind of beat, the two-sample accuracy against real held-out drumming (0.5: a
classifier can't tell them from real) and how often the style classifier recognises the
style asked for; then the differences (redo minus plain).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.data.dataset import load_folder
from engine.model.generator import DEFAULT_MODEL
from engine.model.lstm import DrumLSTM
from engine.music.drums import DRUM_PARTS
from engine.training.evaluate import EvalPlan, RedoPart, ScoredLSTM, realness


def main() -> None:
    """Score plain and redone beats on the same draws and print both and their gap."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--part", choices=list(DRUM_PARTS), default="hats")
    parser.add_argument("--split", default="validation")
    parser.add_argument("--beats", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    corpus = load_folder(args.data)
    plan = EvalPlan(args.split, args.beats, args.seed)
    plain = ScoredLSTM(DrumLSTM.load(args.model))
    result = {"plain": realness(plain, corpus, plan),
              f"new_{args.part}": realness(RedoPart(plain, args.part), corpus, plan)}
    result["gap"] = _gap(result["plain"], result[f"new_{args.part}"])
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


def _gap(plain: dict, redo: dict) -> dict:
    """Redo minus plain for every figure (means over styles for the per-style ones)."""
    out = {}
    for key, value in plain.items():
        if isinstance(value, dict):
            shared = [s for s in value if s in redo[key]]
            out[key + "_mean"] = (sum(redo[key][s] for s in shared)
                                  - sum(value[s] for s in shared)) / max(len(shared), 1)
        else:
            out[key] = redo[key] - value
    return out


if __name__ == "__main__":
    main()
