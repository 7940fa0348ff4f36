"""ABC from the canonical score: what abcjs parses, plays and reports on a click."""
from __future__ import annotations

from fractions import Fraction

from ml.notation.abc import score_to_abc

from . import abcjs_report, abcjs_reports
from .writer_docs import DocBuilder, Q, assert_abc_matches_doc


def render(doc, part_ids=None):
    result = score_to_abc(doc, part_ids=part_ids)
    report = abcjs_report(result.text)
    assert_abc_matches_doc(result, report, doc, part_ids)
    return result, report


def played(report, voice=0):
    """(midi, start, duration) in quarters, as abcjs plays the voice."""
    return [(p, Fraction(s).limit_denominator(96) * 4, Fraction(d).limit_denominator(96) * 4)
            for p, s, d in report["voices"][voice]["notes"]]


def test_every_clicked_element_maps_back_to_its_event_and_notes():
    b = DocBuilder(2)
    piano = b.part(clefs=("treble", "bass"))
    chord = b.add(piano, 0, 0, 1, 60, 64, 67)
    melody = b.add(piano, 0, 1, Q(5, 2), 72)
    low = b.add(piano, 1, 0, 4, 36, staff=1)
    result, _ = render(b.doc)
    by_event = {e.event_id: e for e in result.elements if e.event_id}
    assert by_event[chord.id].note_ids == tuple(n.id for n in chord.notes)
    assert result.text[by_event[chord.id].start_char:by_event[chord.id].end_char].strip() == "[CEG]2"
    # A value no single head can show (2½ beats from beat 2) is drawn as tied pieces
    # that all map back to the one event.
    pieces = [e for e in result.elements if e.event_id == melody.id]
    assert [(e.offset, e.duration) for e in pieces] == [(1, 1), (2, Q(3, 2))]  # quarter tied to dotted quarter
    assert by_event[low.id].measure == 1 and by_event[low.id].staff == 1
    rests = [e for e in result.elements if e.event_id is None]
    assert {(e.staff, e.measure, e.offset) for e in rests} >= {(0, 0, Q(7, 2)), (0, 1, 0), (1, 0, 0)}


def test_a_part_can_be_rendered_alone():
    b = DocBuilder(1)
    piano = b.part()
    bass = b.part("Bass", instrument="bass", program=33, clefs=("bass",))
    b.add(piano, 0, 0, 4, 72)
    b.add(bass, 0, 0, 4, 40)
    result, report = render(b.doc, part_ids=[bass.id])
    assert len(report["voices"]) == 1 and report["voices"][0]["clef"] == "bass"
    assert played(report) == [(40, 0, 4)]
    assert {e.part_id for e in result.elements} == {bass.id}
    assert "%%MIDI program 33" in result.text


def test_ties_across_the_bar_line_and_inside_a_chord_join_equal_pitches():
    b = DocBuilder(3)
    piano = b.part()
    b.add(piano, 0, 2, 2, 60, 64, tie=True)  # a whole chord held over the bar
    b.add(piano, 1, 0, 1, 60, 64, tie=(True, False))  # only C goes on
    b.add(piano, 1, 1, 1, 60, 67)
    b.add(piano, 1, 2, 2, 62, 65, tie=(False, True))
    b.add(piano, 2, 0, 4, 59, 65)
    _, report = render(b.doc)
    assert sorted(played(report)) == sorted(
        [(60, 2, 4), (64, 2, 3), (67, 5, 1), (62, 6, 2), (65, 6, 6), (59, 8, 4)]
    )


def test_a_note_after_a_tie_continuation_is_marked_as_abcjs_reads_it():
    # abcjs sounds a continuation at its tied-from pitch and ignores its accidental:
    # the bar's next D must not lean on the continuation's natural (it would sound Db).
    b = DocBuilder(2, key=-6, mode="minor")  # Eb minor: D is flat by the key
    piano = b.part()
    b.add(piano, 0, 2, 2, (62, "D", 0, 4), tie=True)  # D natural held over the bar
    b.add(piano, 1, 0, 2, (62, "D", 0, 4))
    b.add(piano, 1, 2, 1, (62, "D", 0, 4))
    b.add(piano, 1, 3, 1, (61, "D", -1, 4))
    c_major = DocBuilder(2)
    other = c_major.part()
    c_major.add(other, 0, 2, 2, (63, "D", 1, 4), tie=True)  # D sharp held over the bar
    c_major.add(other, 1, 0, 2, (63, "D", 1, 4))
    c_major.add(other, 1, 2, 1, (63, "D", 1, 4))
    c_major.add(other, 1, 3, 1, (62, "D", 0, 4))
    for doc, expected in ((b.doc, [(62, 2, 4), (62, 6, 1), (61, 7, 1)]), (c_major.doc, [(63, 2, 4), (63, 6, 1), (62, 7, 1)])):
        result, report = render(doc)
        assert played(report) == expected, result.text


