"""How a MIDI pitch is written on a staff: a letter in an octave plus an accidental.

Spelling is independent of ABC syntax; the ABC writer only turns it into text.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LETTERS = "CDEFGAB"
_NATURAL_SEMITONES = (0, 2, 4, 5, 7, 9, 11)

# Black keys in C major: (letter, alter) preferred first, the enharmonic second.
# C#, Eb, F#, G#, Bb are the spellings most C-major music uses.
_BLACK_KEY_SPELLINGS: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {
    1: ((0, 1), (1, -1)),  # C# / Db
    3: ((2, -1), (1, 1)),  # Eb / D#
    6: ((3, 1), (4, -1)),  # F# / Gb
    8: ((4, 1), (5, -1)),  # G# / Ab
    10: ((6, -1), (5, 1)),  # Bb / A#
}


@dataclass(frozen=True, slots=True)
class Spelled:
    midi: int
    step: int  # diatonic staff position: 7 * octave + letter index; middle C (MIDI 60) is 28
    alter: int  # -1 flat, 0 natural, +1 sharp

    @property
    def letter(self) -> int:
        return self.step % 7

    @property
    def octave(self) -> int:
        return self.step // 7


def _spell_as(midi: int, letter: int, alter: int) -> Spelled:
    # Only single accidentals on black keys are used, so the unaltered note is
    # always in the same octave as the sounding one.
    octave = (midi - alter) // 12 - 1
    return Spelled(midi=midi, step=7 * octave + letter, alter=alter)


def _candidates(midi: int) -> tuple[Spelled, ...]:
    pitch_class = midi % 12
    if pitch_class in _BLACK_KEY_SPELLINGS:
        return tuple(_spell_as(midi, letter, alter) for letter, alter in _BLACK_KEY_SPELLINGS[pitch_class])
    return (_spell_as(midi, _NATURAL_SEMITONES.index(pitch_class), 0),)


def spell_chord(pitches: Iterable[int]) -> tuple[Spelled, ...]:
    """Spell simultaneous pitches, avoiding two note heads on one staff position where
    a black key's enharmonic allows it (C and C# become C and Db).

    Clusters such as G-G#-A cannot be separated with single accidentals; those
    keep a shared position. Returned lowest staff position first.
    """
    unique = sorted(set(pitches))
    taken = {_candidates(p)[0].step for p in unique if len(_candidates(p)) == 1}
    spelled: list[Spelled] = []
    for pitch in unique:
        options = _candidates(pitch)
        if len(options) == 1:
            choice = options[0]
        else:
            choice = next((o for o in options if o.step not in taken), options[0])
            taken.add(choice.step)
        spelled.append(choice)
    return tuple(sorted(spelled, key=lambda s: (s.step, s.midi)))


def shares_a_position(notes: tuple[Spelled, ...]) -> bool:
    """Whether two notes of a chord sit on one staff position (G and G# in G-G#-A)."""
    return len({n.step for n in notes}) < len(notes)
