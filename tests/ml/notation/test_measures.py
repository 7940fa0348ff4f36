"""Chords → bars of writable, tied pieces."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml.notation import Chord
from ml.notation.measures import layout_bars, note_values, split_duration


def test_writable_values_from_whole_note_down_to_one_step():
    assert note_values(4) == (16, 12, 8, 6, 4, 3, 2, 1)
    assert note_values(2) == (8, 6, 4, 3, 2, 1)


@pytest.mark.parametrize(
    ("offset", "duration", "parts"),
    [
        (0, 16, [16]),
        (0, 5, [4, 1]),  # quarter tied to a sixteenth
        (0, 7, [6, 1]),
        (4, 12, [12]),  # a dotted half may start on a beat
        (2, 6, [2, 4]),  # not a dotted quarter off the beat
        (1, 15, [1, 2, 12]),
        (3, 2, [1, 1]),  # the beat stays visible
    ],
)
def test_split_into_values_that_may_start_where_they_are(offset, duration, parts):
    assert split_duration(offset, duration, 4) == parts


@given(st.integers(0, 15).flatmap(lambda offset: st.tuples(st.just(offset), st.integers(1, 16 - offset))))
def test_any_span_within_a_bar_splits_exactly_into_writable_values(span):
    offset, duration = span
    parts = split_duration(offset, duration, 4)
    assert sum(parts) == duration
    assert set(parts) <= set(note_values(4))


def layout(*chords: Chord, bar_count: int = 2):
    return layout_bars(chords, bar_count=bar_count, bar_steps=16, steps_per_quarter=4)


def test_every_bar_is_exactly_full_with_rests_in_the_gaps():
    bars = layout(Chord(2, 3, (60,)), Chord(20, 4, (62,)))
    assert [sum(p.duration for p in bar) for bar in bars] == [16, 16]
    assert [(p.offset, p.duration, bool(p.notes)) for p in bars[0]] == [
        (0, 2, False),
        (2, 2, True),
        (4, 1, True),
        (5, 1, False),
        (6, 2, False),
        (8, 8, False),
    ]


def test_a_note_across_the_bar_line_is_split_and_tied():
    bars = layout(Chord(12, 8, (61,)))
    last_of_first, first_of_second = bars[0][-1], bars[1][0]
    assert (last_of_first.duration, last_of_first.tied) == (4, True)
    assert (first_of_second.duration, first_of_second.tied) == (4, False)
    assert [n.midi for n in first_of_second.notes] == [61]


def test_a_chord_with_two_notes_on_one_position_is_cut_at_its_first_piece_not_tied():
    bars = layout(Chord(8, 12, (67, 68, 69)))
    assert [(p.offset, p.duration, bool(p.notes), p.tied) for p in bars[0]] == [
        (0, 8, False, False),
        (8, 8, True, False),
    ]
    assert [(p.duration, bool(p.notes)) for p in bars[1]] == [(16, False)]
