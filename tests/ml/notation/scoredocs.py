"""Small hand-written ScoreDocs for the notation tests: bars of notes given as MIDI pitches."""
from __future__ import annotations

from fractions import Fraction

from ml.notation.score import Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice


def doc_from_bars(*staves: list[list[tuple]], time=(4, 4), title="test", instrument="piano") -> ScoreDoc:
    """One part; each staff is a list of bars, each bar a list of (offset, duration, pitches[, velocity]).

    Every note starts out spelled as C major's naive choice (sharps), as an
    engraver without key analysis would write it.
    """
    bar_count = max(len(bars) for bars in staves)
    length = Fraction(4 * time[0], time[1])
    doc = ScoreDoc(
        title=title,
        measures=[Measure(time=time, key_fifths=0, mode="major", length=length) for _ in range(bar_count)],
        parts=[],
    )
    doc.measures[0].tempo = 120.0
    part = Part(
        id="p1", name="Piano", instrument=instrument, program=0, is_drum=False,
        staves=[Staff("treble" if i == 0 else "bass") for i in range(len(staves))],
        measures=[PartMeasure() for _ in range(bar_count)],
    )
    for staff_index, bars in enumerate(staves):
        for m in range(bar_count):
            voice = Voice(staff=staff_index, number=staff_index * 4 + 1)
            for item in bars[m] if m < len(bars) else []:
                offset, duration, pitches = item[:3]
                velocity = item[3] if len(item) > 3 else 80
                if isinstance(pitches, int):
                    pitches = [pitches]
                notes = [naive_note(doc, p, velocity) for p in pitches]
                voice.events.append(Event(doc.new_id("e"), Fraction(offset), Fraction(duration), notes))
            part.measures[m].voices.append(voice)
    doc.parts.append(part)
    return doc


_SHARPS = [("C", 0), ("C", 1), ("D", 0), ("D", 1), ("E", 0), ("F", 0), ("F", 1), ("G", 0), ("G", 1), ("A", 0), ("A", 1), ("B", 0)]


def naive_note(doc: ScoreDoc, pitch: int, velocity: int = 80) -> Note:
    step, alter = _SHARPS[pitch % 12]
    return Note(doc.new_id("n"), pitch, step, alter, pitch // 12 - 1, velocity)


def name(note: Note) -> str:
    return note.step + ("#" * note.alter if note.alter > 0 else "b" * -note.alter) + str(note.octave)


def all_notes(doc: ScoreDoc):
    for part in doc.parts:
        for pm in part.measures:
            for voice in pm.voices:
                for event in voice.events:
                    yield from event.notes


def melody(doc: ScoreDoc, staff: int = 0) -> list[str]:
    out = []
    for pm in doc.parts[0].measures:
        for voice in pm.voices:
            if voice.staff == staff:
                for event in voice.events:
                    out.append(" ".join(name(n) for n in sorted(event.notes, key=lambda n: n.pitch)))
    return out
