"""`beatbot bench`: how fast a beat is made, measured against baselines in the same run.

Figures, all for 8 bars at 85 bpm:
- gen_ms_p50: our NumPy runtime writing 8 bars (median of repeated runs), as it serves:
  before this process has loaded TensorFlow, which the bot and the workers never do;
- keras_step_ms: the same weights stepped one step at a time in Keras, state carried;
- seed_method_ms: the TrapGenerator seed's method, Keras `predict` on a sliding window of the
  last 256 steps once per step (12 steps timed, the median extrapolated to 128). The
  speed-ups divide these by gen_ms_p50_interleaved, our runtime timed in runs interleaved
  with them (TensorFlow's thread pools, loaded by then, slow it by a few ms);
- e2e_ms_p50 and stages_ms: request to files, with the p50 of each stage;
- cpu_ms_per_beat: CPU time (user + system, this process and any children) per beat over the
  same end-to-end loop, and cpu_vs_render: that over stages_ms.render, the FluidSynth time;
  cpu_ms_per_beat_p50 and cpu_p50_vs_render: the same from the p50 of each beat's CPU, a
  like-for-like ratio to the p50 render that slow spells of the machine move less;
- keep_gen_ms_p50 and keep_gen_vs_plain: keep and redo (`then=new:hats`: every drum but the
  hats kept, the hats written around them) against plain generation of 8 bars, interleaved in
  one loop, so a slow spell of the machine falls on both alike;
- stems_e2e_ms_p50 and stems_e2e_vs_plain: a `stems=yes` request end to end (a stem per drum
  rendered and encoded, the MIDI stems, the zip) against the same request without stems,
  interleaved likewise;
- busy_gen_ms_p50, loud_gen_ms_p50, follow_gen_ms_p50 and each `_vs_plain`: generation of 8
  bars with `busy=0.8`, with `loud=0.3`, and following 8 bars of material (a real beat's
  kick and snare steps, as a bass line would give them), against plain generation,
  interleaved in one loop;
- model_mb, model_train_command and model_train_s: the served model file's size and the
  training command and fitting time it keeps in its metadata;
- ready_s and rss_mb: a fresh process importing and loading the engine until it has made one
  beat, and its resident memory then; python_start_s is the bare interpreter's start-up.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from engine.beat.maker import SOUNDFONT_DIR, BeatMaker
from engine.beat.request import BeatRequest
from engine.model.generator import GenerationSpec
from engine.music.drums import DRUM_PARTS, N_CLASSES, STEPS_PER_BAR

BARS = 8
BPM = 85.0
STEPS = BARS * STEPS_PER_BAR
SEED_WINDOW = 256
"""The seed project's sliding window, in steps."""
SEED_ROUNDS = 12
"""Rounds of the interleaved comparison: one timed step of the seed's method each."""
GEN_PER_ROUND = 5
TF_SETTLE_S = 0.5
"""Pause after TensorFlow work: its thread pools spin for a while and would slow our runs."""
KERAS_BEAT_EVERY = 4
READY_SCRIPT = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from engine.beat.maker import SOUNDFONT_DIR, BeatMaker
from engine.beat.request import BeatRequest
maker = BeatMaker.load(None, Path(sys.argv[1]))
maker.make(BeatRequest(bpm=85, bars=8, seed=1))
import psutil
print(json.dumps({"ready_s": time.perf_counter() - t0,
                  "rss_mb": psutil.Process().memory_info().rss / 2**20}))
"""


def median_ms(run, repeats: int) -> float:
    """Median wall time of `run()` in milliseconds, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def generation(maker: BeatMaker, repeats: int) -> float:
    """Median ms for our runtime to write 8 bars."""
    seeds = iter(range(10**6))
    return median_ms(lambda: maker.generator.generate(
        [GenerationSpec(STEPS, "any", 1.0, next(seeds), bpm=BPM)]), repeats)


