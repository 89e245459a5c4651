"""`beatbot bench` on two checkouts in one run, in ABBA order, so the machine's slow spells
fall on both: each figure of the second as a ratio to the first, and how far the two runs
of one checkout differ (the noise).

    .venv/bin/python scripts/compare_bench.py BEFORE_DIR AFTER_DIR [--repeats 20]

Each checkout's own code runs (PYTHONPATH), with this environment's packages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FIGURES = ("gen_ms_p50", "e2e_ms_p50", "cpu_ms_per_beat_p50", "ready_s", "rss_mb")
"""The bench figures compared (lower is better for each)."""


def run_bench(checkout: Path, repeats: int) -> dict:
    """One `beatbot bench --no-keras` of `checkout`'s code; its figures."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        subprocess.run([sys.executable, "-m", "cli.main", "bench", "--no-keras", "--repeats",
                        str(repeats), "--json", out.name], cwd=checkout, env=env, check=True,
                       capture_output=True)
        return json.loads(Path(out.name).read_text())


def compare(before: Path, after: Path, repeats: int) -> dict[str, dict[str, float]]:
    """Each figure: the mean of each checkout's two runs, after / before, and the noise (the
    larger relative gap between one checkout's two runs)."""
    runs = {before: [], after: []}
    for checkout in (before, after, after, before):
        runs[checkout].append(run_bench(checkout, repeats))
    table = {}
    for name in FIGURES:
        a = [run[name] for run in runs[before]]
        b = [run[name] for run in runs[after]]
        noise = max(abs(x - y) / min(x, y) for x, y in (a, b))
        table[name] = {"before": statistics.fmean(a), "after": statistics.fmean(b),
                       "after_vs_before": statistics.fmean(b) / statistics.fmean(a),
                       "noise": noise}
    return table


def main() -> int:
    """Print the comparison as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(compare(args.before.resolve(), args.after.resolve(), args.repeats),
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
