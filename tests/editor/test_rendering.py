"""The editor's ABC is the writers' ABC: reusing laid-out bars changes nothing a reader sees."""
from ml.notation.abc import score_to_abc
from ml.notation.edit import apply_edit
from editor.rendering import render_abc
from tests.ml.notation.test_edit import make_doc


def same_as_writer(doc, part_ids=None):
    ours = render_abc(doc, part_ids=part_ids)
    theirs = score_to_abc(doc, part_ids=part_ids)
    assert ours.text == theirs.text
    plain = render_abc(doc, part_ids=part_ids, reuse_layout=False)
    assert [e.as_json() for e in ours.elements] == [e.as_json() for e in plain.elements]
    assert ours.element_rows() == [e.as_json() for e in plain.elements]  # what the editor sends
    assert ours.tablature == theirs.tablature
    return ours


def test_edits_render_exactly_as_the_writer_renders_them():
    doc = make_doc([[(0, 1, [60]), (1, 1, [62, 65]), (2, 2, [64])], [(0, "1/3", [67]), ("1/3", "2/3", [69]), (1, 3, [71])]],
                   lower=[[(0, 4, [48])], [(0, 2, [43]), (2, 2, [45])]])
    first = same_as_writer(doc)
    event = doc.parts[0].measures[0].voices[0].events[0]
    for op, params in [
        ("transpose", {"ids": [event.id], "semitones": 1}),
        ("set_duration", {"ids": [event.id], "duration": "3"}),
        ("set_articulation", {"ids": [event.id], "articulation": "staccato"}),
        ("set_key", {"measure": 1, "fifths": -3}),
        ("set_time", {"measure": 0, "beats": 3, "beat_type": 4}),
        ("set_chord_symbol", {"measure": 0, "offset": 1, "symbol": "Dm"}),
    ]:
        apply_edit(doc, op, params)
        after = same_as_writer(doc)
        assert after.text != first.text
    same_as_writer(doc, part_ids=["p1"])


def test_a_doc_parsed_again_renders_the_same_after_in_place_edits_of_the_old_one():
    from ml.notation.score import ScoreDoc

    doc = make_doc([[(0, 1, [60]), (1, 1, [62]), (2, 2, [64])]])
    saved = doc.to_dict()
    same_as_writer(doc)
    apply_edit(doc, "transpose", {"ids": [doc.parts[0].measures[0].voices[0].events[0].id], "semitones": 1})
    same_as_writer(doc)
    again = ScoreDoc.from_dict(saved)  # as undo does: same content as before, new objects
    assert same_as_writer(again).text == score_to_abc(again).text


def test_a_long_engraved_score_renders_as_the_writer_renders_it_through_many_edits_and_undo():
    """Lines of unchanged bars are copied from earlier renders: whatever an edit
    changes (a note, a tie across a line end, the key, the meter, a tempo, bars
    added or removed, a chord symbol), the text and every element range stay the
    writer's own, also for a doc parsed again from an earlier revision."""
    import random

    from bench.editor_edit import piano_piece
    from ml.notation.edit import EditError
    from ml.notation.engrave import engrave
    from ml.notation.score import ScoreDoc

    doc = engrave(piano_piece(20, seed=3), title="Many lines", tempo_bpm=120.0)
    same_as_writer(doc)
    saved = [doc.to_dict()]
    rng = random.Random(5)

    def some_event():
        return rng.choice([e.id for pm in doc.parts[0].measures for v in pm.voices for e in v.events if e.notes])

    edits = [
        lambda: ("transpose", {"ids": [some_event()], "semitones": rng.choice([1, -1, 12])}),
        lambda: ("set_duration", {"ids": [some_event()], "duration": rng.choice(["1/3", "3/2", "2", "1/4"])}),
        lambda: ("set_tie", {"ids": [some_event()], "on": True}),
        lambda: ("set_articulation", {"ids": [some_event()], "articulation": "accent"}),
        lambda: ("set_dynamic", {"ids": [some_event()], "dynamic": "ff"}),
        lambda: ("set_key", {"measure": rng.randrange(20), "fifths": rng.choice([-4, 2, 5])}),
        lambda: ("set_time", {"measure": rng.randrange(20), "beats": 3, "beat_type": 4}),
        lambda: ("set_tempo", {"measure": rng.randrange(20), "bpm": rng.choice([90, 140])}),
        lambda: ("set_chord_symbol", {"measure": rng.randrange(len(doc.measures)), "offset": 1, "symbol": "G7"}),
        lambda: ("add_measures", {"at": rng.randrange(len(doc.measures)), "count": 1}),
        lambda: ("delete_measures", {"start": rng.randrange(len(doc.measures) - 1), "count": 1}),
        lambda: ("insert_note", {"part": "p1", "staff": 0, "measure": rng.randrange(len(doc.measures)),
                                 "offset": "1", "letter": "F", "duration": "1/2"}),
    ]
    for step in range(40):
        op, params = edits[step % len(edits)]()
        try:
            apply_edit(doc, op, params)
        except EditError:
            continue
        same_as_writer(doc)
        same_as_writer(doc, part_ids=["p1"])
        saved.append(doc.to_dict())
    for data in reversed(saved[::7]):  # undo: earlier revisions, parsed again
        same_as_writer(ScoreDoc.from_dict(data))


def test_copied_lines_follow_what_changed_outside_them():
    """A line's text also depends on its neighbours: a tie into the next line's
    chord, and a tempo mark that an earlier one makes redundant or needed."""
    bar = [(0, 1, [60, 64]), (1, 1, [62]), (2, 1, [64]), (3, 1, [60])]
    doc = make_doc([bar, bar, bar, bar, [(0, 2, [60, 64]), (2, 2, [67])], bar, bar, bar, bar, bar])
    same_as_writer(doc)
    line_end = doc.parts[0].measures[3].voices[0].events[-1]  # C4, last of the first line
    apply_edit(doc, "set_tie", {"ids": [line_end.notes[0].id], "on": True})
    tied = same_as_writer(doc)
    next_chord = doc.parts[0].measures[4].voices[0].events[0]
    apply_edit(doc, "delete", {"ids": [next_chord.notes[1].id]})  # [CE] → C: the whole chord ties on now
    assert same_as_writer(doc).text != tied.text

    apply_edit(doc, "set_tempo", {"measure": 8, "bpm": 90})
    apply_edit(doc, "set_tempo", {"measure": 2, "bpm": 90})
    without_mark = same_as_writer(doc)  # bar 8's mark says what is in force already
    apply_edit(doc, "set_tempo", {"measure": 2, "bpm": 140})
    assert "[Q:1/4=90]" in same_as_writer(doc).text.split("\n", 12)[-1]
    assert without_mark.text.count("[Q:") == 1
