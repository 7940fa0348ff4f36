"""Any note list at all, engraved, gives ABC that abcjs parses cleanly, with full bars,
every note id mapped and every transcribed pitch played."""
from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.notation.abc import score_to_abc
from ml.notation.engrave import engrave
from ml.notes import Note, Track, Transcription

from . import abcjs_reports
from .writer_docs import assert_abc_matches_doc



@st.composite
def notes(draw: st.DrawFn, max_size: int) -> list[Note]:
    rows = draw(
        st.lists(
            st.tuples(
                # A narrow band around middle C makes semitone clusters and staff splits common.
                st.one_of(st.integers(21, 108), st.integers(57, 62)),
                # Grid-aligned onsets make chords common; free ones exercise snapping.
                st.one_of(
                    st.floats(0.0, 20.0, allow_nan=False),
                    st.integers(0, 80).map(lambda k: k * 0.25),
                ),
                st.floats(0.01, 4.0, allow_nan=False),
                st.integers(1, 127),
            ),
            max_size=max_size,
        )
    )
    # Three semitones struck together cannot all get their own staff position,
    # the one case where a chord cannot be tied on.
    clusters = draw(st.lists(st.tuples(st.integers(21, 106), st.integers(0, 80), st.integers(1, 24)), max_size=2))
    rows += [(low + k, start * 0.25, length * 0.25, 80) for low, start, length in clusters for k in range(3)]
    return [Note(pitch=p, onset=onset, offset=onset + length, velocity=v) for p, onset, length, v in rows]


@st.composite
def transcriptions(draw: st.DrawFn) -> Transcription:
    tracks = [Track(name="Piano", instrument="piano", program=0, notes=draw(notes(max_size=45)))]
    if draw(st.booleans()):
        tracks.append(Track(name="Cello", instrument="cello", program=42, notes=draw(notes(max_size=15))))
    return Transcription(tracks=tracks, duration=30.0)


def check(transcription: Transcription, tempo: float | None, result, report: dict[str, Any], doc) -> None:
    """The engraved score's ABC is clean (see assert_abc_matches_doc) and abcjs plays
    every pitch that was transcribed, nothing else."""
    assert_abc_matches_doc(result, report, doc)
    heard = {pitch for voice in report["voices"] for pitch, _, _ in voice["notes"]}
    assert heard == {n.pitch for t in transcription.tracks for n in t.notes}
    if tempo is not None:
        assert f"Q:1/4={round(doc.tempo_at(0))}" in result.text


# Several tunes per example, so one node process checks them all as a tunebook.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(transcriptions(), st.one_of(st.none(), st.floats(40.0, 240.0))), min_size=1, max_size=5))
def test_any_notes_render_cleanly_in_full_bars_with_every_pitch_at_its_onset(cases):
    docs = [engrave(transcription, title="Property", tempo_bpm=tempo) for transcription, tempo in cases]
    results = [score_to_abc(doc) for doc in docs]
    reports = abcjs_reports([r.text for r in results])
    for (transcription, tempo), result, report, doc in zip(cases, results, reports, docs):
        check(transcription, tempo, result, report, doc)
