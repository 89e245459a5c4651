"""Render performed notes to stereo audio with FluidSynth, in process.

How a render works:

* Each FluidSynth synth is used by one thread at a time: the renderer keeps a pool of them
  and makes a new one only when every synth is busy, so two worker threads never share one.
  The first synth loads every kit's soundfont at start-up; a later one loads each on first use.
* Notes start on the exact frame of their tick (480 ticks per beat). FluidSynth starts voices
  only on its 64-frame block edges, so each event is sent half a block early: hits land within
  32 frames (0.73 ms) of their exact time, never late on average.
* The audio is exactly `steps` 16th notes long, so it loops cleanly at the bar line, and it
  sounds as it would in the middle of an endless loop: the last hits ring out over the start.
  This is a wrap-around render done as a pre-roll: we render PREROLL_S seconds first that
  replay the loop's last notes, then keep only the loop. Compared with rendering a tail and
  mixing it back onto the start, the synth hears the notes in their real order, so chokes
  (a closed hat cutting an open one, an 808 kick cutting the last) also hold across the seam,
  and the start continues the end.
* Peaks are normalised to PEAK_DBFS. FluidSynth writes floats, so nothing clips on the way.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import queue
from pathlib import Path

import numpy as np

from engine.errors import RenderError
from engine.music.drums import DRUM_CHANNEL, STEPS_PER_BEAT, TICKS_PER_BEAT
from engine.sound.kits import Kit

with contextlib.redirect_stdout(io.StringIO()):
    import fluidsynth  # prints where it found the library when CI is set
from engine.music.notes import Note

SAMPLE_RATE = 44100
"""Output sample rate, Hz."""
PREROLL_S = 2.0
"""Seconds of the loop's end replayed before its start, so its last hits ring over the start."""
PEAK_DBFS = -1.0
"""Level of the loudest sample after normalising."""
MAX_GAIN = 100.0
"""Normalising never boosts more than this (40 dB), so near-silence stays quiet."""
SYNTH_GAIN = 0.2
"""FluidSynth master gain; output is float, so this only sets the level before normalising."""
BLOCK_FRAMES = 64
"""FluidSynth renders in blocks of this many frames and starts voices on their edges."""
FULL_SCALE = 32767
FLUID_FAILED = -1

POLYPHONY = 256
"""Voices one synth may play at once."""
SCRUB_NOTES_PER_BLOCK = 16
"""Scrub notes started per block: FluidSynth's event queue takes only so many per block."""
SCRUB_BLOCKS = 2
"""Blocks of silence after the scrub voices are cut (see _Synth._scrub)."""
_SETTINGS = {
    "synth.reverb.active": 0,  # dry drums; reverb and chorus also cost render time
    "synth.chorus.active": 0,
    "synth.polyphony": POLYPHONY,
}
_write_float = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
    ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
)(("fluid_synth_write_float", fluidsynth._fl))
"""fluid_synth_write_float(synth, frames, left, offset, step, right, offset, step): pyfluidsynth
only wraps the 16-bit writer, which clips and dithers and is five times slower."""


class Renderer:
    """Renders notes with the kits' soundfonts; `render` is safe to call from several threads.

    Args:
        kits: the kits it may be asked to play. Their soundfonts are loaded now; one that is
            missing or unreadable raises RenderError when a render asks for it, not here.
    """

    def __init__(self, kits: dict[str, Kit]) -> None:
        self.kits = kits
        self._idle: queue.SimpleQueue[_Synth] = queue.SimpleQueue()
        self._idle.put(self._preloaded())

    def render(self, notes: list[Note], bpm: float, steps: int, kit: Kit) -> np.ndarray:
        """Play notes into a loop of exactly `steps` 16th notes.

        Args:
            notes: the performed notes, ticks at TICKS_PER_BEAT.
            bpm: tempo, beats per minute.
            steps: loop length in 16th-note steps.
            kit: the kit to play them with.

        Returns:
            int16 array of shape (frames, 2) at SAMPLE_RATE, frames = steps 16ths exactly.

        Raises:
            RenderError: the soundfont is missing or unreadable, or FluidSynth failed.
        """
        return normalise(self.render_float(notes, bpm, steps, kit))

    def render_float(self, notes: list[Note], bpm: float, steps: int, kit: Kit) -> np.ndarray:
        """Play notes as `render` does, but return the synth's float32 (frames, 2) output
        before normalising (what stems are split from, so they share the mix's gain).

        Raises:
            RenderError: as `render`.
        """
        frames = loop_frames(steps, bpm)
        preroll = round(PREROLL_S * SAMPLE_RATE)
        synth = self._checkout()
        try:
            audio = synth.play(kit, _events(notes, bpm, frames, preroll), preroll + frames)
        finally:
            self._idle.put(synth)
        return audio[preroll:]

    def close(self) -> None:
        """Free every idle synth (call when no render is running)."""
        while not self._idle.empty():
            self._idle.get_nowait().close()

    def _preloaded(self) -> _Synth:
        synth = _Synth()
        for kit in self.kits.values():
            with contextlib.suppress(RenderError):  # raised again by a render that needs it
                synth.load(kit)
        return synth

    def _checkout(self) -> _Synth:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return _Synth()


def loop_frames(steps: int, bpm: float) -> int:
    """Frames in `steps` 16th notes at `bpm`."""
    return round(steps / STEPS_PER_BEAT * 60.0 / bpm * SAMPLE_RATE)


def tick_frame(tick: int, bpm: float) -> int:
    """The frame a tick falls on."""
    return round(tick / TICKS_PER_BEAT * 60.0 / bpm * SAMPLE_RATE)


