"""Any note list at all gives ABC that abcjs parses cleanly, with full bars and every
note at its quantised onset with its exact pitch."""
from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.notation import estimate_tempo, quantize_transcription, to_abc
from ml.notation.spelling import shares_a_position, spell_chord
from ml.notes import Note, Track, Transcription

from . import abcjs_reports, assert_well_formed, played

STEPS_PER_QUARTER = 4


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


def expected_onsets(transcription: Transcription, tempo: int) -> list[set[tuple[int, int]]]:
    """Per voice, {(pitch, onset step)} computed from the input alone: the first
    onset is step 0, the piano splits at middle C."""
    origin = min((n.onset for t in transcription.tracks for n in t.notes), default=0.0)
    step_seconds = 60.0 / tempo / STEPS_PER_QUARTER

    def onsets(selected: list[Note]) -> set[tuple[int, int]]:
        return {(n.pitch, round((n.onset - origin) / step_seconds)) for n in selected}

    piano, *others = transcription.tracks
    treble = onsets([n for n in piano.notes if n.pitch >= 60])
    bass = onsets([n for n in piano.notes if n.pitch < 60])
    return [treble, bass] + [onsets(t.notes) for t in others]


def check(transcription: Transcription, tempo: float | None, abc: str, report: dict[str, Any]) -> None:
    assert_well_formed(report)
    if tempo is None:
        tempo = estimate_tempo(n for t in transcription.tracks for n in t.notes)
    written_tempo = round(tempo)
    assert f"Q:1/4={written_tempo}" in abc.splitlines()

    heard = [played(report, v) for v in range(len(report["voices"]))]
    assert [{(p, start) for p, start, _ in voice} for voice in heard] == expected_onsets(
        transcription, written_tempo
    )

    score = quantize_transcription(transcription, tempo_bpm=written_tempo)
    assert len(report["voices"][0]["bars"]) == score.bar_count
    staves = [staff.chords for part in score.parts for staff in part.staves]
    assert len(staves) == len(heard)
    for chords, voice in zip(staves, heard):
        # Exactly one sounding note per chord member: nothing lost, nothing doubled.
        written = Counter((p, c.start) for c in chords for p in c.pitches)
        assert Counter((p, start) for p, start, _ in voice) == written
        chord_at = {c.start: c for c in chords}
        for _, start, duration in voice:
            chord = chord_at[start]
            if shares_a_position(spell_chord(chord.pitches)):
                assert 1 <= duration <= chord.duration  # such a chord is cut, not tied
            else:
                assert duration == chord.duration


# Several tunes per example, so one node process checks them all as a tunebook.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(transcriptions(), st.one_of(st.none(), st.floats(40.0, 240.0))), min_size=1, max_size=5))
def test_any_notes_render_cleanly_in_full_bars_with_every_pitch_at_its_onset(cases):
    abcs = [to_abc(transcription, title="Property", tempo_bpm=tempo) for transcription, tempo in cases]
    for (transcription, tempo), abc, report in zip(cases, abcs, abcjs_reports(abcs)):
        check(transcription, tempo, abc, report)
