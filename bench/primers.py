"""`beatbot bench --primers`: how long hostile primers take to read, against a normal one.

Every shape fits the attachment limit (PRIMER_MAX_BYTES, 256 KB), so the bot downloads it and
the engine reads it. Each is read with `read_midi` (as `BeatMaker` does) `repeats` times; the
median wall time is reported in seconds and as a ratio to the baseline, a normal 8-bar primer
read in the same run. Shapes: numbers whose continuation bit never clears (issue 12: a delta
time, a meta length, a sysex length), a track declaring 0x7FFFFFFF bytes, a header declaring
65,535 tracks, 5-byte delta times, one sysex as large as the file, and files at the event and
note limits (20,000 notes, read whole; 60,000 events; 20,000 notes off channel 10, which are
scanned twice to guess the kit's channel); a flood of running-status events past the limit.

Figures:
- shapes: per shape, bytes, seconds (median), cpu_seconds (median), ratio (to the baseline)
  and outcome (`read: N bars` or the one line the user gets);
- baseline_seconds; worst_shape and worst_seconds; limit_seconds (0.3) and within_limit;
- cli: `beatbot beat --primer` given a 1 GB sparse file (issue 13), in a fresh process: its
  wall seconds, peak memory (MB) and line, beside the same command refusing `bpm=500` (the
  baseline: start-up and imports only), and the ratio of the two.
"""

from __future__ import annotations

import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine.beat.request import PRIMER_MAX_BYTES
from engine.errors import BadPrimer
from engine.music.drums import STEPS_PER_BAR, TICKS_PER_BEAT, TICKS_PER_STEP
from engine.music.midi_io import MAX_EVENTS, MAX_NOTES, read_midi, write_midi
from engine.music.notes import Note

LIMIT_S = 0.3
"""The slowest any primer up to PRIMER_MAX_BYTES may take to read (issue 12), seconds."""
BASELINE_BARS = 8
BASELINE_BPM = 90.0
BASELINE = "8-bar primer (baseline)"
SWING_TICKS = 20
"""How late the baseline's off-beat 8th hats sit, ticks."""
SPARSE_BYTES = 2**30
"""The sparse file given to `beatbot beat --primer` (issue 13), bytes."""
END_OF_TRACK = b"\x00\xff\x2f\x00"
KICK, SNARE, HAT = 36, 38, 42
NOTE_GAP_TICKS = 24
"""Ticks between the notes of the 20,000-note shapes: 5 a 16th, so they fit 256 bars."""
TEXT_BYTES = 200
"""Text in each meta event of the 0x7FFFFFFF-byte track: valid events, few of them."""
ROOT = Path(__file__).resolve().parents[1]


def run_primers(repeats: int = 30) -> dict:
    """Read every shape `repeats` times; return the figures (see the module docstring)."""
    baseline = _measure(_baseline(), repeats)
    shapes = {name: _measure(data, repeats) for name, data in hostile_shapes().items()}
    for figures in shapes.values():
        figures["ratio"] = figures["seconds"] / baseline["seconds"]
    worst = max(shapes, key=lambda name: shapes[name]["seconds"])
    return {"shapes": {BASELINE: {**baseline, "ratio": 1.0}, **shapes},
            "baseline_seconds": baseline["seconds"], "worst_shape": worst,
            "worst_seconds": shapes[worst]["seconds"], "limit_seconds": LIMIT_S,
            "within_limit": shapes[worst]["seconds"] < LIMIT_S, "cli": measure_cli()}


