"""Note-list clean-ups on hand-written inputs: each rule, its edge, and what it must leave alone."""
from __future__ import annotations

from ml.notes import Note
from ml.postprocess import (
    drop_out_of_range,
    drop_quiet_notes,
    drop_short_notes,
    merge_fragments,
    reduce_to_monophonic,
    sort_notes,
)


def test_sort_notes_orders_by_onset_then_pitch():
    notes = [Note(64, 1.0, 2.0), Note(60, 1.0, 2.0), Note(67, 0.5, 1.0)]
    assert sort_notes(notes) == [Note(67, 0.5, 1.0), Note(60, 1.0, 2.0), Note(64, 1.0, 2.0)]


def test_short_notes_are_dropped_and_the_minimum_itself_is_kept():
    notes = [Note(60, 0.0, 0.05), Note(62, 1.0, 1.1), Note(64, 2.0, 2.5)]
    assert drop_short_notes(notes, min_seconds=0.1) == [Note(62, 1.0, 1.1), Note(64, 2.0, 2.5)]


def test_quiet_notes_are_dropped_and_the_threshold_itself_is_kept():
    notes = [Note(60, 0.0, 1.0, velocity=20), Note(62, 0.0, 1.0, velocity=50), Note(64, 0.0, 1.0, velocity=90)]
    assert drop_quiet_notes(notes, min_velocity=50) == [Note(62, 0.0, 1.0, 50), Note(64, 0.0, 1.0, 90)]


def test_notes_outside_the_instruments_range_are_dropped_and_the_limits_kept():
    notes = [Note(27, 0.0, 1.0), Note(28, 0.0, 1.0), Note(67, 0.0, 1.0), Note(68, 0.0, 1.0)]
    assert drop_out_of_range(notes, lowest=28, highest=67) == [Note(28, 0.0, 1.0), Note(67, 0.0, 1.0)]


def test_pieces_of_one_held_note_are_merged_into_one_note():
    pieces = [Note(60, 0.0, 0.3, 90), Note(60, 0.3, 0.6, 110), Note(60, 0.62, 1.0, 70)]
    assert merge_fragments(pieces, max_gap=0.03) == [Note(60, 0.0, 1.0, 110)]


def test_repeated_notes_with_a_real_gap_stay_separate():
    notes = [Note(60, 0.0, 0.4), Note(60, 0.5, 0.9)]
    assert merge_fragments(notes, max_gap=0.03) == notes


def test_merging_never_joins_different_pitches_and_keeps_other_voices():
    notes = [Note(60, 0.0, 0.5), Note(64, 0.0, 1.0), Note(62, 0.5, 1.0), Note(64, 1.0, 1.5)]
    assert merge_fragments(notes, max_gap=0.03) == [Note(60, 0.0, 0.5), Note(64, 0.0, 1.5), Note(62, 0.5, 1.0)]


def test_overlapping_same_pitch_notes_become_one():
    notes = [Note(60, 0.0, 1.0, 80), Note(60, 0.5, 1.5, 90)]
    assert merge_fragments(notes, max_gap=0.0) == [Note(60, 0.0, 1.5, 90)]


def test_monophonic_keeps_the_loudest_of_simultaneous_notes():
    # A sung A3 with its octave and twelfth detected at (almost) the same time.
    notes = [Note(57, 0.0, 1.0, 100), Note(69, 0.01, 1.0, 60), Note(76, 0.02, 0.8, 40)]
    assert reduce_to_monophonic(notes, chord_window=0.05) == [Note(57, 0.0, 1.0, 100)]


def test_monophonic_prefers_a_louder_note_starting_just_after():
    notes = [Note(69, 0.0, 1.0, 40), Note(57, 0.03, 1.0, 100)]
    assert reduce_to_monophonic(notes, chord_window=0.05) == [Note(57, 0.03, 1.0, 100)]


def test_monophonic_drops_a_quieter_ghost_inside_a_held_note():
    notes = [Note(57, 0.0, 2.0, 100), Note(64, 0.8, 1.2, 50)]
    assert reduce_to_monophonic(notes, chord_window=0.05) == [Note(57, 0.0, 2.0, 100)]


def test_monophonic_lets_the_next_melody_note_cut_the_previous_one():
    # Legato: each note rings on a little after the next one starts.
    notes = [Note(60, 0.0, 0.55, 90), Note(62, 0.5, 1.05, 80), Note(64, 1.0, 1.5, 85)]
    assert reduce_to_monophonic(notes, chord_window=0.05) == [
        Note(60, 0.0, 0.5, 90),
        Note(62, 0.5, 1.0, 80),
        Note(64, 1.0, 1.5, 85),
    ]


def test_monophonic_leaves_a_melody_without_overlaps_untouched():
    notes = [Note(60, 0.0, 0.4), Note(62, 0.5, 0.9), Note(60, 1.0, 1.4)]
    assert reduce_to_monophonic(notes, chord_window=0.05) == notes


def test_clean_ups_do_not_change_their_input():
    notes = [Note(60, 0.3, 0.6, 110), Note(60, 0.0, 0.3, 90)]
    before = list(notes)
    merge_fragments(notes, max_gap=0.03)
    reduce_to_monophonic(notes, chord_window=0.05)
    drop_short_notes(notes, min_seconds=1.0)
    assert notes == before
