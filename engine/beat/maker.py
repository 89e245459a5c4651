"""One call from a request to everything the bot posts: MIDI, audio and a picture."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from engine.beat.picture import draw_grid
from engine.beat.request import BARS_RANGE, EXTEND_BARS, BeatRequest, Edit, check_edits
from engine.beat.stems import Stems, pack_stems, stem_notes, stems_midi
from engine.errors import BadValue, RenderError, TooLong
from engine.model.generator import GenerationSpec, Generator, follow_mode
from engine.music.drums import DRUM_PARTS, N_CLASSES, STEPS_PER_BAR, part_classes
from engine.music.midi_io import MidiBeat, read_midi, read_rhythm, write_midi
from engine.music.notes import Note, perform
from engine.music.pattern import Pattern, Rhythm
from engine.sound.encode import EncodedAudio, encode
from engine.sound.kits import Kit, load_kits, resolve_kit
from engine.sound.render import Renderer
from engine.sound.stems import RenderedStems, render_stems

STEM_ENCODERS = 2
"""Threads that encode a stems request's files side by side."""
SOUNDFONT_DIR = Path(__file__).resolve().parents[2] / "soundfonts"
"""The kits of a source checkout: the repo's soundfonts/ folder."""


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
        remarks: lines worth telling the user about how the request was read (a primer's
            drums found off channel 10), or none.
        stems: the zipped stems when the request asks for them (`stems`), else None.

    The pattern, notes, MIDI, audio and picture are the beat as heard: the request's muted
    parts (`mute`) are left out of all of them.
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
    remarks: tuple[str, ...] = ()
    stems: Stems | None = None


