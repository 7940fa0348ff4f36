"""What the piano roll beside the staff draws: every note of the canonical score
with its start and length in quarter notes from the top of the score, and the
bars and tempi to lay them out and follow the player.

It travels in every editor state (page load, tab switch, each edit), so it is
compact: one short array per note rather than an object.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ml.notation.score import ScoreDoc

# A grace note takes no time in the score; the roll still shows it, as a sliver
# just before the note it leans on.
GRACE_LENGTH = Fraction(1, 8)
_ACCIDENTALS = {-2: "𝄫", -1: "♭", 0: "", 1: "♯", 2: "𝄪"}


def _quarters(value: Fraction) -> float:
    # Four decimals keep triplets apart and the JSON short.
    return round(float(value), 4)


def written_name(step: str, alter: int, octave: int) -> str:
    """The note as the score spells it, e.g. "F♯4"."""
    return f"{step}{_ACCIDENTALS.get(alter, '')}{octave}"


def piano_roll_data(doc: ScoreDoc) -> dict[str, Any]:
    """Notes as [event id, note id, part index, staff, MIDI pitch, start, length, written name, grace],
    start and length in quarter notes from the first downbeat; bars as their starts; parts in order."""
    starts = doc.measure_starts()
    notes: list[list[Any]] = []
    for part_index, part in enumerate(doc.parts):
        for measure_index, part_measure in enumerate(part.measures):
            bar_start = starts[measure_index]
            for voice in part_measure.voices:
                for event in voice.events:
                    if event.grace:
                        start, length = bar_start + event.offset - GRACE_LENGTH, GRACE_LENGTH
                    else:
                        start, length = bar_start + event.offset, event.duration
                    for note in event.notes:
                        notes.append([
                            event.id, note.id, part_index, voice.staff, note.pitch, _quarters(start),
                            _quarters(length), written_name(note.step, note.alter, note.octave), 1 if event.grace else 0,
                        ])
    tempi, tempo = [], 120.0
    for measure in doc.measures:  # doc.tempo_at for every bar, in one pass
        tempo = measure.tempo or tempo
        tempi.append(tempo)
    end = starts[-1] + doc.measures[-1].length if doc.measures else Fraction(0)
    return {
        "notes": notes,
        "bars": [_quarters(s) for s in starts],
        "end": _quarters(end),
        "tempi": tempi,
        "parts": [{"id": p.id, "name": p.name, "drum": p.is_drum} for p in doc.parts],
    }