def test_triplets_are_written_as_tuplets_that_play_in_time():
    b = DocBuilder(1)
    piano = b.part()
    for k in range(3):
        b.add(piano, 0, Q(k, 3), Q(1, 3), 60 + 2 * k)  # triplet eighths on beat 1
    for k in range(3):
        b.add(piano, 0, 2 + Q(2 * k, 3), Q(2, 3), 72 + k)  # quarter-note triplets on beats 3-4
    result, report = render(b.doc)
    assert "(3" in result.text
    assert played(report) == [
        (60, 0, Q(1, 3)), (62, Q(1, 3), Q(1, 3)), (64, Q(2, 3), Q(1, 3)),
        (72, 2, Q(2, 3)), (73, Q(8, 3), Q(2, 3)), (74, Q(10, 3), Q(2, 3)),
    ]


def test_key_meter_and_tempo_change_at_their_bars_and_a_pickup_is_short():
    b = DocBuilder(3, time=(3, 4), key=2)
    b.doc.measures[0].length = Q(1)  # a one-beat pickup
    b.doc.measures[2].time = (6, 8)
    b.doc.measures[2].key_fifths = -3
    b.doc.measures[2].length = Q(3)
    b.doc.measures[2].tempo = 90.0
    piano = b.part()
    b.add(piano, 0, 0, 1, (66, "F", 1, 4))
    b.add(piano, 1, 0, 3, (66, "F", 1, 4))
    b.add(piano, 2, 0, Q(3, 2), (63, "E", -1, 4))
    b.add(piano, 2, Q(3, 2), Q(3, 2), (64, "E", 0, 4))
    result, report = render(b.doc)
    assert "K:D" in result.text and "[K:Eb]" in result.text and "[M:6/8]" in result.text
    assert "[Q:1/4=90]" in result.text
    assert [p for p, _, _ in played(report)] == [66, 66, 63, 64]
    assert report["voices"][0]["bars"] == [0.25, 0.75, 0.75]


def test_a_second_voice_on_a_staff_fills_its_gaps_with_invisible_rests():
    b = DocBuilder(1)
    piano = b.part()
    b.add(piano, 0, 0, 4, 72)
    b.add(piano, 0, 2, 2, 60, voice=2)
    result, report = render(b.doc)
    assert "%%score (1 2)" in result.text
    hidden = [e for e in result.elements if e.voice == 2 and e.event_id is None]
    assert [result.text[e.start_char:e.end_char].strip() for e in hidden] == ["x4"]
    assert played(report, 1) == [(60, 2, 2)]


def test_many_scores_in_one_abcjs_run():
    docs = []
    for n in range(3):
        b = DocBuilder(1, title=f"T{n}")
        b.add(b.part(), 0, 0, 1, 60 + n)
        docs.append(b.doc)
    results = [score_to_abc(d) for d in docs]
    for result, report, doc in zip(results, abcjs_reports([r.text for r in results]), docs):
        assert_abc_matches_doc(result, report, doc)