def end_to_end(maker: BeatMaker, repeats: int
               ) -> tuple[float, dict[str, float], float, float]:
    """p50 of request-to-files and of each stage, and the CPU ms per beat: the mean (all
    the loop's CPU over its beats) and the p50 of each beat's own."""
    stages: dict[str, list[float]] = {}
    totals, cpu = [], []
    maker.make(BeatRequest(bpm=BPM, bars=BARS, seed=0))  # warm-up
    cpu_start = cpu_seconds()
    for seed in range(1, repeats + 1):
        start, beat_cpu = time.perf_counter(), cpu_seconds()
        beat = maker.make(BeatRequest(bpm=BPM, bars=BARS, seed=seed))
        totals.append((time.perf_counter() - start) * 1000)
        cpu.append((cpu_seconds() - beat_cpu) * 1000)
        for stage, ms in beat.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    cpu_ms = (cpu_seconds() - cpu_start) * 1000 / repeats
    return (statistics.median(totals), {k: statistics.median(v) for k, v in stages.items()},
            cpu_ms, statistics.median(cpu))


def direct_figures(maker: BeatMaker, repeats: int) -> dict[str, float]:
    """Keep-and-redo generation against plain generation, and a stems request end to end
    against a plain one, each pair timed in turn in one loop (median ms and their ratios)."""
    kept = tuple(c for c in range(N_CLASSES) if c not in DRUM_PARTS["hats"])
    plain, keep, flat, stems = [], [], [], []
    for seed in range(repeats + 1):
        spec = GenerationSpec(STEPS, "any", 1.0, seed, bpm=BPM)
        plain.append(_timed(lambda s=spec: maker.generator.generate([s])))
        beat = maker.generator.generate([spec])[0]
        redo = GenerationSpec(STEPS, "any", 1.0, seed + 1, bpm=BPM, keep=beat, keep_classes=kept)
        keep.append(_timed(lambda s=redo: maker.generator.generate([s])))
        request = BeatRequest(bpm=BPM, bars=BARS, seed=seed)
        flat.append(_timed(lambda r=request: maker.make(r)))
        stems.append(_timed(lambda r=request: maker.make(replace(r, stems=True))))
    figures = {name: statistics.median(times[1:])  # the first pair warms up
               for name, times in (("plain_gen_ms_p50", plain), ("keep_gen_ms_p50", keep),
                                   ("plain_e2e_ms_p50", flat), ("stems_e2e_ms_p50", stems))}
    figures["keep_gen_vs_plain"] = figures["keep_gen_ms_p50"] / figures["plain_gen_ms_p50"]
    figures["stems_e2e_vs_plain"] = figures["stems_e2e_ms_p50"] / figures["plain_e2e_ms_p50"]
    return figures


LISTEN_BUSY, LISTEN_LOUD = 0.8, 0.3
"""Knob values the bench times (any value costs the same: a row of a table)."""


def listening_figures(maker: BeatMaker, repeats: int) -> dict[str, float]:
    """Generation with busy, loud and follow against plain generation, each timed in turn in
    one loop (median ms and their ratios)."""
    follow = _material()
    times: dict[str, list[float]] = {"plain": [], "busy": [], "loud": [], "follow": []}
    for seed in range(repeats + 1):
        spec = GenerationSpec(STEPS, "any", 1.0, seed, bpm=BPM)
        for name, changed in (("plain", spec), ("busy", replace(spec, busy=LISTEN_BUSY)),
                              ("loud", replace(spec, loud=LISTEN_LOUD)),
                              ("follow", replace(spec, follow=follow))):
            times[name].append(_timed(lambda s=changed: maker.generator.generate([s])))
    figures = {f"{name}_gen_ms_p50_listening": statistics.median(t[1:])
               for name, t in times.items()}
    plain = figures["plain_gen_ms_p50_listening"]
    for name in ("busy", "loud", "follow"):
        figures[f"{name}_gen_vs_plain"] = figures[f"{name}_gen_ms_p50_listening"] / plain
    return figures


def _material():
    """8 bars of a bass line's rhythm: a rock beat's kick and snare steps, played a little
    late."""
    import numpy as np

    from engine.music.pattern import Rhythm

    bar = np.zeros(STEPS_PER_BAR, bool)
    bar[[0, 4, 7, 8, 10, 12]] = True
    onsets = np.tile(bar, BARS)
    return Rhythm(onsets, np.where(onsets, 0.05, 0.0).astype(np.float32))


def model_figures() -> dict:
    """The served model file's size (MB) and the training it records."""
    from engine.model.generator import DEFAULT_MODEL
    from engine.model.lstm import DrumLSTM

    meta = DrumLSTM.load(DEFAULT_MODEL).meta
    return {"model_mb": DEFAULT_MODEL.stat().st_size / 2**20,
            "model_train_command": meta.get("command", ""),
            "model_train_s": meta.get("train_seconds")}


