"""Directing the drummer through requests: redo one part (`then=new:PART:SEED`), keep a
primer's parts (`keep=`), mute parts (`mute=`); every recipe replays byte for byte."""

import io
from dataclasses import replace

import mido
import pytest

from engine.beat.picture import draw_grid
from engine.beat.request import BeatRequest, Edit
from engine.beat.syntax import parse_request, replay_text
from engine.errors import BadInput, BadValue
from engine.music.drums import DRUM_PARTS, KICK, SNARE, part_classes
from engine.music.midi_io import read_midi
from tests.midi_fixtures import drum_file


def _notes_by_pitch(midi: bytes, pitches: set[int]) -> list[tuple[int, int, int]]:
    """(tick, pitch, velocity) of every note-on of these pitches, in order."""
    track = mido.MidiFile(file=io.BytesIO(midi)).tracks[1]
    tick, out = 0, []
    for message in track:
        tick += message.time
        if message.type == "note_on" and message.velocity and message.note in pitches:
            out.append((tick, message.note, message.velocity))
    return out


@pytest.mark.parametrize("part", list(DRUM_PARTS))
def test_new_part_keeps_the_other_drums_notes_in_the_midi(maker, part):
    request = BeatRequest(bars=4, style="funk", seed=21)
    before = maker.make(request)
    after = maker.make(replace(request, then=(Edit("new", 5, part),)))

    kept = {before.kit.pitches[c] for c in range(9) if c not in DRUM_PARTS[part]}
    assert _notes_by_pitch(after.midi, kept) == _notes_by_pitch(before.midi, kept)
    assert after.pattern.steps == before.pattern.steps


def test_new_recipes_replay_byte_for_byte_from_their_replay_line(maker):
    first = maker.make(parse_request("bars=2 style=rock seed=8 then=vary:3,new:hats:4,"
                                     "extend:5,new:kick:6 mute=cymbals"))
    line = replay_text(first.request.params())
    again = maker.make(parse_request(line))

    assert "then=vary:3,new:hats:4,extend:5,new:kick:6" in line and "mute=cymbals" in line
    assert again.midi == first.midi and again.image == first.image
    assert again.audio.data == first.audio.data


def test_muted_parts_leave_the_midi_and_the_picture_and_unmuting_brings_them_back(maker):
    request = BeatRequest(bars=4, style="rock", seed=3)
    full = maker.make(request)
    muted = maker.make(replace(request, mute=("toms", "cymbals")))
    gone = part_classes(("toms", "cymbals"))

    assert not read_midi(muted.midi).pattern.onsets[:, list(gone)].any()
    assert muted.image == draw_grid(full.pattern.without(gone).on_grid())
    assert muted.audio.data != full.audio.data
    assert maker.make(request).midi == full.midi


def test_keep_holds_a_primers_kick_and_snare_and_writes_the_rest_around_them(maker):
    hits = [(b / 2, 36 if b % 4 == 0 else 38 if b % 4 == 2 else 42, 100) for b in range(16)]
    primer = drum_file(hits)
    request = BeatRequest(bars=2, style="funk", seed=12, primer=primer, keep=("kick", "snare"))

    beat = maker.make(request)
    read = read_midi(primer).pattern
    kept = [KICK, SNARE]

    assert beat.pattern.steps == read.steps + 2 * 16
    head = beat.pattern.slice(0, read.steps)
    assert head.velocity[:, kept].tobytes() == read.velocity[:, kept].tobytes()
    assert head.offset[:, kept].tobytes() == read.offset[:, kept].tobytes()
    assert maker.make(request).midi == beat.midi


@pytest.mark.parametrize(("text", "error", "words"), [
    ("mute=bells", BadValue, "kick, snare, hats, toms, cymbals"),
    ("mute=kick,snare,hats,toms,cymbals", BadInput, "nothing to hear"),
    ("keep=kick", BadInput, "primer"),
    ("then=new:bells:4", BadValue, "kick, snare, hats, toms, cymbals"),
    ("then=vary:hats:4", BadValue, "edits like"),
    ("stems=maybe", BadValue, "yes or no"),
])
def test_bad_part_settings_give_one_line_saying_what_to_do(maker, text, error, words):
    with pytest.raises(error) as refused:
        maker.make(parse_request(text))
    assert words in str(refused.value) and "\n" not in str(refused.value)


def test_new_part_of_a_continued_beat_keeps_the_users_primer_bars(maker):
    hits = [(b / 2, 36 if b % 4 == 0 else 38 if b % 4 == 2 else 42, 100) for b in range(16)]
    request = BeatRequest(bars=2, style="rock", seed=6, primer=drum_file(hits))
    before = maker.make(request)
    after = maker.make(replace(request, then=(Edit("new", 2, "hats"),)))

    primer_steps = read_midi(drum_file(hits)).pattern.steps
    assert after.pattern.slice(0, primer_steps) == before.pattern.slice(0, primer_steps)
