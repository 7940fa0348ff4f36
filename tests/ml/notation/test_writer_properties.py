"""Any canonical score at all (any meter, key, pickup, voices, ties, tuplet
durations, grace notes, marks, guitar and drums) gives ABC that abcjs parses
without a warning, bar by bar the length of its measures, with every note id in
the element map once; and MusicXML that is valid 4.0 with every bar full."""
from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.notation.abc import score_to_abc
from ml.notation.musicxml import score_to_musicxml
from ml.notation.score import ARTICULATIONS, DYNAMICS, ChordSymbol, ScoreDoc, Span

from . import abcjs_reports
from .test_musicxml import assert_bars_add_up, valid
from .writer_docs import DocBuilder, assert_abc_matches_doc

Q = Fraction
# The engraver's grids: straight down to the 32nd, triplets of eighths, sixteenths and quarters.
DURATIONS = [Q(1, 4), Q(1, 2), Q(3, 4), Q(1), Q(3, 2), Q(2), Q(3), Q(4), Q(1, 3), Q(2, 3), Q(1, 6), Q(5, 4), Q(5, 2), Q(1, 8)]
GAPS = [Q(0), Q(0), Q(0), Q(1, 4), Q(1, 2), Q(1), Q(1, 3)]
METERS = [(4, 4), (3, 4), (2, 4), (6, 8), (12, 8), (2, 2)]
KIT = [(36, "F", 4), (38, "C", 5), (42, "G", 5), (46, "G", 5), (49, "A", 5), (51, "F", 5), (45, "A", 4)]
_FLAT_NAMES = [("C", 0), ("D", -1), ("D", 0), ("E", -1), ("E", 0), ("F", 0), ("G", -1), ("G", 0), ("A", -1), ("A", 0),
               ("B", -1), ("B", 0)]
_SHARP_NAMES = [("C", 0), ("C", 1), ("D", 0), ("D", 1), ("E", 0), ("F", 0), ("F", 1), ("G", 0), ("G", 1), ("A", 0),
                ("A", 1), ("B", 0)]


def spelled(pitch: int, flats: bool) -> tuple[int, str, int, int]:
    step, alter = (_FLAT_NAMES if flats else _SHARP_NAMES)[pitch % 12]
    return pitch, step, alter, pitch // 12 - 1


@st.composite
def score_docs(draw: st.DrawFn) -> ScoreDoc:
    bars = draw(st.integers(1, 4))
    time = draw(st.sampled_from(METERS))
    b = DocBuilder(bars, time=time, key=draw(st.integers(-7, 7)), mode=draw(st.sampled_from(["major", "minor"])),
                   tempo=draw(st.floats(40, 220)))
    for m, measure in enumerate(b.doc.measures):
        if m and draw(st.integers(0, 4)) == 0:
            measure.time = draw(st.sampled_from(METERS))
            measure.length = measure.full_length
            measure.key_fifths = draw(st.integers(-7, 7))
            measure.tempo = draw(st.sampled_from([None, 72.0, 140.0]))
        measure.chords = [
            ChordSymbol(Q(k, 2), s)
            for k, s in draw(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["C", "Am7", "F#m7b5/C", "Bb"])),
                                      max_size=2, unique_by=lambda x: x[0]))
            if Q(k, 2) < measure.length
        ]
    if draw(st.booleans()):
        first = b.doc.measures[0]
        first.length = draw(st.sampled_from([q for q in (Q(1, 2), Q(1), Q(3, 2), Q(2)) if q < first.full_length]))
    kinds = draw(st.lists(st.sampled_from(["piano", "bass", "guitar", "drums"]), min_size=1, max_size=2, unique=True))
    for kind in kinds:
        if kind == "piano":
            part = b.part(clefs=("treble", "bass"))
        elif kind == "bass":
            part = b.part("Bass", instrument="bass", program=33, clefs=("bass",))
        elif kind == "guitar":
            part = b.part("Guitar", instrument="guitar", program=25, clefs=("treble-8vb",), tablature=True)
        else:
            part = b.part("Drums", instrument="drums", clefs=("percussion",), is_drum=True)
        flats = draw(st.booleans())
        for staff in range(len(part.staves)):
            for voice in range(draw(st.integers(1, 2))):
                for m, measure in enumerate(b.doc.measures):
                    cursor = Q(0)
                    while cursor < measure.length:
                        cursor += draw(st.sampled_from(GAPS))
                        duration = min(draw(st.sampled_from(DURATIONS)), measure.length - cursor)
                        if duration <= 0:
                            break
                        if kind == "drums":
                            pitches = draw(st.lists(st.sampled_from(KIT), min_size=1, max_size=3, unique_by=lambda k: k[0]))
                            notes = [(p, s, 0, o) for p, s, o in pitches]
                        else:
                            low = 28 if kind == "bass" else 40 if kind == "guitar" else 36 + 24 * (1 - staff)
                            raw = draw(st.lists(st.integers(low, low + 30), min_size=1, max_size=4, unique=True))
                            notes = [spelled(p, flats) for p in raw]
                        if draw(st.integers(0, 6)) == 0:
                            b.add(part, m, cursor, Q(1, 4), notes[0], staff=staff, voice=staff * 4 + 1 + voice,
                                  grace=True)
                        b.add(
                            part, m, cursor, duration, *notes, staff=staff, voice=staff * 4 + 1 + voice,
                            tie=tuple(draw(st.booleans()) for _ in notes),
                            dynamic=draw(st.sampled_from([None, None, None, *DYNAMICS])),
                            articulations=tuple(draw(st.lists(st.sampled_from(ARTICULATIONS), max_size=2, unique=True))),
                        )
                        cursor += duration
        if draw(st.booleans()):
            end_measure = draw(st.integers(0, bars - 1))
            part.spans.append(Span(draw(st.sampled_from(["crescendo", "diminuendo", "pedal"])), 0, 0, Q(0),
                                   end_measure, b.doc.measures[end_measure].length))
    return b.doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(score_docs(), min_size=1, max_size=4))
def test_any_score_gives_clean_abc_with_every_note_mapped(docs):
    results = [score_to_abc(doc) for doc in docs]
    for result, report, doc in zip(results, abcjs_reports([r.text for r in results]), docs):
        assert_abc_matches_doc(result, report, doc)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(score_docs())
def test_any_score_gives_valid_musicxml_with_full_bars(doc):
    assert_bars_add_up(valid(score_to_musicxml(doc)), doc)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(score_docs())
def test_one_part_at_a_time_maps_only_that_parts_notes(doc):
    part_ids = [doc.parts[-1].id]
    result = score_to_abc(doc, part_ids=part_ids)
    report = abcjs_reports([result.text])[0]
    assert_abc_matches_doc(result, report, doc, part_ids)
