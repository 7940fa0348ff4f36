"""The benchmark's scoring on hand-written note lists: no audio, no model."""
from __future__ import annotations

import math

import pytest

import numpy as np

from bench.metrics import (
    NoteCounts, StageTiming, count_by_instrument, count_matches, measure, midi_to_hz, note_arrays, sdr,
)
from bench.render import drum_groove, playable, truncate
from ml.notes import Note, Track

# Two bars of a C major arpeggio and a held chord: enough to tell notes apart.
REFERENCE = [
    Note(60, 0.0, 0.5),
    Note(64, 0.5, 1.0),
    Note(67, 1.0, 1.5),
    Note(72, 1.5, 2.0),
    Note(48, 2.0, 4.0),
    Note(55, 2.0, 4.0),
    Note(64, 2.0, 4.0),
]


def shifted(note: Note, *, onset: float = 0.0, offset: float = 0.0, pitch: int = 0) -> Note:
    return Note(note.pitch + pitch, note.onset + onset, note.offset + offset, note.velocity)


def test_a_perfect_transcription_scores_one_on_every_measure():
    counts = count_matches(REFERENCE, list(REFERENCE))

    assert (counts.onset_precision, counts.onset_recall, counts.onset_f1) == (1.0, 1.0, 1.0)
    assert (counts.offset_precision, counts.offset_recall, counts.offset_f1) == (1.0, 1.0, 1.0)
    assert counts.median_onset_error == 0.0


def test_order_of_the_estimate_does_not_matter():
    assert count_matches(REFERENCE, list(reversed(REFERENCE))).onset_f1 == 1.0


def test_an_onset_within_50_ms_is_found():
    estimate = [shifted(REFERENCE[0], onset=0.049), *REFERENCE[1:]]

    counts = count_matches(REFERENCE, estimate)

    assert counts.onset_matches == len(REFERENCE)
    assert counts.median_onset_error == pytest.approx(0.0)
    assert max(counts.onset_errors) == pytest.approx(0.049)


def test_an_onset_shifted_beyond_50_ms_is_a_miss_and_a_false_alarm():
    estimate = [shifted(REFERENCE[0], onset=0.06), *REFERENCE[1:]]

    counts = count_matches(REFERENCE, estimate)

    n = len(REFERENCE)
    assert counts.onset_matches == n - 1
    assert counts.onset_recall == pytest.approx((n - 1) / n)
    assert counts.onset_precision == pytest.approx((n - 1) / n)
    assert counts.onset_f1 == pytest.approx((n - 1) / n)


def test_late_offsets_cost_only_the_onset_offset_score():
    # 20% of a 2 s note is 0.4 s: 0.3 s late is within tolerance, 0.5 s is not.
    estimate = [*REFERENCE[:4], shifted(REFERENCE[4], offset=0.3), shifted(REFERENCE[5], offset=0.5), REFERENCE[6]]

    counts = count_matches(REFERENCE, estimate)

    assert counts.onset_f1 == 1.0
    assert counts.offset_matches == len(REFERENCE) - 1


def test_short_notes_get_at_least_50_ms_of_offset_tolerance():
    reference = [Note(60, 0.0, 0.1)]  # 20% would be only 20 ms

    assert count_matches(reference, [Note(60, 0.0, 0.145)]).offset_matches == 1
    assert count_matches(reference, [Note(60, 0.0, 0.16)]).offset_matches == 0


def test_pitches_are_compared_in_hz_so_a_semitone_off_is_wrong():
    estimate = [shifted(REFERENCE[0], pitch=1), *REFERENCE[1:]]

    assert count_matches(REFERENCE, estimate).onset_matches == len(REFERENCE) - 1


def test_midi_to_hz_follows_equal_temperament_from_a440():
    assert midi_to_hz([69, 81, 57, 60, 21]) == pytest.approx([440.0, 880.0, 220.0, 261.6256, 27.5], rel=1e-6)


def test_note_arrays_are_what_mir_eval_expects():
    intervals, hz = note_arrays([Note(69, 0.5, 1.25), Note(60, 1.0, 2.0)])

    assert intervals.tolist() == [[0.5, 1.25], [1.0, 2.0]]
    assert hz == pytest.approx([440.0, 261.6256], rel=1e-6)
    empty_intervals, empty_hz = note_arrays([])
    assert empty_intervals.shape == (0, 2) and empty_hz.shape == (0,)


def test_nothing_found_scores_zero_and_silence_for_silence_scores_one():
    missed = count_matches(REFERENCE, [])
    assert (missed.onset_recall, missed.onset_f1) == (0.0, 0.0)

    invented = count_matches([], REFERENCE)
    assert (invented.onset_precision, invented.onset_f1) == (0.0, 0.0)

    silence = count_matches([], [])
    assert silence.onset_f1 == 1.0 and silence.offset_f1 == 1.0


def test_counts_add_up_over_pieces_as_pooled_notes():
    perfect = count_matches(REFERENCE, REFERENCE)
    half = count_matches(REFERENCE[:4], REFERENCE[:2])

    total = perfect + half

    assert (total.reference, total.estimated, total.onset_matches) == (11, 9, 9)
    assert total.onset_recall == pytest.approx(9 / 11)
    assert total.onset_precision == 1.0
    assert sum([perfect, half], NoteCounts()).onset_f1 == total.onset_f1


