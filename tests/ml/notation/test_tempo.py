"""Tempo from note onsets."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.notation import estimate_tempo
from ml.notation.tempo import DEFAULT_BPM, MAX_BPM, MIN_BPM
from ml.notes import Note


def stream(
    bpm: float, *, count: int = 64, per_beat: int = 1, jitter: float = 0.0, seed: int = 0
) -> list[Note]:
    """Equal notes, ``per_beat`` to a beat, starting off zero, downbeats louder."""
    rng = np.random.default_rng(seed)
    spacing = 60.0 / bpm / per_beat
    notes = []
    for i in range(count):
        onset = 0.37 + i * spacing + rng.normal(0.0, jitter)
        notes.append(Note(60 + i % 7, onset, onset + 0.9 * spacing, 100 if i % (4 * per_beat) == 0 else 70))
    return notes


def test_steady_quarter_notes_at_100_bpm():
    assert estimate_tempo(stream(100)) == pytest.approx(100, rel=0.04)


def test_played_timing_a_little_uneven_still_finds_the_beat():
    assert estimate_tempo(stream(100, jitter=0.015)) == pytest.approx(100, rel=0.04)
    assert estimate_tempo(stream(72, jitter=0.015, seed=1)) == pytest.approx(72, rel=0.04)


def octave_error(estimate: float, bpm: float) -> float:
    """Relative error once folded to the same octave: octaves notate the same rhythm."""
    ratio = estimate / bpm
    while ratio > 1.5:
        ratio /= 2
    while ratio < 0.75:
        ratio *= 2
    return abs(ratio - 1)


@pytest.mark.parametrize("bpm", [97, 113, 131, 155])
def test_precise_to_a_fraction_of_a_bpm_so_the_grid_does_not_drift(bpm):
    # 0.2% is a tenth of a beat after 50 beats; whole numbers of frames are too coarse.
    estimate = estimate_tempo(stream(bpm, count=256, per_beat=4, jitter=0.01))
    assert octave_error(estimate, bpm) < 0.002


@pytest.mark.parametrize("bpm", [100, 140, 160])
def test_running_eighths_and_sixteenths_never_read_as_triplets(bpm):
    # Any multiple of the note spacing is a period; a three-note beat would put
    # the rhythm on triplets. Octave errors (x2, /2) notate the same rhythm.
    for per_beat in (2, 4):
        estimate = estimate_tempo(stream(bpm, count=64 * per_beat, per_beat=per_beat, jitter=0.005))
        assert octave_error(estimate, bpm) < 0.02, estimate


def test_too_slow_or_too_fast_folds_by_octaves_into_range():
    assert estimate_tempo(stream(40)) == pytest.approx(80, rel=0.04)
    assert estimate_tempo(stream(260)) == pytest.approx(130, rel=0.04)


def test_notes_without_rhythm_get_the_default():
    assert estimate_tempo([]) == DEFAULT_BPM
    assert estimate_tempo([Note(60, 1.0, 2.0)]) == DEFAULT_BPM
    assert estimate_tempo([Note(60, 1.0, 2.0), Note(64, 1.0, 2.0)]) == DEFAULT_BPM


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda p, on, length: Note(p, on, on + length),
            st.integers(21, 108),
            st.floats(0.0, 120.0, allow_nan=False),
            st.floats(0.01, 3.0, allow_nan=False),
        ),
        max_size=80,
    )
)
def test_any_notes_give_a_written_tempo_in_range(notes):
    assert MIN_BPM <= round(estimate_tempo(notes)) <= MAX_BPM
