"""Pitches → letter, octave and accidental."""
from __future__ import annotations

from ml.notation.spelling import LETTERS, shares_a_position, spell_chord


def names(pitches: list[int]) -> list[str]:
    marks = {-1: "b", 0: "", 1: "#"}
    return [f"{LETTERS[s.letter]}{marks[s.alter]}{s.octave}" for s in spell_chord(pitches)]


def test_single_black_keys_take_the_usual_c_major_spelling():
    alone = [names([pitch])[0] for pitch in (61, 63, 66, 68, 70)]
    assert alone == ["C#4", "Eb4", "F#4", "G#4", "Bb4"]


def test_octaves_follow_the_written_letter():
    assert names([21, 59, 60, 108]) == ["A0", "B3", "C4", "C8"]
    assert names([58]) == ["Bb3"]


def test_semitone_neighbours_in_a_chord_get_their_own_positions():
    assert names([60, 61]) == ["C4", "Db4"]
    assert names([69, 70, 72]) == ["A4", "Bb4", "C5"]
    assert names([70, 71]) == ["A#4", "B4"]
    assert names([63, 64]) == ["D#4", "E4"]
    assert names([60, 61, 63]) == ["C4", "Db4", "Eb4"]


def test_three_semitones_in_a_row_cannot_all_be_separated():
    assert shares_a_position(spell_chord([67, 68, 69]))
    assert sorted(s.midi for s in spell_chord([67, 68, 69])) == [67, 68, 69]
