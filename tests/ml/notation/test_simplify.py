"""The simplified piano arrangement: the tune on top, one bass per chord below."""
from __future__ import annotations

from ml.notation.harmony import add_chord_symbols, apply_keys
from ml.notation.simplify import simplify_piano
from tests.ml.notation.scoredocs import all_notes, doc_from_bars, melody


def busy_piece():
    # Melody doubled in octaves over a full, moving left hand.
    tune = [[(0, 1, 72), (1, 1, 74), (2, 1, 76), (3, 1, 79)], [(0, 2, 76), (2, 2, 72)], [(0, 1, 77), (1, 1, 76), (2, 2, 72)], [(0, 2, 74), (2, 2, 71)]]
    right = [[(o, d, [p, p - 12]) for o, d, p in bar] for bar in tune]
    left = [[(0, 2, [36, 43]), (2, 2, [48, 52])], [(0, 4, [45, 52, 57])], [(0, 1, 41), (1, 3, [48, 53, 57])], [(0, 4, [43, 50, 55])]]
    doc = doc_from_bars(right, left)
    apply_keys(doc)
    add_chord_symbols(doc)
    return doc


def test_simplified_piano_keeps_the_melody_and_plays_one_bass_per_bar():
    doc = busy_piece()
    simple = simplify_piano(doc)
    assert melody(simple, staff=0) == ["C5", "D5", "E5", "G5", "E5", "C5", "F5", "E5", "C5", "D5", "B4"]
    left_events = [[e for v in pm.voices if v.staff == 1 for e in v.events] for pm in simple.parts[0].measures]
    assert [len(bar) for bar in left_events] == [1, 1, 1, 1]
    assert melody(simple, staff=1) == ["C3 G3", "A2 E3", "F2 C3", "G2 D3"]
    assert [s.clef for s in simple.parts[0].staves] == ["treble", "bass"]


def test_simplified_piano_keeps_the_measures_and_never_reuses_an_id():
    doc = busy_piece()
    simple = simplify_piano(doc)
    assert [(m.time, m.key_fifths, m.length, [c.symbol for c in m.chords]) for m in simple.measures] == [
        (m.time, m.key_fifths, m.length, [c.symbol for c in m.chords]) for m in doc.measures
    ]
    old_ids = {n.id for n in all_notes(doc)} | {e.id for pm in doc.parts[0].measures for v in pm.voices for e in v.events}
    new_ids = [n.id for n in all_notes(simple)] + [e.id for pm in simple.parts[0].measures for v in pm.voices for e in v.events]
    assert len(new_ids) == len(set(new_ids)) and not old_ids & set(new_ids)
    assert simple.next_id > doc.next_id
    for measure, pm in zip(simple.measures, simple.parts[0].measures, strict=True):
        for voice in pm.voices:
            assert sum(e.duration for e in voice.events) <= measure.length


def test_a_chord_change_inside_a_bar_gets_its_own_bass_note_and_held_notes_are_tied_over():
    right = [[(0, 2, 76), (2, 4, 74)], [(2, 2, 79)]]  # D held across the bar line
    left = [[(0, 2, [48, 52, 55]), (2, 2, [43, 47, 50])], [(0, 4, [43, 47, 50])]]
    doc = doc_from_bars(right, left)
    apply_keys(doc)
    add_chord_symbols(doc)
    simple = simplify_piano(doc)
    assert [[c.symbol for c in m.chords] for m in simple.measures] == [["C", "G"], []]
    assert melody(simple, staff=1) == ["C3 G3", "G2 D3", "G2 D3"], "the G chord is restated in the new bar"
    held = [e for pm in simple.parts[0].measures for v in pm.voices if v.staff == 0 for e in v.events]
    assert [(str(e.duration), e.notes[0].tie) for e in held] == [("2", False), ("2", True), ("2", False), ("2", False)]
