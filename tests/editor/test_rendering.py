"""The editor's ABC is the writers' ABC: reusing laid-out bars changes nothing a reader sees."""
from ml.notation.abc import score_to_abc
from ml.notation.edit import apply_edit
from editor.rendering import render_abc
from tests.ml.notation.test_edit import make_doc


def same_as_writer(doc, part_ids=None):
    ours = render_abc(doc, part_ids=part_ids)
    theirs = score_to_abc(doc, part_ids=part_ids)
    assert ours.text == theirs.text
    assert [e.as_json() for e in ours.elements] == [
        render_abc(doc, part_ids=part_ids, reuse_layout=False).elements[i].as_json() for i in range(len(ours.elements))
    ]
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