def _events(notes: list[Note], bpm: float, frames: int, preroll: int
            ) -> list[tuple[int, int, int, int]]:
    """(frame, on, pitch, velocity) per note-on and note-off, note-offs first on a tie.

    Frames count from the start of the pre-roll. Each note plays in the loop and, where it
    falls in the pre-roll, in the copies of the loop before it; a note pushed past the loop's
    end (by humanize) wraps to its start.
    """
    events = []
    copies = -(-preroll // frames)
    for note in notes:
        start = tick_frame(note.tick, bpm) % frames
        length = tick_frame(note.tick + note.duration, bpm) - tick_frame(note.tick, bpm)
        for copy in range(copies + 1):
            frame = preroll + start - copy * frames
            if frame >= 0:
                events += [(frame, 1, note.pitch, note.velocity),
                           (frame + length, 0, note.pitch, 0)]
    return sorted(events)


def normalise(audio: np.ndarray) -> np.ndarray:
    """Scale float audio so its peak sits at PEAK_DBFS; return int16."""
    return to_int16(audio, peak_gain(audio))


def peak_gain(audio: np.ndarray) -> float:
    """The gain that puts float audio's peak at PEAK_DBFS (at most MAX_GAIN; 0 for silence)."""
    peak = float(np.abs(audio).max(initial=0.0))
    return min(10 ** (PEAK_DBFS / 20) / peak, MAX_GAIN) if peak > 0 else 0.0


def to_int16(audio: np.ndarray, gain: float) -> np.ndarray:
    """Float audio times `gain`, as int16 samples (the caller keeps it within full scale)."""
    return np.round(audio * (gain * FULL_SCALE)).astype(np.int16)


class _Synth:
    """One FluidSynth instance with the soundfonts it has loaded; one thread at a time."""

    def __init__(self) -> None:
        self.fs = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(SAMPLE_RATE),
                                   channels=16, **_SETTINGS)
        self.sfids: dict[Path, int] = {}
        self.written = 0

    def play(self, kit: Kit, events: list[tuple[int, int, int, int]], frames: int) -> np.ndarray:
        """Render events into a float32 (frames, 2) buffer, from a clean synth."""
        self._reset(kit)
        out = np.zeros((frames, 2), np.float32)
        pos = 0
        for frame, on, pitch, velocity in events:
            send_at = min(max(frame - BLOCK_FRAMES // 2, pos), frames)
            pos = self._write(out, pos, send_at)
            self._send(on, pitch, velocity)
        self._write(out, pos, frames)
        return out

    def close(self) -> None:
        """Free the synth."""
        self.fs.delete()

    def _reset(self, kit: Kit) -> None:
        """Silence everything, drop the last render's half-used block, select the kit.

        system_reset alone leaves drum voices ringing; all_sounds_off cuts them at once.
        """
        self.fs.system_reset()
        self.fs.all_sounds_off(DRUM_CHANNEL)
        self._write(np.zeros((BLOCK_FRAMES, 2), np.float32), 0, -self.written % BLOCK_FRAMES)
        sfid = self.load(kit)
        if self.fs.program_select(DRUM_CHANNEL, sfid, kit.bank, kit.preset) == FLUID_FAILED:
            raise RenderError(f"kit `{kit.name}` has no preset {kit.bank}:{kit.preset} "
                              f"in {kit.soundfont.name}")
        self._scrub(kit)

    def _scrub(self, kit: Kit) -> None:
        """Leave every voice of the synth in the same state, whatever it played before.

        FluidSynth reuses its voices, and a voice's first block ramps from the level the
        voice last played at: without this, a hit sounds a little different in its first
        1.5 ms depending on the last render. Playing one note on every voice for a block,
        then silencing them, makes each render depend on its own notes alone (and so the
        same beat renders to the same samples, byte for byte).
        """
        pitch = kit.pitches[0]
        scratch = np.zeros((SCRUB_BLOCKS * BLOCK_FRAMES, 2), np.float32)
        for _ in range(POLYPHONY // SCRUB_NOTES_PER_BLOCK):
            for _ in range(SCRUB_NOTES_PER_BLOCK):
                self.fs.noteon(DRUM_CHANNEL, pitch, 1)
            self._write(scratch, 0, BLOCK_FRAMES)
        self.fs.all_sounds_off(DRUM_CHANNEL)
        self._write(scratch, 0, len(scratch))

    def load(self, kit: Kit) -> int:
        """Load a kit's soundfont once; return its FluidSynth id."""
        path = kit.soundfont
        if path not in self.sfids:
            if not path.is_file():
                raise RenderError(f"the soundfont of kit `{kit.name}` is missing ({path.name})")
            sfid = self.fs.sfload(str(path))
            if sfid == FLUID_FAILED:
                raise RenderError(f"the soundfont of kit `{kit.name}` is unreadable "
                                  f"({path.name})")
            self.sfids[path] = sfid
        return self.sfids[path]

    def _write(self, out: np.ndarray, start: int, stop: int) -> int:
        """Render frames [start, stop) into `out`; return stop."""
        if stop > start:
            view = out[start:stop]
            pointer = view.ctypes.data
            if _write_float(self.fs.synth, stop - start, pointer, 0, 2, pointer, 1, 2) != 0:
                raise RenderError("FluidSynth failed while rendering")
            self.written += stop - start
        return max(start, stop)

    def _send(self, on: int, pitch: int, velocity: int) -> None:
        if on:
            result = self.fs.noteon(DRUM_CHANNEL, pitch, velocity)
        else:
            result = self.fs.noteoff(DRUM_CHANNEL, pitch)
        if on and result == FLUID_FAILED:
            raise RenderError(f"FluidSynth could not play pitch {pitch}")
