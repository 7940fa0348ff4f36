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


def written_name(step: str, alter: int, octave: int) -> str:
    """The note as the score spells it, e.g. "F♯4"."""
    return f"{step}{_ACCIDENTALS.get(alter, '')}{octave}"


def piano_roll_data(doc: ScoreDoc) -> dict[str, Any]:
    """Notes as [event id, note id, part index, staff, MIDI pitch, start, length, written name, grace],
    start and length in quarter notes from the first downbeat; bars as their starts; parts in order."""
    # Floats, not Fractions, inside the loop: this runs on every edit of a 3000-note score.
    starts = [float(s) for s in doc.measure_starts()]
    grace_length = float(GRACE_LENGTH)
    notes: list[list[Any]] = []
    for part_index, part in enumerate(doc.parts):
        for bar_start, part_measure in zip(starts, part.measures):
            for voice in part_measure.voices:
                staff = voice.staff
                for event in voice.events:
                    if not event.notes:
                        continue
                    if event.grace:
                        start, length = bar_start + float(event.offset) - grace_length, grace_length
                    else:
                        start, length = bar_start + float(event.offset), float(event.duration)
                    start, length, grace = round(start, 4), round(length, 4), 1 if event.grace else 0
                    for note in event.notes:
                        notes.append([event.id, note.id, part_index, staff, note.pitch, start, length,
                                      written_name(note.step, note.alter, note.octave), grace])
    tempi, tempo = [], 120.0
    for measure in doc.measures:  # doc.tempo_at for every bar, in one pass
        tempo = measure.tempo or tempo
        tempi.append(tempo)
    end = starts[-1] + float(doc.measures[-1].length) if doc.measures else 0.0
    return {
        "notes": notes,
        "bars": [round(s, 4) for s in starts],
        "end": round(end, 4),
        "tempi": tempi,
        "parts": [{"id": p.id, "name": p.name, "drum": p.is_drum} for p in doc.parts],
    }
