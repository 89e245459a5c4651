"""Small real MIDI files built by the tests themselves."""

from __future__ import annotations

import io

import mido


def drum_file(hits: list[tuple[float, int, int]], ticks_per_beat: int = 480, file_type: int = 1,
              tempos: list[tuple[float, float]] = ((0.0, 120.0),), channel: int = 9,
              track_name: str = "", meter: tuple[int, int] | None = (4, 4),
              length_beats: float | None = None) -> bytes:
    """Build a drum file.

    Args:
        hits: (beat position, pitch, velocity).
        ticks_per_beat: resolution.
        file_type: 0 (one track) or 1 (tempo track + drum track).
        tempos: (beat position, bpm) changes.
        channel: MIDI channel of the notes (9 is GM drums).
        track_name: name of the drum track.
        meter: time signature, or None for none.
        length_beats: where the tracks end (default: after the last hit).
    """
    def tick(beat: float) -> int:
        return round(beat * ticks_per_beat)
    meta = [(tick(b), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
            for b, bpm in tempos]
    if meter:
        meta.append((0, mido.MetaMessage("time_signature", numerator=meter[0],
                                         denominator=meter[1])))
    notes = []
    for beat, pitch, velocity in hits:
        notes.append((tick(beat), mido.Message("note_on", channel=channel, note=pitch,
                                               velocity=velocity)))
        notes.append((tick(beat) + ticks_per_beat // 8,
                      mido.Message("note_off", channel=channel, note=pitch)))
    end = tick(length_beats) if length_beats is not None else None
    midi = mido.MidiFile(type=file_type, ticks_per_beat=ticks_per_beat)
    if file_type == 0:
        midi.tracks.append(_track(meta + notes, end))
    else:
        midi.tracks.append(_track(meta, end))
        named = [(0, mido.MetaMessage("track_name", name=track_name))] if track_name else []
        midi.tracks.append(_track(named + notes, end))
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _track(events: list, end: int | None) -> mido.MidiTrack:
    track = mido.MidiTrack()
    now = 0
    for at, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=max(0, (end or now) - now)))
    return track