def test_notes_are_matched_only_within_their_instrument():
    bass_line = [Note(40, 0.0, 1.0), Note(43, 1.0, 2.0)]
    reference = [Track("Bass", "bass", 33, notes=bass_line), Track("Guitar", "guitar", 25, notes=REFERENCE)]
    # The guitar track holds the bass notes too: they must count as the guitar's false alarms.
    estimate = [Track("Guitar", "guitar", 25, notes=[*REFERENCE, *bass_line])]

    counts = count_by_instrument(reference, estimate)

    assert list(counts) == ["bass", "guitar"]
    assert counts["bass"].onset_recall == 0.0
    assert counts["guitar"].onset_recall == 1.0
    assert counts["guitar"].onset_precision == pytest.approx(len(REFERENCE) / (len(REFERENCE) + 2))


def test_tracks_of_one_instrument_are_pooled_and_extra_instruments_reported():
    reference = [
        Track("Violin I", "vocals", 53, notes=REFERENCE[:4]),
        Track("Violin II", "vocals", 53, notes=REFERENCE[4:]),
    ]
    estimate = [
        Track("Vocals", "vocals", 53, notes=REFERENCE),
        Track("Drums", "drums", 0, is_drum=True, notes=[Note(36, 0.0, 0.1)]),
    ]

    counts = count_by_instrument(reference, estimate)

    assert counts["vocals"].onset_f1 == 1.0
    assert counts["drums"].reference == 0 and counts["drums"].onset_precision == 0.0


def test_real_time_factor_is_wall_time_over_audio_time():
    timing = StageTiming("transcribe", audio_seconds=30.0, wall_seconds=15.0, cpu_seconds=45.0)

    assert timing.real_time_factor == 0.5
    assert timing.cpu_time_factor == 1.5
    assert StageTiming("load model", audio_seconds=0.0, wall_seconds=2.0).real_time_factor is None


def test_measure_fills_in_time_and_peak_memory():
    with measure("work", audio_seconds=1.0) as timing:
        sum(range(100_000))

    assert timing.wall_seconds > 0
    assert timing.cpu_seconds is not None and timing.cpu_seconds >= 0
    assert timing.peak_rss_mb > 10  # a Python process with numpy loaded


# --- Ground truth preparation (bench.render) -------------------------------------------

def test_truncation_drops_late_notes_and_releases_held_ones_at_the_cut():
    notes = truncate(REFERENCE, seconds=3.0)

    assert notes[-3:] == [Note(48, 2.0, 3.0), Note(55, 2.0, 3.0), Note(64, 2.0, 3.0)]
    assert truncate(REFERENCE, seconds=2.0) == REFERENCE[:4]


def test_parts_in_unison_sound_as_one_note_on_one_instrument():
    alto, tenor = Note(64, 1.0, 2.0, 70), Note(64, 1.0, 3.0, 90)

    assert playable([alto, tenor, Note(60, 1.0, 2.0)]) == [Note(60, 1.0, 2.0), Note(64, 1.0, 3.0, 90)]


def test_a_pitch_struck_again_ends_the_note_still_sounding():
    held, again = Note(67, 0.0, 2.0), Note(67, 1.0, 1.5)

    assert playable([held, again]) == [Note(67, 0.0, 1.0), Note(67, 1.0, 1.5)]


def test_the_drum_groove_keeps_time_with_the_piece():
    groove = drum_groove(tempo_bpm=120.0, seconds=2.0)  # four beats of half a second

    kicks = [n.onset for n in groove if n.pitch == 36]
    snares = [n.onset for n in groove if n.pitch == 38]
    hats = [n.onset for n in groove if n.pitch == 42]
    assert kicks == [0.0, 1.0] and snares == [0.5, 1.5]
    assert hats == pytest.approx([i * 0.25 for i in range(8)])
    assert all(math.isfinite(n.offset) and n.offset > n.onset for n in groove)


def test_sdr_is_signal_over_error_energy_in_db():
    stem = np.sin(np.linspace(0, 200, 44100))[:, None].repeat(2, axis=1)
    assert sdr(stem, stem) == math.inf  # a perfect separation
    assert sdr(stem, np.zeros_like(stem)) == pytest.approx(0.0)  # nothing found: error = the stem
    assert sdr(stem, 0.5 * stem) == pytest.approx(10 * math.log10(4))  # half as loud: a gain error is distortion
    bleed = stem + 0.1 * np.cos(np.linspace(0, 310, 44100))[:, None]
    assert sdr(stem, bleed) == pytest.approx(10 * math.log10(np.sum(stem**2) / np.sum((bleed - stem) ** 2)))


def test_sdr_compares_the_common_length_and_a_silent_stem_is_minus_infinity():
    stem = np.ones((100, 2))
    assert sdr(stem, np.ones((90, 2))) == math.inf
    assert sdr(np.zeros((100, 2)), stem) == -math.inf