class BeatMaker:
    """Holds the loaded generator, kits and synth; `make` is safe to call from worker threads."""

    def __init__(self, generator: Generator, kits: dict[str, Kit], renderer: Renderer) -> None:
        self.generator = generator
        self.kits = kits
        self.renderer = renderer

    @classmethod
    def load(cls, model_path: Path | None = None, soundfont_dir: Path = SOUNDFONT_DIR) -> BeatMaker:
        """Load the model (the shipped default when None) and every kit once.

        It also keeps this process's BLAS to one thread: a beat's matrices are a few rows,
        so a second BLAS thread only spins (a serving process runs beats side by side on
        its own threads instead). That took about 4 % off the CPU of a beat and 6 % off its
        time (`beatbot bench --no-keras`, two runs each way).
        """
        from threadpoolctl import threadpool_limits

        from engine.model.generator import load_generator

        threadpool_limits(1, user_api="blas")
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

    def validate(self, request: BeatRequest) -> BeatRequest:
        """The request checked against this maker's styles and kits (once: a request that is
        already valid comes back as is).

        Raises:
            BadValue: a field is out of range.
        """
        return request if request.valid else request.validated(self.styles, self.kit_names)

    def make(self, request: BeatRequest) -> Beat:
        """Validate a request and make its beat.

        Raises:
            BadValue: a field is out of range.
            BadPrimer: the primer is not usable MIDI with drums.
            BadMaterial: the material to follow is not usable MIDI with notes.
            TooLong: the edits extend the beat past the longest there is.
        """
        return self.make_many([request])[0]

    def check(self, request: BeatRequest) -> BeatRequest:
        """Everything `make` would refuse, found without making the beat (the primer is
        read, so this takes up to a few hundred ms on a hostile file).

        Returns:
            The validated request.

        Raises:
            As `make`.
        """
        request = self.validate(request)
        self._first_spec(request)
        return request

    def make_many(self, requests: list[BeatRequest]) -> list[Beat]:
        """Make several beats, generating their patterns in one batch (and their edits in
        one batch per step)."""
        requests = [self.validate(r) for r in requests]
        firsts = [self._first_spec(r) for r in requests]
        start = time.perf_counter()
        patterns = self.generator.generate([spec for spec, _ in firsts])
        for depth in range(max(len(r.then) for r in requests)):
            rows = [i for i, r in enumerate(requests) if len(r.then) > depth]
            specs = [_edit_spec(requests[i], requests[i].then[depth], patterns[i],
                                _primer_steps(firsts[i][0]), firsts[i][0].follow)
                     for i in rows]
            for row, pattern in zip(rows, self.generator.generate(specs), strict=True):
                patterns[row] = pattern
        gen_ms = (time.perf_counter() - start) * 1000 / len(requests)
        return [self._finish(r, p, gen_ms, _remarks(primer, spec))
                for r, p, (spec, primer) in zip(requests, patterns, firsts, strict=True)]

    def _first_spec(self, request: BeatRequest) -> tuple[GenerationSpec, MidiBeat | None]:
        """The first generation of a recipe (before its edits), and its primer as read. With
        `keep`, the primer's kept parts play through its length and the model writes the
        other drums around them there, then goes on for `bars` bars."""
        primer = read_midi(request.primer) if request.primer else None
        if primer is not None:
            _check_primer_room(request, primer.pattern.bars)
        spec = GenerationSpec(request.bars * STEPS_PER_BAR, request.style, request.temperature,
                              request.seed, request.fills,
                              primer.pattern if primer else None, bpm=request.bpm,
                              busy=request.busy, loud=request.loud)
        if request.follow is not None:
            rhythm, _ = read_rhythm(request.follow, BARS_RANGE[1] * STEPS_PER_BAR)
            check_edits(request.then, rhythm.bars)
            spec = replace(spec, steps=rhythm.bars * STEPS_PER_BAR, follow=rhythm)
        if primer is not None and request.keep:
            spec = replace(spec, steps=primer.pattern.steps + spec.steps, primer=None,
                           keep=primer.pattern, keep_classes=part_classes(request.keep))
        return spec, primer

    def _finish(self, request: BeatRequest, pattern: Pattern, gen_ms: float,
                remarks: tuple[str, ...] = ()) -> Beat:
        """Perform, write, render, encode and draw one pattern (its muted parts left out),
        timing each stage."""
        timings = {"generate": gen_ms}
        clock = _Clock(timings)
        kit = resolve_kit(self.kits, request.kit, request.style)
        pattern = pattern.without(part_classes(request.mute))
        with clock("midi"):
            notes = perform(pattern, kit.pitches, request.swing,
                            request.groove, request.humanize)
            midi = write_midi(notes, request.bpm, pattern.steps)
        stems = None
        if request.stems:
            audio, audio_error, stems = self._stems(pattern, request, kit, clock)
        else:
            audio, audio_error = self._audio(notes, request, pattern.steps, kit, clock)
        with clock("image"):
            image = draw_grid(pattern.on_grid())
        timings["total"] = sum(timings.values())
        return Beat(replace(request, kit=kit.name), kit, pattern, notes, midi, audio,
                    audio_error, image, timings, self.generator.name, remarks, stems)

    def _audio(self, notes, request, steps, kit, clock) -> tuple[EncodedAudio | None, str | None]:
        """Render and encode; returns the file, or None and why audio failed."""
        try:
            with clock("render"):
                samples = self.renderer.render(notes, request.bpm, steps, kit)
            with clock("encode"):
                return encode(samples, request.audio_format), None
        except RenderError as error:
            return None, str(error)

    def _stems(self, pattern: Pattern, request: BeatRequest, kit: Kit, clock: _Clock
               ) -> tuple[EncodedAudio | None, str | None, Stems]:
        """Render the mix with its stems and encode them all; returns the mix's file (or
        None and why audio failed) and the stems (the MIDI stems alone when audio failed)."""
        steps, bpm = pattern.steps, request.bpm
        with clock("stems"):
            notes = stem_notes(pattern, kit, request.swing, request.groove, request.humanize)
            midi = stems_midi(notes, bpm, steps)
        try:
            with clock("render"):
                rendered = render_stems(self.renderer, notes, bpm, steps, kit)
            with clock("encode"):
                mix, files = _encode_stems(rendered, request.audio_format)
        except RenderError as error:
            return None, str(error), pack_stems(midi, {}, note=f"No audio stems: {error}.")
        with clock("zip"):
            stems = pack_stems(midi, files, rendered.residual_dbfs)
        return mix, None, stems


