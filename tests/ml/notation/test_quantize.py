"""Seconds → grid steps, chords and staves."""
from __future__ import annotations

import pytest

from ml.notation import Chord, quantize_transcription
from ml.notes import Note, Track, Transcription


def piano(*notes: Note) -> Transcription:
    return Transcription(tracks=[Track(name="Piano", instrument="piano", notes=list(notes))], duration=60.0)


def staves(transcription: Transcription, tempo: float = 60, **kwargs) -> list[tuple[str, tuple[Chord, ...]]]:
    score = quantize_transcription(transcription, tempo_bpm=tempo, **kwargs)
    return [(staff.clef, staff.chords) for part in score.parts for staff in part.staves]


def test_first_onset_is_step_zero_and_onsets_snap_to_the_nearest_sixteenth():
    # At 60 BPM a sixteenth is 0.25 s; 2.0 s of silence before the music is dropped.
    (_, treble), _ = staves(piano(Note(60, 2.0, 2.2), Note(62, 2.27, 2.5), Note(64, 2.62, 3.0)))
    assert [c.start for c in treble] == [0, 1, 2]


def test_offsets_snap_and_every_note_lasts_at_least_one_step():
    (_, treble), _ = staves(piano(Note(60, 0.0, 0.01), Note(62, 1.0, 1.9)))
    assert [(c.start, c.duration) for c in treble] == [(0, 1), (4, 4)]


def test_tempo_is_written_as_a_whole_number_and_the_grid_follows_it():
    score = quantize_transcription(piano(Note(60, 0.0, 1.0), Note(62, 0.6, 1.0)), tempo_bpm=99.6)
    assert score.tempo_bpm == 100
    assert [c.start for c in score.parts[0].staves[0].chords] == [0, 4]  # 0.6 s is one beat at 100


def test_notes_starting_together_form_one_chord_as_long_as_its_longest_note():
    (_, treble), _ = staves(piano(Note(64, 0.0, 0.5), Note(60, 0.02, 1.0), Note(60, 0.0, 0.25)))
    assert treble == (Chord(start=0, duration=4, pitches=(60, 64)),)


def test_a_chord_ends_where_the_next_one_in_its_staff_starts():
    (_, treble), (_, bass) = staves(piano(Note(60, 0.0, 2.0), Note(64, 0.5, 1.0), Note(48, 0.0, 2.0)))
    assert treble == (Chord(0, 2, (60,)), Chord(2, 2, (64,)))
    assert bass == (Chord(0, 8, (48,)),)  # the other staff is not cut


def test_piano_splits_at_middle_c():
    (treble_clef, treble), (bass_clef, bass) = staves(piano(Note(60, 0.0, 1.0), Note(59, 0.0, 1.0)))
    assert (treble_clef, [c.pitches for c in treble]) == ("treble", [(60,)])
    assert (bass_clef, [c.pitches for c in bass]) == ("bass", [(59,)])


def test_other_instruments_get_one_staff_clefed_by_their_middle_pitch_and_drums_are_left_out():
    transcription = Transcription(
        tracks=[
            Track(name="Flute", instrument="flute", program=73, notes=[Note(72, 0, 1), Note(55, 1, 2)]),
            Track(name="Cello", instrument="cello", program=42, notes=[Note(48, 0, 1), Note(62, 1, 2)]),
            Track(name="Drums", instrument="drums", is_drum=True, notes=[Note(36, 0.0, 0.1)]),
        ],
        duration=2.0,
    )
    score = quantize_transcription(transcription, tempo_bpm=60)
    clefs = [(p.name, [s.clef for s in p.staves]) for p in score.parts]
    assert clefs == [("Flute", ["treble"]), ("Cello", ["bass"])]


def test_bar_count_covers_the_last_note_end():
    score = quantize_transcription(piano(Note(60, 0.0, 4.0), Note(60, 4.0, 4.3)), tempo_bpm=60)
    assert score.bar_steps == 16
    assert score.bar_count == 2  # ends at step 17


def test_nothing_to_write_gives_one_empty_bar_on_a_treble_staff():
    score = quantize_transcription(Transcription(tracks=[], duration=0.0), tempo_bpm=60)
    assert score.bar_count == 1
    assert [[(s.clef, s.chords) for s in p.staves] for p in score.parts] == [[("treble", ())]]


def test_grid_size_is_a_parameter():
    (_, treble), _ = staves(piano(Note(60, 0.0, 0.3), Note(62, 0.3, 1.0)), steps_per_quarter=2)
    assert [(c.start, c.duration) for c in treble] == [(0, 1), (1, 1)]  # eighths of 0.5 s


@pytest.mark.parametrize("kwargs", [{"tempo_bpm": 0}, {"tempo_bpm": 60, "steps_per_quarter": 3}])
def test_impossible_grids_are_refused(kwargs):
    with pytest.raises(ValueError):
        quantize_transcription(piano(Note(60, 0.0, 1.0)), **kwargs)
