"""Where each General MIDI drum sits on a five-line percussion staff.

Positions follow the common drum-kit key (Weinberg's "Guide to Standardized
Drumset Notation", which MuseScore and Sibelius default to), given as the
treble-clef note on that line or space: bass drum in the bottom space, snare
on the third space, toms from the top space down, hi-hat and cymbals above
the staff. Hands are written in voice 1 (stems up), feet in voice 2.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DrumPosition:
    step: str
    octave: int
    foot: bool = False  # played by a foot: the lower voice


_KICK = DrumPosition("F", 4, foot=True)
_SNARE = DrumPosition("C", 5)
_HI_HAT = DrumPosition("G", 5)
_CRASH = DrumPosition("A", 5)
_RIDE = DrumPosition("F", 5)

DRUM_POSITIONS: dict[int, DrumPosition] = {
    35: _KICK,  # acoustic bass drum
    36: _KICK,  # bass drum 1
    37: _SNARE,  # side stick
    38: _SNARE,  # acoustic snare
    39: DrumPosition("E", 5),  # hand clap
    40: _SNARE,  # electric snare
    41: DrumPosition("G", 4),  # low floor tom
    42: _HI_HAT,  # closed hi-hat
    43: DrumPosition("A", 4),  # high floor tom
    44: DrumPosition("D", 4, foot=True),  # pedal hi-hat
    45: DrumPosition("B", 4),  # low tom
    46: _HI_HAT,  # open hi-hat
    47: DrumPosition("B", 4),  # low-mid tom
    48: DrumPosition("D", 5),  # hi-mid tom
    49: _CRASH,  # crash cymbal 1
    50: DrumPosition("E", 5),  # high tom
    51: _RIDE,  # ride cymbal 1
    52: _CRASH,  # Chinese cymbal
    53: _RIDE,  # ride bell
    54: DrumPosition("E", 5),  # tambourine
    55: _CRASH,  # splash cymbal
    56: DrumPosition("E", 5),  # cowbell
    57: _CRASH,  # crash cymbal 2
    59: _RIDE,  # ride cymbal 2
}
_OTHER = DrumPosition("E", 5)  # hand percussion without a kit position: top space


def drum_position(key: int) -> DrumPosition:
    return DRUM_POSITIONS.get(key, _OTHER)
