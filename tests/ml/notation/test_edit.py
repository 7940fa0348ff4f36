"""Score edits as a notation program makes them: each op's result, its error, and
(property) that no sequence of edits over-fills a bar or repeats an id."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.notation.edit import EditError, apply_edit, copy_fragment, layout_problems, spell
from ml.notation.score import Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice

F = Fraction


def make_doc(bars: list[list[tuple]], *, lower: list[list[tuple]] | None = None, time=(4, 4), fifths=0) -> ScoreDoc:
    """A piano part: each bar a list of (offset, duration, [pitches]); lower = bass staff."""
    staves = [bars] + ([lower] if lower is not None else [])
    count = max(len(b) for b in staves)
    length = F(4 * time[0], time[1])
    doc = ScoreDoc("test", [Measure(time, fifths, "major", length) for _ in range(count)], [])
    doc.measures[0].tempo = 100.0
    part = Part("p1", "Piano", "piano", 0, False, [Staff("treble"), Staff("bass")][: len(staves)],
                [PartMeasure() for _ in range(count)])
    for staff, staff_bars in enumerate(staves):
        for m in range(count):
            voice = Voice(staff, staff * 4 + 1)
            for offset, duration, pitches in staff_bars[m] if m < len(staff_bars) else []:
                notes = [Note(doc.new_id("n"), p, *spell(p, fifths)) for p in pitches]
                voice.events.append(Event(doc.new_id("e"), F(offset), F(duration), notes))
            part.measures[m].voices.append(voice)
    doc.parts.append(part)
    return doc


def events(doc: ScoreDoc, measure: int = 0, staff: int = 0, part: int = 0) -> list[tuple]:
    """(offset, duration, pitches) of one voice: what a reader sees in that bar."""
    voice = next(v for v in doc.parts[part].measures[measure].voices if v.staff == staff)
    return [(e.offset, e.duration, [n.pitch for n in e.notes]) for e in voice.events]


def ev(doc: ScoreDoc, measure: int = 0, index: int = 0, staff: int = 0) -> Event:
    return next(v for v in doc.parts[0].measures[measure].voices if v.staff == staff).events[index]


def name(note: Note) -> str:
    return note.step + {1: "#", -1: "b", 0: "", 2: "##", -2: "bb"}[note.alter] + str(note.octave)


@pytest.fixture
def scale():
    # C D E F | G A B C' in quarters.
    return make_doc([[(0, 1, [60]), (1, 1, [62]), (2, 1, [64]), (3, 1, [65])],
                     [(0, 1, [67]), (1, 1, [69]), (2, 1, [71]), (3, 1, [72])]])


def test_raise_a_note_a_semitone_and_an_octave(scale):
    note = ev(scale, 0, 0).notes[0]
    apply_edit(scale, "transpose", {"ids": [note.id], "semitones": 1})
    assert (note.pitch, name(note)) == (61, "C#4")
    apply_edit(scale, "transpose", {"ids": [note.id], "semitones": -12})
    assert (note.pitch, name(note)) == (49, "C#3")
    assert events(scale)[1][2] == [62]  # neighbours untouched


def test_transpose_spells_in_the_key():
    doc = make_doc([[(0, 4, [65])]], fifths=-1)  # F in F major
    apply_edit(doc, "transpose", {"ids": [ev(doc).id], "semitones": 5})
    assert name(ev(doc).notes[0]) == "Bb4"


def test_transpose_whole_score_moves_key_and_chords(scale):
    apply_edit(scale, "set_chord_symbol", {"measure": 0, "offset": 0, "symbol": "C"})
    apply_edit(scale, "transpose", {"semitones": 2})
    assert scale.measures[0].key_fifths == 2 and scale.measures[0].chords[0].symbol == "D"
    assert [name(e.notes[0]) for e in scale.parts[0].measures[0].voices[0].events] == ["D4", "E4", "F#4", "G4"]


def test_transpose_refuses_beyond_range(scale):
    with pytest.raises(EditError, match="between -48 and 48"):
        apply_edit(scale, "transpose", {"ids": [ev(scale).id], "semitones": 72})
    apply_edit(scale, "transpose", {"ids": [ev(scale).id], "semitones": 48})
    with pytest.raises(EditError, match="beyond the range"):
        apply_edit(scale, "transpose", {"ids": [ev(scale).id], "semitones": 48})
    assert ev(scale).notes[0].pitch == 108  # nothing changed


def test_set_pitch_by_drag(scale):
    apply_edit(scale, "set_pitch", {"ids": [ev(scale).notes[0].id], "pitch": 70})
    assert name(ev(scale).notes[0]) == "Bb4"


def test_drag_up_the_staff_lands_on_the_key_note():
    doc = make_doc([[(0, 4, [64])]], fifths=-1)  # E4 in F major: four steps up is Bb4
    note = ev(doc).notes[0]
    apply_edit(doc, "shift_steps", {"ids": [note.id], "steps": 4})
    assert (note.pitch, name(note)) == (70, "Bb4")
    apply_edit(doc, "shift_steps", {"ids": [note.id], "steps": -7})
    assert (note.pitch, name(note)) == (58, "Bb3")


def test_longer_duration_overwrites_what_follows(scale):
    apply_edit(scale, "set_duration", {"ids": [ev(scale, 0, 1).id], "duration": 2})
    assert events(scale) == [(0, 1, [60]), (1, 2, [62]), (3, 1, [65])]


def test_shorter_duration_leaves_a_rest(scale):
    apply_edit(scale, "set_duration", {"ids": [ev(scale, 0, 0).id], "duration": "1/2"})
    assert events(scale)[:2] == [(0, F(1, 2), [60]), (1, 1, [62])]


def test_duration_past_the_bar_line_ties_into_the_next_bar(scale):
    last = ev(scale, 0, 3)
    apply_edit(scale, "set_duration", {"ids": [last.id], "duration": 2})
    assert events(scale)[-1] == (3, 1, [65]) and last.notes[0].tie
    assert events(scale, 1)[0] == (0, 1, [65]) and events(scale, 1)[1] == (1, 1, [69])


def test_duration_refuses_unwritable_values(scale):
    with pytest.raises(EditError, match="cannot be written"):
        apply_edit(scale, "set_duration", {"ids": [ev(scale).id], "duration": "1/7"})
    with pytest.raises(EditError, match="longer than nothing"):
        apply_edit(scale, "set_duration", {"ids": [ev(scale).id], "duration": 0})


def test_delete_leaves_a_rest_and_a_deleted_rest_goes(scale):
    target = ev(scale, 0, 1)
    apply_edit(scale, "delete", {"ids": [target.id]})
    assert events(scale)[1] == (1, 1, [])
    apply_edit(scale, "delete", {"ids": [target.id]})
    assert [e[0] for e in events(scale)] == [0, 2, 3]


def test_delete_one_note_of_a_chord():
    doc = make_doc([[(0, 4, [60, 64, 67])]])
    apply_edit(doc, "delete", {"ids": [ev(doc).notes[1].id]})
    assert events(doc) == [(0, 4, [60, 67])]


def test_insert_note_by_letter_near_the_previous_note_in_the_key():
    doc = make_doc([[(0, 1, [71])]], fifths=2)  # B4 in D major
    outcome = apply_edit(doc, "insert_note", {"part": "p1", "staff": 0, "measure": 0, "offset": 1,
                                              "letter": "c", "duration": 1})
    new = ev(doc, 0, 1)
    assert (new.id, name(new.notes[0])) == (outcome.selection[0], "C#5")
    assert outcome.cursor["offset"] == "2"


def test_insert_note_overwrites_and_adds_to_chord(scale):
    apply_edit(scale, "insert_note", {"part": "p1", "measure": 0, "offset": 0, "letter": "A", "duration": 2})
    assert events(scale)[:2] == [(0, 2, [69]), (2, 1, [64])]  # A4: nearest the middle of the staff
    apply_edit(scale, "insert_note", {"part": "p1", "measure": 0, "offset": 0, "letter": "C", "duration": 2,
                                      "chord": True})
    assert events(scale)[0] == (0, 2, [69, 72])


def test_insert_rest_and_bad_letter(scale):
    apply_edit(scale, "insert_rest", {"part": "p1", "measure": 1, "offset": "1/2", "duration": "1/2"})
    assert events(scale, 1)[:3] == [(0, F(1, 2), [67]), (F(1, 2), F(1, 2), []), (1, 1, [69])]
    with pytest.raises(EditError, match="by letter"):
        apply_edit(scale, "insert_note", {"part": "p1", "measure": 0, "offset": 0, "letter": "H", "duration": 1})
    with pytest.raises(EditError, match="no part"):
        apply_edit(scale, "insert_rest", {"part": "p9", "measure": 0, "offset": 0, "duration": 1})
    with pytest.raises(EditError, match="outside its bar"):
        apply_edit(scale, "insert_rest", {"part": "p1", "measure": 0, "offset": 4, "duration": 1})


def test_move_in_time_across_the_bar_line(scale):
    moved = ev(scale, 0, 0)
    apply_edit(scale, "move", {"ids": [moved.id], "delta": 4})
    assert events(scale)[0] == (0, 1, [])  or events(scale)[0][0] == 1
    assert events(scale, 1)[0] == (0, 1, [60])
    with pytest.raises(EditError, match="outside the score"):
        apply_edit(scale, "move", {"ids": [moved.id], "delta": 8})


def test_copy_and_paste_a_bar_into_another_part(scale):
    ids = [e.id for e in scale.parts[0].measures[0].voices[0].events]
    fragment = copy_fragment(scale, ids)
    scale.parts.append(Part("p2", "Guitar", "guitar", 24, False, [Staff("treble-8vb")],
                            [PartMeasure([Voice(0, 1)]) for _ in scale.measures]))
    outcome = apply_edit(scale, "paste", {"fragment": fragment, "part": "p2", "measure": 1, "offset": 0})
    assert events(scale, 1, part=1) == events(scale, 0)
    assert len(outcome.selection) == 4 and not layout_problems(scale)
    with pytest.raises(EditError, match="clipboard is empty"):
        apply_edit(scale, "paste", {"fragment": {}, "part": "p2", "measure": 0, "offset": 0})


def test_paste_across_the_bar_line_ties(scale):
    fragment = copy_fragment(scale, [ev(scale, 0, 0).id])
    fragment["events"][0]["duration"] = "2"
    apply_edit(scale, "paste", {"fragment": fragment, "part": "p1", "measure": 0, "offset": 3})
    assert events(scale)[-1] == (3, 1, [60]) and ev(scale, 0, 3).notes[0].tie
    assert events(scale, 1)[0] == (0, 1, [60])


def test_marks_dynamics_articulations_ties(scale):
    a, b = ev(scale, 0, 0), ev(scale, 0, 1)
    apply_edit(scale, "set_dynamic", {"ids": [a.id], "dynamic": "mf"})
    apply_edit(scale, "set_articulation", {"ids": [a.id, b.id], "articulation": "staccato"})
    assert a.dynamic == "mf" and a.articulations == ["staccato"] == b.articulations
    apply_edit(scale, "set_articulation", {"ids": [a.id, b.id], "articulation": "staccato"})
    assert a.articulations == []
    with pytest.raises(EditError, match="not a dynamic"):
        apply_edit(scale, "set_dynamic", {"ids": [a.id], "dynamic": "loud"})
    with pytest.raises(EditError, match="same pitch"):
        apply_edit(scale, "set_tie", {"ids": [a.id]})
    apply_edit(scale, "set_pitch", {"ids": [b.id], "pitch": 60})
    apply_edit(scale, "set_tie", {"ids": [a.id]})
    assert a.notes[0].tie


def test_chord_symbols_add_edit_remove(scale):
    apply_edit(scale, "set_chord_symbol", {"measure": 0, "offset": 2, "symbol": "Am7"})
    apply_edit(scale, "set_chord_symbol", {"measure": 0, "offset": 2, "symbol": "F#m7b5"})
    assert [(c.offset, c.symbol) for c in scale.measures[0].chords] == [(2, "F#m7b5")]
    apply_edit(scale, "set_chord_symbol", {"measure": 0, "offset": 2, "symbol": ""})
    assert scale.measures[0].chords == []
    with pytest.raises(EditError, match="not a chord symbol"):
        apply_edit(scale, "set_chord_symbol", {"measure": 0, "offset": 0, "symbol": "hello"})


def test_change_key_respells_until_the_next_key_change():
    doc = make_doc([[(0, 4, [70])], [(0, 4, [70])], [(0, 4, [70])]])
    doc.measures[2].key_fifths = 3
    apply_edit(doc, "set_key", {"measure": 0, "fifths": -2})
    assert [m.key_fifths for m in doc.measures] == [-2, -2, 3]
    assert name(ev(doc, 0).notes[0]) == "Bb4" and ev(doc, 0).notes[0].pitch == 70
    with pytest.raises(EditError, match="between -7 and 7"):
        apply_edit(doc, "set_key", {"measure": 0, "fifths": 9})


def test_change_time_signature_rebars_with_ties(scale):
    apply_edit(scale, "set_time", {"measure": 0, "beats": 3, "beat_type": 4})
    assert [m.time for m in scale.measures] == [(3, 4)] * 3
    assert [e[2] for e in events(scale, 0)] == [[60], [62], [64]]
    assert [e[2] for e in events(scale, 1)] == [[65], [67], [69]]
    assert events(scale, 2)[:2] == [(0, 1, [71]), (1, 1, [72])]  # the rest is rest
    assert not layout_problems(scale)
    with pytest.raises(EditError, match="beat unit"):
        apply_edit(scale, "set_time", {"measure": 0, "beats": 3, "beat_type": 5})


def test_tempo_from_a_measure_on(scale):
    apply_edit(scale, "set_tempo", {"measure": 1, "bpm": 72})
    assert scale.tempo_at(0) == 100 and scale.tempo_at(1) == 72
    with pytest.raises(EditError, match="between 20 and 400"):
        apply_edit(scale, "set_tempo", {"measure": 0, "bpm": 1000})


def test_add_and_delete_measures(scale):
    apply_edit(scale, "add_measures", {"at": 1, "count": 2})
    assert len(scale.measures) == 4 and events(scale, 1) == [] and events(scale, 3)[0][2] == [67]
    apply_edit(scale, "delete_measures", {"start": 0, "count": 3})
    assert len(scale.measures) == 1 and events(scale, 0)[0][2] == [67]
    assert scale.tempo_at(0) == 100  # the tempo mark survives its bar
    with pytest.raises(EditError, match="at least one bar"):
        apply_edit(scale, "delete_measures", {"start": 0, "count": 1})


def test_enharmonic_respelling_cycles():
    doc = make_doc([[(0, 4, [61])]])
    note = ev(doc).notes[0]
    seen = [name(note)]
    for _ in range(2):
        apply_edit(doc, "respell", {"ids": [note.id]})
        seen.append(name(note))
    assert seen == ["C#4", "Db4", "C#4"] and note.pitch == 61


def test_simplify_to_piano_keeps_bars_and_gives_fresh_ids(scale):
    pytest.importorskip("ml.notation.simplify")
    before = set(_all_ids(scale))
    simple = apply_edit(scale, "simplify_piano", {}).doc
    assert [p.instrument for p in simple.parts] == ["piano"] and len(simple.parts[0].staves) == 2
    assert len(simple.measures) == len(scale.measures) and not layout_problems(simple)
    assert not before & set(_all_ids(simple))
    melody = [n.pitch for pm in simple.parts[0].measures for v in pm.voices if v.staff == 0 for e in v.events for n in e.notes]
    assert melody == [60, 62, 64, 65, 67, 69, 71, 72]


def test_unknown_op_and_stale_selection(scale):
    with pytest.raises(EditError, match="no edit called"):
        apply_edit(scale, "explode", {})
    with pytest.raises(EditError, match="no longer in the score"):
        apply_edit(scale, "delete", {"ids": ["e999"]})
    with pytest.raises(EditError, match="wrong details"):
        apply_edit(scale, "transpose", {"semitones": 1, "colour": "red"})


def test_new_ids_are_fresh(scale):
    before = {e.id for loc in scale.parts[0].measures for v in loc.voices for e in v.events}
    outcome = apply_edit(scale, "insert_note", {"part": "p1", "measure": 0, "offset": 0, "letter": "G", "duration": 1})
    assert outcome.selection[0] not in before


# ---------------------------------------------------------------- property

def _all_ids(doc):
    out = []
    for part in doc.parts:
        for pm in part.measures:
            for v in pm.voices:
                for e in v.events:
                    out.append(e.id)
                    out.extend(n.id for n in e.notes)
    return out


durations = st.sampled_from(["1/4", "1/2", "3/4", "1", "3/2", "2", "3", "4", "1/3", "2/3"])


@st.composite
def edits(draw, doc):
    ids = _all_ids(doc)
    pick = st.lists(st.sampled_from(ids), min_size=1, max_size=3) if ids else st.just(["e0"])
    measure = draw(st.integers(0, len(doc.measures) - 1))
    length = doc.measures[measure].length
    offset = str(draw(st.sampled_from([F(0), F(1, 2), F(1), F(5, 3), F(3)]).filter(lambda o: o < length)) if length > 1 else "0")
    part = draw(st.sampled_from([p.id for p in doc.parts]))
    staves = len(next(p for p in doc.parts if p.id == part).staves)
    cursor = {"part": part, "staff": draw(st.integers(0, staves - 1)), "measure": measure, "offset": offset}
    op = draw(st.sampled_from(["transpose", "set_duration", "delete", "insert_note", "insert_rest", "move", "paste",
                               "set_time", "add_measures", "delete_measures", "set_key", "set_tie", "respell"]))
    if op == "transpose":
        return op, {"ids": draw(pick), "semitones": draw(st.sampled_from([1, -1, 12, -12]))}
    if op == "set_duration":
        return op, {"ids": draw(pick), "duration": draw(durations)}
    if op in ("delete", "set_tie", "respell"):
        return op, {"ids": draw(pick)}
    if op == "insert_note":
        return op, {**cursor, "letter": draw(st.sampled_from("ABCDEFG")), "duration": draw(durations)}
    if op == "insert_rest":
        return op, {**cursor, "duration": draw(durations)}
    if op == "move":
        return op, {"ids": draw(pick), "delta": draw(st.sampled_from(["1/2", "-1", "4", "-3/2", "1/3"]))}
    if op == "paste":
        return op, {**cursor, "fragment": ("copy", draw(pick))}
    if op == "set_time":
        return op, {"measure": measure, "beats": draw(st.sampled_from([2, 3, 4, 6])), "beat_type": draw(st.sampled_from([4, 8]))}
    if op == "add_measures":
        return op, {"at": draw(st.integers(0, len(doc.measures))), "count": draw(st.integers(1, 2))}
    if op == "set_key":
        return op, {"measure": measure, "fifths": draw(st.integers(-7, 7))}
    return op, {"start": measure, "count": 1}


def with_pickup_and_guitar(doc: ScoreDoc) -> ScoreDoc:
    """The first bar becomes a one-beat pickup (its last beat kept) and a guitar part joins."""
    doc.measures[0].length = F(1)
    for voice in doc.parts[0].measures[0].voices:
        voice.events = [e for e in voice.events if e.offset >= 3 or e.end > 3]
        for event in voice.events:
            start = max(event.offset, F(3))
            event.duration, event.offset = event.end - start, start - 3
    guitar = Part("p2", "Guitar", "guitar", 24, False, [Staff("treble-8vb", tablature=True)],
                  [PartMeasure([Voice(0, 1)]) for _ in doc.measures])
    guitar.measures[1].voices[0].events.append(Event(doc.new_id("e"), F(1), F(2), [Note(doc.new_id("n"), 52, "E", 0, 3)]))
    doc.parts.append(guitar)
    assert not layout_problems(doc)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_any_sequence_of_edits_keeps_every_bar_full_and_ids_unique(data, pickup_and_guitar):
    doc = make_doc([[(0, 1, [60]), (1, 1, [62, 65]), (2, 2, [64])], [(0, "1/2", [67]), ("1/2", "3/2", [69]), (3, 1, [71])]],
                   lower=[[(0, 4, [48])], [(0, 2, [43]), (2, 2, [45])]])
    if pickup_and_guitar:
        doc = with_pickup_and_guitar(doc)
    for _ in range(data.draw(st.integers(1, 12))):
        op, params = data.draw(edits(doc))
        if op == "paste":
            try:
                params["fragment"] = copy_fragment(doc, params["fragment"][1])
            except EditError:
                continue
        try:
            doc = apply_edit(doc, op, params).doc
        except EditError:
            pass
        assert not layout_problems(doc), (op, params, layout_problems(doc))
        ids = _all_ids(doc)
        assert len(ids) == len(set(ids))
        assert not ids or doc.next_id > max(int(i[1:]) for i in ids)
        round_trip = ScoreDoc.from_dict(doc.to_dict())
        assert round_trip.to_dict() == doc.to_dict()
