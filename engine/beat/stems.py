"""A beat's stems for a producer: one audio file per drum that plays and one MIDI file with a
named track per drum, in one zip.

The audio stems come from engine.sound.stems (same kit, same levels as the mix, so they add
up to it); the MIDI stems are the beat's own notes, split by drum class.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from engine.music.drums import CLASSES
from engine.music.midi_io import write_tracks
from engine.music.notes import Note, perform
from engine.music.pattern import Pattern
from engine.sound.encode import MAX_AUDIO_BYTES, EncodedAudio
from engine.sound.kits import Kit

STEMS_MIDI = "stems.mid"
"""The name of the multi-track MIDI file inside the zip."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every member's date in the zip, so equal stems make an equal zip, byte for byte."""


@dataclass(frozen=True)
class Stems:
    """The stems of one beat.

    Attributes:
        zip: the zip file's bytes.
        files: the names inside it, in order (audio stems, then STEMS_MIDI).
        note: one line saying why the audio stems were left out, or None.
        residual_dbfs: peak of sum(audio stems) - mix, in dBFS; None without audio stems.
        midi: the multi-track MIDI file alone (STEMS_MIDI), for a smaller zip.
    """

    zip: bytes
    files: tuple[str, ...]
    note: str | None = None
    residual_dbfs: float | None = None
    midi: bytes = b""

    def midi_only(self) -> bytes:
        """A zip of the MIDI stems alone, for where the audio stems don't fit."""
        return _zip({STEMS_MIDI: self.midi})


def stem_notes(pattern: Pattern, kit: Kit, swing: float, groove: float,
               humanize: float) -> dict[int, list[Note]]:
    """The performed notes of each drum class that plays, by class. A class is performed
    apart from the others (as `perform` already treats it), so these are the mix's notes."""
    return {cls: perform(pattern.only([cls]), kit.pitches, swing, groove, humanize)
            for cls in pattern.playing()}


def stems_midi(notes: dict[int, list[Note]], bpm: float, steps: int) -> bytes:
    """A type-1 MIDI file with the tempo and one channel-10 track per class, named as the
    class (`kick`, `closed_hat`, ...)."""
    return write_tracks({CLASSES[cls]: class_notes for cls, class_notes in notes.items()},
                        bpm, steps)


def pack_stems(midi: bytes, audio: dict[int, EncodedAudio], residual: float | None = None,
               note: str | None = None, limit: int = MAX_AUDIO_BYTES) -> Stems:
    """Zip the audio stems (named by class) and the MIDI stems. A zip over `limit` bytes
    holds the MIDI stems alone, with a line saying so.

    Args:
        midi: the multi-track MIDI file.
        audio: the encoded stem of each class, by class.
        residual: the stems' residual against the mix, dBFS.
        note: why there is no audio, when there is none.
        limit: the largest zip that can be posted, bytes.
    """
    members = {f"{CLASSES[cls]}.{file.format}": file.data for cls, file in audio.items()}
    data = _zip({**members, STEMS_MIDI: midi})
    if len(data) <= limit:
        return Stems(data, (*members, STEMS_MIDI), note, residual if audio else None, midi)
    too_big = (f"The audio stems come to {len(data) / 2**20:.1f} MB, over the "
               f"{limit / 2**20:.0f} MB upload limit, so the zip holds the MIDI stems alone; "
               "fewer bars or format=mp3 make them fit.")
    return Stems(_zip({STEMS_MIDI: midi}), (STEMS_MIDI,), too_big, midi=midi)


def _zip(members: dict[str, bytes]) -> bytes:
    """A zip of named files with fixed dates, stored as they are: MP3 and Ogg are already
    compressed, and deflating WAV stems took longer than rendering them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data)
    return buffer.getvalue()
