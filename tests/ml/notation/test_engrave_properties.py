"""Any performance at all engraves to bars that add up: every voice's events inside
their measure, never overlapping, every bar full but a pickup, every pitch kept."""
from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.notation.engrave import engrave
from ml.notation.score import ScoreDoc
from ml.notes import Note, Track, Transcription


@st.composite
def performances(draw: st.DrawFn) -> Transcription:
    beat = draw(st.floats(0.25, 1.2))

    def notes(pitches: st.SearchStrategy[int], max_size: int) -> list[Note]:
        rows = draw(
            st.lists(
                st.tuples(
                    pitches,
                    # On a beat grid (chords, steady rhythms, triplets) or anywhere at all.
                    st.one_of(
                        st.integers(0, 48).map(lambda k: k * beat / 4),
                        st.integers(0, 36).map(lambda k: k * beat / 3),
                        st.floats(0.0, 12.0, allow_nan=False),
                    ),
                    st.floats(0.02, 3.0, allow_nan=False),
                    st.integers(1, 127),
                ),
                max_size=max_size,
            )
        )
        return [Note(p, onset, onset + length, v) for p, onset, length, v in rows]

    tracks = [Track("Piano", "piano", 0, False, notes(st.one_of(st.integers(21, 108), st.integers(55, 65)), 40))]
    if draw(st.booleans()):
        tracks.append(Track("Guitar", "guitar", 25, False, notes(st.integers(40, 84), 15)))
    if draw(st.booleans()):
        tracks.append(Track("Drums", "drums", 0, True, notes(st.sampled_from([36, 38, 42, 46, 49, 51]), 25)))
    return Transcription(tracks=tracks, duration=20.0)


def check_bars(doc: ScoreDoc) -> None:
    assert doc.measures
    for index, measure in enumerate(doc.measures):
        assert measure.length > 0
        if index > 0:
            assert measure.length == measure.full_length  # only the first bar may be a pickup
        else:
            assert measure.length <= measure.full_length
    for part in doc.parts:
        assert len(part.measures) == len(doc.measures)
        for measure, part_measure in zip(doc.measures, part.measures):
            numbers = [v.number for v in part_measure.voices]
            assert len(numbers) == len(set(numbers))
            for voice in part_measure.voices:
                assert 0 <= voice.staff < len(part.staves)
                end = Fraction(0)
                for event in voice.events:
                    assert isinstance(event.offset, Fraction) and isinstance(event.duration, Fraction)
                    assert event.duration > 0
                    assert event.offset >= end  # in order, never overlapping
                    assert event.end <= measure.length
                    end = event.end


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(performances(), st.one_of(st.none(), st.floats(40.0, 220.0)))
def test_any_performance_engraves_to_full_bars_of_non_overlapping_voices_keeping_every_pitch(transcription, tempo):
    doc = engrave(transcription, title="Property", tempo_bpm=tempo)
    check_bars(doc)
    played = {(t.is_drum, n.pitch) for t in transcription.tracks for n in t.notes}
    written = {(p.is_drum, n.pitch) for p in doc.parts for m in p.measures for v in m.voices for e in v.events for n in e.notes}
    assert written == played
    ids = [n.id for p in doc.parts for m in p.measures for v in m.voices for e in v.events for n in e.notes]
    assert len(ids) == len(set(ids))
    assert ScoreDoc.from_dict(doc.to_dict()).to_dict() == doc.to_dict()