def test_marks_chord_symbols_and_grace_notes_are_drawn_where_the_score_puts_them():
    from ml.notation.score import ChordSymbol, Span

    b = DocBuilder(2)
    piano = b.part(clefs=("treble", "bass"))
    b.doc.measures[0].chords = [ChordSymbol(Q(0), "C"), ChordSymbol(Q(2), "Am7")]
    grace = b.add(piano, 0, 0, Q(1, 2), 74, grace=True)
    b.add(piano, 0, 0, 4, 72, dynamic="mf", articulations=("accent",))
    b.add(piano, 1, 0, 1, 72, articulations=("staccato",))
    b.add(piano, 1, 1, 1, 74, articulations=("tenuto",))
    b.add(piano, 0, 0, 4, 48, staff=1)
    piano.spans = [Span("crescendo", 0, 0, Q(0), 1, Q(1)), Span("pedal", 1, 0, Q(0), 0, Q(4))]
    result, report = render(b.doc)
    treble = result.text.split("[V:1]")[1]
    assert '"C"' in treble and '"Am7"' in treble  # a held note is split at beat 3 to carry Am7
    assert "!mf!" in treble and "!accent!" in treble and ".c2" in treble and "!tenuto!" in treble
    assert "!<(!" in treble and "!<)!" in treble
    assert '"_Ped."' in result.text and '"_*"' in result.text
    grace_element = next(e for e in result.elements if e.grace)
    assert grace_element.note_ids == tuple(n.id for n in grace.notes)
    assert result.text[grace_element.start_char:grace_element.end_char] == "{/d}"
    assert [p for p, _, _ in played(report)] == [74, 72, 72, 74]  # abcjs plays the grace first


def test_drums_sit_on_a_percussion_staff_at_kit_positions_and_play_on_channel_10():
    b = DocBuilder(1, key=3)
    piano = b.part()
    drums = b.part("Drums", instrument="drums", clefs=("percussion",), is_drum=True)
    b.add(piano, 0, 0, 4, (73, "C", 1, 5))
    for beat in range(4):
        b.add(drums, 0, beat, 1, (42, "G", 0, 5), *([(36, "F", 0, 4)] if beat % 2 == 0 else [(38, "C", 0, 5)]))
    result, report = render(b.doc)
    assert "clef=perc" in result.text and "%%MIDI channel 10" in result.text
    assert "%%percmap g 42 x" in result.text  # the hi-hat: an x head on the top space
    assert sorted({p for p, _, _ in played(report, 1)}) == [36, 38, 42]
    assert played(report, 0) == [(73, 0, 4)]


def test_guitar_is_written_an_octave_up_on_a_treble_8vb_staff_with_tablature():
    b = DocBuilder(1)
    guitar = b.part("Guitar", instrument="guitar", program=25, clefs=("treble-8vb",), tablature=True)
    b.add(guitar, 0, 0, 2, 40)  # the low E string
    b.add(guitar, 0, 2, 2, 64)
    result, report = render(b.doc)
    assert report["voices"][0]["clef"] == "treble-8"
    assert played(report) == [(40, 0, 2), (64, 2, 2)]
    assert result.tablature == [
        {"instrument": "guitar", "label": "Guitar", "tuning": ["E,", "A,", "D", "G", "B", "e"], "highestNote": "a'"}
    ]
    other = DocBuilder(1)
    other.add(other.part(), 0, 0, 4, 60)
    assert score_to_abc(other.doc).tablature == []


def test_a_title_and_names_in_any_script_are_kept():
    b = DocBuilder(1, title="夜に駆ける % \\ \"x\"")
    b.add(b.part("ピアノ"), 0, 0, 4, 60)
    _, report = render(b.doc)
    assert report["title"].startswith("夜に駆ける")


def test_an_empty_score_is_still_one_clean_bar():
    from ml.notation.score import ScoreDoc

    for doc in (ScoreDoc(title="Empty", measures=[], parts=[]), DocBuilder(2).doc):
        render(doc)


def test_a_key_change_sounds_in_every_voice_of_a_staff_mid_line_and_at_a_line_start():
    # abcjs needs the [K:] in a staff's second voice inside a line, and crashes on
    # one that opens a line there (the first voice's change covers it).
    b = DocBuilder(6)
    for m in (1, 2, 3):
        b.doc.measures[m].key_fifths = 3  # A major from bar 2: C is sharp
    for m in (4, 5):
        b.doc.measures[m].key_fifths = -3  # Eb major from bar 5, where a line starts
    piano = b.part()
    for m in range(6):
        sharp_or_flat = (73, "C", 1, 5) if 1 <= m <= 3 else (75, "E", -1, 5) if m >= 4 else (72, "C", 0, 5)
        b.add(piano, m, 0, 4, sharp_or_flat, voice=1)
        b.add(piano, m, 0, 4, (sharp_or_flat[0] - 12, sharp_or_flat[1], sharp_or_flat[2], 4), voice=2)
    result, report = render(b.doc)
    assert [p for p, _, _ in played(report, 0)] == [72, 73, 73, 73, 75, 75], result.text
    assert [p for p, _, _ in played(report, 1)] == [60, 61, 61, 61, 63, 63], result.text
