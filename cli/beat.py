"""`beatbot beat bpm=85 bars=8 ...`: make beats offline, with the bot's own `key=value` syntax."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from engine.errors import EngineError

STEMS_SUFFIX = "_stems.zip"
"""The stems zip is written as `beat_stems.zip` beside `beat.mid`."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `beat`."""
    p = subparsers.add_parser(
        "beat", help="make a beat: MIDI, audio and a picture",
        description="Make beats offline. Settings as in the bot, e.g. "
                    "`beatbot beat bpm=85 bars=8 temp=1.0 style=trap seed=7`.")
    p.add_argument("settings", nargs="*", help="key=value settings (see `!help beat`)")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the files")
    p.add_argument("--count", type=int, default=1, help="how many beats (seeds follow on)")
    p.add_argument("--model", type=Path, default=None, help="model file (.npz)")
    p.add_argument("--primer", type=Path, default=None, help="a MIDI file to continue")
    p.add_argument("--follow", type=Path, default=None,
                   help="a MIDI file of any instrument (a bass line, a riff, a clap track) "
                        "whose rhythm the drums follow, for its length (as follow=yes)")
    p.add_argument("--stems", action="store_true",
                   help="also write BEAT_stems.zip: an audio file per drum and a MIDI track "
                        "per drum (as stems=yes)")
    p.add_argument("--soundfonts", type=Path, default=None,
                   help="folder of kits (default: $BEATBOT_SOUNDFONT_DIR, else ./soundfonts)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Make the beats, write their files, print one summary line each."""
    from engine.beat.maker import BeatMaker
    from engine.beat.syntax import parse_request

    try:
        request = parse_request(" ".join(args.settings))
        if args.primer:
            request = replace(request, primer=_read(args.primer))
        if args.follow:
            request = replace(request, follow=_read(args.follow, "follow"))
        if args.stems:
            request = replace(request, stems=True)
        if not 1 <= args.count <= 100:
            raise EngineError("`--count` must be from 1 to 100.")
        maker = BeatMaker.load(args.model, soundfont_dir(args.soundfonts))
        requests = [maker.validate(request)]
        requests += [replace(requests[0], seed=(requests[0].seed + i) % 2**32)
                     for i in range(1, args.count)]
        beats = maker.make_many(requests)
        args.out.mkdir(parents=True, exist_ok=True)
        for index, beat in enumerate(beats, 1):
            stem = args.out / ("beat" if args.count == 1 else f"beat_{index:02d}")
            print(summary(beat, write_files(beat, stem)))
    except EngineError as error:
        print(f"beatbot: {error_line(error)}", file=sys.stderr)
        return 2
    except OSError as error:  # not the request's fault: the files or kits on this machine
        print(f"beatbot: {os_error_line(error)}", file=sys.stderr)
        return 1
    return 0


def _read(path: Path, key: str = "primer") -> bytes:
    """A primer's (or material's, `key`) bytes, its size checked before any is read: at most
    one byte past the limit is ever read (a device or pipe says it has 0 bytes).

    Raises:
        BadValue: the file is larger than PRIMER_MAX_BYTES (the bot's one-line size error).
        BadPrimer: the file can't be read (saying why in words).
    """
    from engine.beat.request import PRIMER_MAX_BYTES, check_primer_size
    from engine.music.midi_io import read_at_most

    return read_at_most(path, PRIMER_MAX_BYTES, lambda size: check_primer_size(size, key))


def soundfont_dir(given: Path | None) -> Path:
    """The kits folder: the option, else BEATBOT_SOUNDFONT_DIR, else the checkout's own."""
    from engine.beat.maker import SOUNDFONT_DIR

    return given or Path(os.environ.get("BEATBOT_SOUNDFONT_DIR") or SOUNDFONT_DIR)


def os_error_line(error: OSError) -> str:
    """One line for a file that could not be read or written, saying what to do."""
    reason = (error.strerror or "it can't be opened").lower()
    line = f"{error.filename}: {reason}" if error.filename else reason
    if isinstance(error, PermissionError):
        line += (f"; this runs as uid {os.getuid()}: let it write there (with Docker, run "
                 "the image with --user \"$(id -u):$(id -g)\", or chown the folder to it)")
    return line


def error_line(error: Exception) -> str:
    """The one line for a refused beat: keys and the user's values quoted like `bpm`."""
    from engine.errors import shown

    line = getattr(error, "line", None)
    return line(lambda piece: f"`{shown(piece)}`") if line else str(error)


def write_files(beat, stem: Path) -> list[Path]:
    """Write the MIDI, audio and PNG of a beat next to `stem`; returns the paths."""
    files = {stem.with_suffix(".mid"): beat.midi, stem.with_suffix(".png"): beat.image}
    if beat.audio is not None:
        files[stem.with_suffix("." + beat.audio.format)] = beat.audio.data
    if beat.stems is not None:
        files[stem.with_name(stem.name + STEMS_SUFFIX)] = beat.stems.zip
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def summary(beat, paths: list[Path]) -> str:
    """One line: files, seed, style, kit and stage timings."""
    r = beat.request
    stages = " ".join(f"{k}={v:.0f}ms" for k, v in beat.timings_ms.items())
    audio = "" if beat.audio else f" (no audio: {beat.audio_error})"
    names = ", ".join(p.name for p in paths)
    remarks = "".join(f" ({remark})" for remark in beat.remarks)
    if beat.stems is not None and beat.stems.note:
        remarks += f" ({beat.stems.note})"
    return (f"{names}: seed={r.seed} style={r.style} kit={beat.kit.name} bpm={r.bpm:g} "
            f"bars={beat.pattern.bars} model={beat.model} | {stages}{audio}{remarks}")
