"""The canonical score: what the engraver builds from notes, and its stored JSON form."""
from fractions import Fraction

from ml.notation.engrave import engrave
from ml.notation.score import ScoreDoc
from ml.notes import Note, Track, Transcription


def _piano(*notes: Note) -> Transcription:
    return Transcription(tracks=[Track("Piano", "piano", 0, False, list(notes))], duration=4.0)


def test_a_note_held_over_the_bar_line_becomes_two_tied_events_with_their_own_ids():
    # At 120 bpm a 4/4 bar lasts 2 s: this C sounds from beat 4 of bar 1 into bar 2.
    doc = engrave(_piano(Note(60, 0.0, 0.5), Note(72, 1.5, 2.5)), title="Tie", tempo_bpm=120)
    treble = [m.voices[0] for m in doc.parts[0].measures]
    first, second = treble[0].events[-1], treble[1].events[0]
    assert (first.offset, first.duration, second.offset, second.duration) == (3, 1, 0, 1)
    assert first.notes[0].tie and not second.notes[0].tie
    assert (first.notes[0].step, first.notes[0].octave) == ("C", 5)
    ids = [n.id for m in doc.parts[0].measures for v in m.voices for e in v.events for n in e.notes]
    assert len(ids) == len(set(ids)) == 3


def test_the_json_form_keeps_every_exact_duration_and_id():
    doc = engrave(_piano(Note(61, 0.0, 1.0), Note(40, 0.25, 0.5)), title="Round trip", tempo_bpm=90)
    data = doc.to_dict()
    again = ScoreDoc.from_dict(data)
    assert again.to_dict() == data
    event = again.parts[0].measures[0].voices[0].events[0]
    assert isinstance(event.duration, Fraction)
    assert again.new_id("n") not in str(data)  # new ids never collide with stored ones


def test_a_piano_part_gets_a_grand_staff():
    doc = engrave(_piano(Note(72, 0.0, 1.0), Note(36, 0.0, 1.0)), title="Grand staff", tempo_bpm=120)
    assert [s.clef for s in doc.parts[0].staves] == ["treble", "bass"]
    voices = doc.parts[0].measures[0].voices
    assert [(v.staff, [n.pitch for e in v.events for n in e.notes]) for v in voices] == [(0, [72]), (1, [36])]