def _encode_stems(rendered: RenderedStems, audio_format: str
                  ) -> tuple[EncodedAudio, dict[int, EncodedAudio]]:
    """Encode the mix and every stem, STEM_ENCODERS at a time: LAME and libopus let go of
    Python's lock while they work, so a stems request takes about half the time on two
    cores (the files are the same either way)."""
    with ThreadPoolExecutor(STEM_ENCODERS) as pool:
        mix = pool.submit(encode, rendered.mix, audio_format)
        stems = {cls: pool.submit(encode, stem, audio_format)
                 for cls, stem in rendered.stems.items()}
        return mix.result(), {cls: done.result() for cls, done in stems.items()}


def _check_primer_room(request: BeatRequest, primer_bars: int) -> None:
    """Refuse a primer that leaves no room for the bars asked for, or for the edits.

    Raises:
        TooLong: the primer is already the longest a beat may be.
        BadValue: `bars` new bars would pass the limit.
    """
    limit = BARS_RANGE[1]
    if primer_bars >= limit:
        raise TooLong(primer_bars, request.bars, limit)
    if primer_bars + request.bars > limit:
        raise BadValue("bars", request.bars, f"at most {limit - primer_bars} after a "
                       f"{primer_bars}-bar primer")
    check_edits(request.then, request.bars, primer_bars)


def _edit_spec(request: BeatRequest, edit: Edit, pattern: Pattern, primer_steps: int,
               follow: Rhythm | None = None) -> GenerationSpec:
    """One edit of a recipe: vary `pattern` (same length; the user's primer steps stay as
    they are), write one part of it new around the parts it keeps (same length; the primer
    steps stay whole), or continue it by EXTEND_BARS (past the material it follows, if
    any). Every edit keeps the request's knobs and material."""
    primer = pattern.slice(0, primer_steps) if primer_steps else None
    listening = {"busy": request.busy, "loud": request.loud, "follow": follow}
    if edit.action == "vary":
        return GenerationSpec(pattern.steps - primer_steps, request.style,
                              request.temperature, edit.seed, request.fills, primer,
                              guide=pattern, bpm=request.bpm, **listening)
    if edit.action == "new":
        kept = tuple(c for c in range(N_CLASSES) if c not in DRUM_PARTS[edit.part])
        return GenerationSpec(pattern.steps - primer_steps, request.style,
                              request.temperature, edit.seed, request.fills, primer,
                              bpm=request.bpm, keep=pattern, keep_classes=kept, **listening)
    return GenerationSpec(EXTEND_BARS * STEPS_PER_BAR, request.style, request.temperature,
                          edit.seed, request.fills, primer=pattern, bpm=request.bpm,
                          **listening)


def _primer_steps(spec: GenerationSpec) -> int:
    """How many steps of a recipe's beat are the user's primer."""
    return spec.primer.steps if spec.primer is not None else 0


def _remarks(primer: MidiBeat | None, spec: GenerationSpec) -> tuple[str, ...]:
    """What to tell the user about how their primer or material was read."""
    if spec.follow is not None:
        how = ("a hit on each of its notes" if follow_mode(spec.follow) == "all" else
               "kick and snare on its notes, the rest of the kit around them")
        return (f"The drums follow your file's rhythm for its {spec.follow.bars} bars: {how}.",)
    if primer is None or primer.guessed_channel is None:
        return ()
    return (f"No channel-10 or drum track in your MIDI file, so channel "
            f"{primer.guessed_channel} was read as drums.",)


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
