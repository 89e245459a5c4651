"""One call from a request to everything the bot posts: MIDI, audio and a picture."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from engine.beat.picture import draw_grid
from engine.beat.request import BARS_RANGE, BeatRequest
from engine.errors import BadPrimer, BadValue, RenderError
from engine.model.sampler import GenerationSpec, Generator
from engine.music.drums import STEPS_PER_BAR
from engine.music.midi_io import read_midi, write_midi
from engine.music.notes import Note, perform
from engine.music.pattern import Pattern
from engine.sound.encode import EncodedAudio, Encoding
from engine.sound.kits import Kit, load_kits, resolve_kit
from engine.sound.render import SAMPLE_RATE, Renderer, loop_frames

SOUNDFONT_DIR = Path(
    os.environ.get("BEATBOT_SOUNDFONT_DIR", Path(__file__).resolve().parents[2] / "soundfonts")
)
"""The kits: the repo's soundfonts/ folder unless BEATBOT_SOUNDFONT_DIR says otherwise."""


@dataclass(frozen=True)
class Beat:
    """Everything made for one request.

    Attributes:
        request: the validated request (its seed is always set).
        kit: the kit that played it.
        pattern: the grid, primer included.
        notes: the performed notes (learned groove, swing and rolls applied).
        midi: a type-1 MIDI file.
        audio: the encoded preview, or None when audio failed.
        audio_error: why audio failed, in one line, or None.
        image: PNG of the drum grid.
        timings_ms: milliseconds per stage: generate, midi, render, encode, image, total.
        model: the generator's name.
    """

    request: BeatRequest
    kit: Kit
    pattern: Pattern
    notes: list[Note]
    midi: bytes
    audio: EncodedAudio | None
    audio_error: str | None
    image: bytes
    timings_ms: dict[str, float]
    model: str


class BeatMaker:
    """Holds the loaded generator, kits and synth; `make` is safe to call from worker threads."""

    def __init__(self, generator: Generator, kits: dict[str, Kit], renderer: Renderer) -> None:
        self.generator = generator
        self.kits = kits
        self.renderer = renderer

    @classmethod
    def load(cls, model_path: Path | None = None, soundfont_dir: Path = SOUNDFONT_DIR) -> BeatMaker:
        """Load the model (the shipped default when None) and every kit once."""
        from engine.model.sampler import load_generator

        kits = load_kits(soundfont_dir)
        return cls(load_generator(model_path), kits, Renderer(kits))

    @property
    def styles(self) -> tuple[str, ...]:
        """Styles a request may name (besides "any")."""
        return self.generator.styles

    @property
    def kit_names(self) -> tuple[str, ...]:
        """Kits a request may name (besides "auto")."""
        return tuple(self.kits)

    def make(self, request: BeatRequest) -> Beat:
        """Validate a request and make its beat.

        Raises:
            BadValue: a field is out of range.
            BadPrimer: the primer is not usable MIDI with drums.
        """
        return self.make_many([request])[0]

    def make_many(self, requests: list[BeatRequest]) -> list[Beat]:
        """Make several beats, generating their patterns in one batch."""
        requests = [r.validated(self.styles, self.kit_names) for r in requests]
        specs = [self._spec(r) for r in requests]
        start = time.perf_counter()
        patterns = self.generator.generate(specs)
        gen_ms = (time.perf_counter() - start) * 1000 / len(requests)
        return [self._finish(r, p, gen_ms) for r, p in zip(requests, patterns, strict=True)]

    def _spec(self, request: BeatRequest) -> GenerationSpec:
        primer = read_midi(request.primer).pattern if request.primer else None
        guide = read_midi(request.vary).pattern if request.vary else None
        steps = request.bars * STEPS_PER_BAR
        if guide is not None:
            steps = guide.steps
        if primer is not None and primer.bars >= BARS_RANGE[1]:
            raise BadPrimer(f"the beat is already {primer.bars} bars; {BARS_RANGE[1]} is the "
                            "longest there is")
        if primer is not None and primer.bars + request.bars > BARS_RANGE[1]:
            raise BadValue("bars", request.bars, f"at most {BARS_RANGE[1] - primer.bars} "
                           f"after a {primer.bars}-bar primer")
        return GenerationSpec(steps, request.style, request.temperature, request.seed,
                              request.fills, primer, guide, request.bpm)

    def _finish(self, request: BeatRequest, pattern: Pattern, gen_ms: float) -> Beat:
        """Perform, write, render, encode and draw one pattern.

        ffmpeg starts first so that its start-up overlaps the MIDI and the render, and the
        picture is drawn while it encodes; each stage's time is what it adds to the request.
        """
        timings = {"generate": gen_ms}
        clock = _Clock(timings)
        kit = resolve_kit(self.kits, request.kit, request.style)
        encoding, audio_error = self._start_encoding(request, pattern.steps)
        with clock("midi"):
            notes = perform(pattern, request.bpm, kit.pitches, request.swing,
                            request.groove, request.humanize)
            midi = write_midi(notes, request.bpm, pattern.steps)
        if encoding is not None:
            audio_error = self._render(notes, request, pattern.steps, kit, encoding, clock)
        with clock("image"):
            image = draw_grid(pattern.on_grid())
        audio = None
        if encoding is not None and audio_error is None:
            audio, audio_error = self._encoded(encoding, clock)
        timings["total"] = sum(timings.values())
        return Beat(replace(request, kit=kit.name), kit, pattern, notes, midi, audio,
                    audio_error, image, timings, self.generator.name)

    def _start_encoding(self, request: BeatRequest, steps: int
                        ) -> tuple[Encoding | None, str | None]:
        seconds = loop_frames(steps, request.bpm) / SAMPLE_RATE
        try:
            return Encoding(request.audio_format, seconds), None
        except RenderError as error:
            return None, str(error)

    def _render(self, notes, request, steps, kit, encoding: Encoding, clock) -> str | None:
        """Render into the encoder; returns why audio failed, or None."""
        try:
            with clock("render"):
                encoding.feed(self.renderer.render(notes, request.bpm, steps, kit))
        except RenderError as error:
            encoding.cancel()
            return str(error)
        return None

    @staticmethod
    def _encoded(encoding: Encoding, clock) -> tuple[EncodedAudio | None, str | None]:
        try:
            with clock("encode"):
                return encoding.result(), None
        except RenderError as error:
            return None, str(error)


class _Clock:
    """Times named stages into a dict of milliseconds."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def __call__(self, stage: str) -> _Clock:
        self.stage = stage
        return self

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.stage] = (time.perf_counter() - self.start) * 1000
