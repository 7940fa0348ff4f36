"""Dynamics, hairpins and articulations from how the notes were played."""
from __future__ import annotations

from ml.notation.expression import add_expression
from ml.notation.score import ScoreDoc
from ml.notes import Note, Track, Transcription
from tests.ml.notation.scoredocs import doc_from_bars

SECONDS_PER_QUARTER = 0.5  # the test scores are at 120 quarter notes a minute
GRID_ORIGIN = 0.73  # the performance starts a little into the recording


def performed(bars: list[list[tuple]], *, lengths: dict[tuple[int, int], float] | None = None) -> Transcription:
    """The performance of ``bars`` (offset, duration, pitch, velocity), every note played for its
    written length unless ``lengths`` gives (bar, offset) → seconds."""
    notes = []
    for m, bar in enumerate(bars):
        for offset, duration, pitch, velocity in bar:
            onset = GRID_ORIGIN + (4 * m + offset) * SECONDS_PER_QUARTER
            length = (lengths or {}).get((m, offset), duration * SECONDS_PER_QUARTER * 0.95)
            notes.append(Note(pitch, onset, onset + length, velocity))
    return Transcription(tracks=[Track("Piano", "piano", notes=notes)], duration=40.0)


def events(doc: ScoreDoc):
    for m, pm in enumerate(doc.parts[0].measures):
        for voice in pm.voices:
            for event in voice.events:
                yield m, event


def test_a_crescendo_gets_a_hairpin_from_p_to_f():
    velocities = [45] * 8 + [45 + 4 * i for i in range(16)] + [100] * 8
    pitches = [60, 62, 64, 65, 67, 65, 64, 62]
    bars = [[(q, 1, pitches[(4 * m + q) % 8], velocities[4 * m + q]) for q in range(4)] for m in range(8)]
    doc = doc_from_bars(bars)
    add_expression(doc, performed(bars))
    marks = [(m, str(e.offset), e.dynamic) for m, e in events(doc) if e.dynamic]
    assert marks[0] == (0, "0", "p")
    assert marks[-1][2] == "f" and marks[-1][0] in (5, 6)
    assert [d for _, _, d in marks] == ["p", "f"], "no mark on every step of the crescendo"
    (hairpin,) = doc.parts[0].spans
    assert hairpin.kind == "crescendo"
    assert hairpin.start_measure in (1, 2) and hairpin.end_measure in (5, 6)
    assert [n.velocity for _, e in events(doc) for n in e.notes] == velocities


def test_an_even_performance_gets_one_dynamic_and_no_hairpin_or_marks():
    bars = [[(q, 1, 60 + q, 80) for q in range(4)] for _ in range(4)]
    doc = doc_from_bars(bars)
    add_expression(doc, performed(bars))
    assert [e.dynamic for _, e in events(doc) if e.dynamic] == ["mf"]
    assert doc.parts[0].spans == []
    assert not any(e.articulations for _, e in events(doc))


def test_notes_played_short_get_staccato_and_a_loud_one_an_accent():
    bars = [[(q, 1, 64 + q, 70) for q in range(4)] for _ in range(4)]
    bars[1][2] = (2, 1, 66, 110)  # the accent
    short = {(2, q): 0.12 for q in range(4)}  # bar 3 played detached
    doc = doc_from_bars(bars)
    add_expression(doc, performed(bars, lengths=short))
    staccato = [(m, e.offset) for m, e in events(doc) if "staccato" in e.articulations]
    accents = [(m, e.offset) for m, e in events(doc) if "accent" in e.articulations]
    assert staccato == [(2, q) for q in range(4)]
    assert accents == [(1, 2)]


def test_written_notes_with_no_performance_are_left_alone():
    bars = [[(q, 1, 60 + q, 80) for q in range(4)]]
    doc = doc_from_bars(bars)
    add_expression(doc, Transcription(tracks=[Track("Piano", "piano")], duration=2.0))
    assert not any(e.dynamic or e.articulations for _, e in events(doc))
    assert doc.parts[0].spans == []
