"""The notes the piano roll draws: where each starts and how long it lasts, in quarter notes from the top."""
from __future__ import annotations

from fractions import Fraction as F

from editor.piano_roll import GRACE_LENGTH, piano_roll_data
from ml.notation.score import Event, Note, Part, PartMeasure, Staff, Voice
from tests.ml.notation.test_edit import make_doc


def test_starts_count_from_each_bars_start_across_a_pickup_and_a_metre_change():
    doc = make_doc([[(0, 1, [67])], [(0, F(1, 3), [60]), (F(1, 3), F(1, 3), [62]), (F(2, 3), F(1, 3), [64])],
                    [(F(3, 2), F(3, 2), [72])]])
    doc.measures[0].length = F(1)  # a one-beat pickup
    doc.measures[2].time, doc.measures[2].length = (3, 4), F(3)
    doc.measures[2].tempo = 60.0
    roll = piano_roll_data(doc)
    assert [(n[4], n[5], n[6]) for n in roll["notes"]] == [
        (67, 0.0, 1.0), (60, 1.0, 0.3333), (62, 1.3333, 0.3333), (64, 1.6667, 0.3333), (72, 6.5, 1.5)]
    assert roll["bars"] == [0.0, 1.0, 5.0]
    assert roll["end"] == 8.0
    assert roll["tempi"] == [100.0, 100.0, 60.0]


def test_every_note_of_a_chord_on_every_staff_with_its_ids_part_and_spelling():
    doc = make_doc([[(0, 2, [60, 64, 67])]], lower=[[(0, 4, [36])]])
    roll = piano_roll_data(doc)
    chord = doc.parts[0].measures[0].voices[0].events[0]
    assert [n[:5] for n in roll["notes"][:3]] == [[chord.id, note.id, 0, 0, note.pitch] for note in chord.notes]
    assert roll["notes"][3][3] == 1 and roll["notes"][3][7] == "C2"  # the bass staff
    assert roll["parts"] == [{"id": "p1", "name": "Piano", "drum": False}]


def test_rests_are_left_out_and_a_grace_note_is_a_sliver_before_its_note():
    doc = make_doc([[(0, 1, []), (1, 1, [62])]])
    voice = doc.parts[0].measures[0].voices[0]
    voice.events.insert(1, Event(doc.new_id("e"), F(1), F(1, 2), [Note(doc.new_id("n"), 61, "D", -1, 4)], grace=True))
    doc.parts.append(Part("p2", "Drums", "drums", 0, True, [Staff("percussion")],
                          [PartMeasure([Voice(0, 1, [Event(doc.new_id("e"), F(0), F(1), [Note(doc.new_id("n"), 38, "C", 0, 5)])])])]))
    roll = piano_roll_data(doc)
    assert [(n[4], n[5], n[6], n[7], n[8]) for n in roll["notes"]] == [
        (61, 1 - float(GRACE_LENGTH), float(GRACE_LENGTH), "D♭4", 1), (62, 1.0, 1.0, "D4", 0), (38, 0.0, 1.0, "C5", 0)]
    assert roll["notes"][2][2] == 1  # the drum part's index