def hostile_shapes() -> dict[str, bytes]:
    """The hostile primers by name, each at most PRIMER_MAX_BYTES."""
    fill = PRIMER_MAX_BYTES - 22  # after the header and one track's chunk header
    notes, offs = _notes(MAX_NOTES, channel=9), _notes(MAX_NOTES, channel=0)
    return {
        "endless delta time": _smf(b"\xff" * fill, size=2**31 - 1),
        "endless meta length": _smf(b"\x00\xff\x01" + b"\xff" * (fill - 3), size=2**31 - 1),
        "endless sysex length": _smf(b"\x00\xf0" + b"\xff" * (fill - 2), size=2**31 - 1),
        "track of 0x7FFFFFFF bytes": _smf(_notes(8) + _texts(fill - 64), size=2**31 - 1),
        "65,535 tracks declared": _smf(*[END_OF_TRACK] * (fill // 12), declared=0xFFFF),
        "5-byte delta times": _smf(b"\x80\x80\x80\x80\x00\x99\x24\x64" * (fill // 8)),
        "one sysex of 256 KB": _smf(b"\x00\xf0" + _number(fill - 16) + bytes(fill - 16)
                                    + END_OF_TRACK),
        f"{MAX_NOTES:,} notes": _smf(notes + END_OF_TRACK),
        f"{MAX_NOTES:,} notes on channel 1 (kit guessed)": _smf(offs + END_OF_TRACK),
        f"{MAX_EVENTS:,} events": _smf(notes + _controllers(MAX_EVENTS - 2 * MAX_NOTES - 1)
                                       + END_OF_TRACK),
        "running status past the event limit": _smf(
            b"\x00\xb9\x04\x40" + b"\x00\x04\x40" * ((fill - 8) // 3) + END_OF_TRACK),
    }


def measure_cli() -> dict:
    """`beatbot beat --primer` on a 1 GB sparse file, and refusing `bpm=500`, in fresh
    processes: wall seconds, peak memory and the line each prints."""
    with tempfile.TemporaryDirectory() as folder:
        sparse = Path(folder) / "sparse.mid"
        with sparse.open("wb") as file:
            file.truncate(SPARSE_BYTES)
        baseline = _run_cli(["bpm=500", "--out", folder])
        huge = _run_cli(["--primer", str(sparse), "--out", folder])
    return {"sparse_1gb": huge, "baseline_bpm_500": baseline,
            "ratio": huge["seconds"] / baseline["seconds"]}


def print_primers(result: dict) -> None:
    """Print one line per shape, then the verdict and the CLI's figures."""
    print(f"{'shape':48s} {'bytes':>7s} {'seconds':>9s} {'ratio':>8s}  outcome")
    for name, figures in result["shapes"].items():
        print(f"{name:48s} {figures['bytes']:7d} {figures['seconds']:9.5f} "
              f"{figures['ratio']:8.2f}  {figures['outcome']}")
    verdict = "within" if result["within_limit"] else "PAST"
    print(f"worst: {result['worst_shape']} in {result['worst_seconds']:.4f} s, {verdict} the "
          f"{result['limit_seconds']} s limit")
    for name, run in result["cli"].items():
        if isinstance(run, dict):
            print(f"cli {name:18s} {run['seconds']:.3f} s  {run['peak_mb']:.0f} MB  "
                  f"exit {run['exit']}  {run['line']}")
    print(f"cli ratio (sparse 1 GB / bpm=500): {result['cli']['ratio']:.2f}")


def _measure(data: bytes, repeats: int) -> dict:
    """Median wall and CPU seconds of read_midi(data), and what it gave."""
    walls, cpus, outcome = [], [], ""
    for _ in range(max(1, repeats)):
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = _outcome(lambda: read_midi(data))
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return {"bytes": len(data), "seconds": statistics.median(walls),
            "cpu_seconds": statistics.median(cpus), "outcome": outcome}


def _outcome(read: Callable) -> str:
    try:
        return f"read: {read().pattern.bars} bars"
    except BadPrimer as refused:
        return f"refused: {refused}"


def _run_cli(args: list[str]) -> dict:
    """Run `beatbot beat ARGS` in a fresh process: seconds, peak memory (MB), exit, line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cli.main", "beat", *args], cwd=ROOT,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    line = child.stderr.read().decode(errors="replace").strip()
    _, status, usage = os.wait4(child.pid, 0)  # the child's own peak memory, not all children's
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": time.perf_counter() - started, "peak_mb": usage.ru_maxrss / 1024,
            "exit": child.returncode, "line": line}


def _baseline() -> bytes:
    """A normal primer: 8 bars of kick, snare and swung 8th hats, as write_midi writes them."""
    steps = BASELINE_BARS * STEPS_PER_BAR
    notes = [Note(step * TICKS_PER_STEP + SWING_TICKS * (step % 4 == 2), HAT, 90 - 30 * (step % 4))
             for step in range(0, steps, 2)]
    notes += [Note(step * TICKS_PER_STEP, KICK, 110) for step in range(0, steps, 8)]
    notes += [Note(step * TICKS_PER_STEP, SNARE, 100) for step in range(4, steps, 8)]
    return write_midi(notes, BASELINE_BPM, steps)


def _smf(*bodies: bytes, size: int | None = None, declared: int | None = None) -> bytes:
    """A type-1 file of raw track bodies; `size` is what each chunk claims (else its length)."""
    count = len(bodies) if declared is None else declared
    head = b"MThd" + struct.pack(">LhHh", 6, 1, count, TICKS_PER_BEAT)
    return head + b"".join(b"MTrk" + struct.pack(">L", len(body) if size is None else size)
                           + body for body in bodies)


def _notes(count: int, channel: int = 9) -> bytes:
    """`count` kick, snare and hat notes NOTE_GAP_TICKS apart, each ended at the next."""
    body = bytearray()
    for index in range(count):
        pitch = (KICK, SNARE, HAT)[index % 3]
        body += bytes([0, 0x90 | channel, pitch, 100, NOTE_GAP_TICKS, 0x80 | channel, pitch, 0])
    return bytes(body)


def _controllers(count: int) -> bytes:
    """`count` controller changes at one tick, in running status after the first."""
    return b"\x00\xb9\x04\x40" + b"\x00\x04\x40" * (count - 1)


def _texts(size: int) -> bytes:
    """Text meta events of TEXT_BYTES each, `size` bytes or a little less in all."""
    text = b"\x00\xff\x01" + _number(TEXT_BYTES) + b"x" * TEXT_BYTES
    return text * (size // len(text))


def _number(value: int) -> bytes:
    """A MIDI variable-length number."""
    groups = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        groups.append(0x80 | (value & 0x7F))
    return bytes(reversed(groups))