def cpu_seconds() -> float:
    """User + system CPU of this process (all threads) and its waited-for children, s."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def keras_figures(maker: BeatMaker, model_path: Path, rounds: int) -> dict[str, float]:
    """Time our runtime, Keras stepping and the seed's sliding window, interleaved.

    Each round runs our generator a few times, one beat stepped in Keras (every few rounds)
    and one step of the seed's method, so a slow or fast spell of this shared machine falls
    on all of them alike and the speed-up ratios stay fair.
    """
    from bench.keras_reference import KerasReference

    ref = KerasReference(model_path)
    ref.sliding_window_steps(1, SEED_WINDOW)  # warm-up
    seeds = iter(range(10**6))
    ours, keras_beats, seed_steps = [], [], []
    for round_ in range(rounds):
        for _ in range(GEN_PER_ROUND):
            ours.append(_timed(lambda: maker.generator.generate(
                [GenerationSpec(STEPS, "any", 1.0, next(seeds), bpm=BPM)])))
        if round_ % KERAS_BEAT_EVERY == 0:
            keras_beats.append(_timed(lambda: ref.step_beat(STEPS)))
        seed_steps.append(_timed(lambda: ref.sliding_window_steps(1, SEED_WINDOW)))
        time.sleep(TF_SETTLE_S)
    per_step = statistics.median(seed_steps)
    return {"gen_ms_p50_interleaved": statistics.median(ours),
            "keras_step_ms": statistics.median(keras_beats),
            "seed_method_ms": per_step * STEPS, "seed_method_ms_per_step": per_step}


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def cold_start(soundfonts: Path = SOUNDFONT_DIR) -> dict[str, float]:
    """Start fresh processes: bare Python (baseline) and Python that loads the engine (and
    the kits in `soundfonts`)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python_s = time.perf_counter() - start
    out = subprocess.run([sys.executable, "-c", READY_SCRIPT, str(soundfonts)], check=True,
                         capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return {**figures, "python_start_s": python_s}


def run_bench(repeats: int = 30, keras: bool = True, soundfonts: Path = SOUNDFONT_DIR) -> dict:
    """Run every measure, with the kits in `soundfonts`; returns the figures (keys as in the
    module docstring)."""
    maker = BeatMaker.load(None, soundfonts)
    result = {"bars": BARS, "bpm": BPM, "model": maker.generator.name}
    # End to end first: a worker never loads TensorFlow, whose objects would make every
    # full garbage collection of the loop slower and whose allocator settings change it.
    (result["e2e_ms_p50"], result["stages_ms"], result["cpu_ms_per_beat"],
     result["cpu_ms_per_beat_p50"]) = end_to_end(maker, repeats)
    render = result["stages_ms"]["render"]
    result["cpu_vs_render"] = result["cpu_ms_per_beat"] / render
    result["cpu_p50_vs_render"] = result["cpu_ms_per_beat_p50"] / render
    result["gen_ms_p50"] = generation(maker, repeats)
    result.update(direct_figures(maker, repeats))
    result.update(listening_figures(maker, repeats))
    result.update(model_figures())
    if keras:
        from engine.model.generator import DEFAULT_MODEL

        result.update(keras_figures(maker, DEFAULT_MODEL, SEED_ROUNDS))
        ours = result["gen_ms_p50_interleaved"]
        result["speedup_vs_seed"] = result["seed_method_ms"] / ours
        result["speedup_vs_keras_step"] = result["keras_step_ms"] / ours
    result["audio_s"] = BARS * 4 * 60 / BPM
    result["e2e_realtime_ratio"] = result["audio_s"] * 1000 / result["e2e_ms_p50"]
    result.update(cold_start(soundfonts))
    result["ready_vs_python_start"] = result["ready_s"] / result["python_start_s"]
    return result


def print_table(result: dict) -> None:
    """Print the figures, one per line."""
    for key, value in result.items():
        if isinstance(value, dict):
            value = " ".join(f"{k}={v:.1f}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:.2f}"
        print(f"{key:26s} {value}")


def save(result: dict, path: Path | None) -> None:
    """Write the figures as JSON when a path is given."""
    if path:
        path.write_text(json.dumps(result, indent=2, default=float))

