"""Hand-written canonical scores for the writer tests (any part, voice, tie, grace or mark), and the checks every
written ABC must pass whatever the score."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ml.notation.abc import AbcResult
from ml.notation.score import Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice

_SHARP_SPELLING = [("C", 0), ("C", 1), ("D", 0), ("D", 1), ("E", 0), ("F", 0), ("F", 1), ("G", 0), ("G", 1), ("A", 0),
                   ("A", 1), ("B", 0)]
Q = Fraction


class DocBuilder:
    """A ScoreDoc built event by event: ``add(part, measure, offset, duration, 60, 64)``."""

    def __init__(
        self,
        measures: int = 1,
        *,
        time: tuple[int, int] = (4, 4),
        key: int = 0,
        mode: str = "major",
        tempo: float = 120.0,
        title: str = "Test",
    ) -> None:
        full = Fraction(4 * time[0], time[1])
        self.doc = ScoreDoc(
            title=title,
            measures=[Measure(time=time, key_fifths=key, mode=mode, length=full) for _ in range(measures)],
            parts=[],
        )
        self.doc.measures[0].tempo = tempo

    def part(
        self,
        name: str = "Piano",
        *,
        instrument: str = "piano",
        program: int = 0,
        clefs: tuple[str, ...] = ("treble",),
        is_drum: bool = False,
        tablature: bool = False,
    ) -> Part:
        part = Part(
            id=f"p{len(self.doc.parts) + 1}",
            name=name,
            instrument=instrument,
            program=program,
            is_drum=is_drum,
            staves=[Staff(clef=c, tablature=tablature) for c in clefs],
            measures=[PartMeasure(voices=[]) for _ in self.doc.measures],
        )
        self.doc.parts.append(part)
        return part

    def add(
        self,
        part: Part,
        measure: int,
        offset: Fraction | int | str,
        duration: Fraction | int | str,
        *pitches: int | tuple[int, str, int, int],
        staff: int = 0,
        voice: int | None = None,
        tie: bool | tuple[bool, ...] = False,
        grace: bool = False,
        dynamic: str | None = None,
        articulations: tuple[str, ...] = (),
    ) -> Event:
        number = voice if voice is not None else staff * 4 + 1
        voices = part.measures[measure].voices
        target = next((v for v in voices if v.staff == staff and v.number == number), None)
        if target is None:
            target = Voice(staff=staff, number=number)
            voices.append(target)
        ties = tie if isinstance(tie, tuple) else (tie,) * len(pitches)
        notes = [self.note(p, tie=t) for p, t in zip(pitches, ties)]
        event = Event(
            id=self.doc.new_id("e"),
            offset=Fraction(offset),
            duration=Fraction(duration),
            notes=notes,
            dynamic=dynamic,
            articulations=list(articulations),
            grace=grace,
        )
        target.events.append(event)
        target.events.sort(key=lambda e: (e.offset, not e.grace))
        return event

    def note(self, pitch: int | tuple[int, str, int, int], *, tie: bool = False) -> Note:
        """A MIDI number spelled with sharps, or (midi, step, alter, octave) as given."""
        if isinstance(pitch, tuple):
            midi, step, alter, octave = pitch
        else:
            midi = pitch
            step, alter = _SHARP_SPELLING[midi % 12]
            octave = midi // 12 - 1
        return Note(id=self.doc.new_id("n"), pitch=midi, step=step, alter=alter, octave=octave, tie=tie)


def note_ids(doc: ScoreDoc, part_ids: list[str] | None = None) -> list[str]:
    return [
        n.id
        for p in doc.parts
        if part_ids is None or p.id in part_ids
        for pm in p.measures
        for v in pm.voices
        for e in v.events
        for n in e.notes
    ]


def assert_abc_matches_doc(result: AbcResult, report: dict[str, Any], doc: ScoreDoc, part_ids=None) -> None:
    """What every ABC we write must satisfy: abcjs parses it without a warning, every
    voice's bars last exactly their measures, ties join equal pitches, both readings
    of accidentals agree, and the element map holds exactly abcjs's note elements
    with every note id of the score."""
    assert report["warnings"] == []
    lengths = [float(m.length / 4) for m in doc.measures] or [1.0]
    ranges = []
    for voice in report["voices"]:
        assert voice["errors"] == []
        assert len(voice["bars"]) == len(lengths)
        for bar, expected in zip(voice["bars"], lengths):
            assert abs(bar - expected) < 1e-6, (voice["bars"], lengths)
        mismatched = [head for head in voice["heads"] if head[0] != head[1]]
        assert mismatched == [], "accidentals read differently per octave and per letter"
        ranges += [tuple(r) for r in voice["ranges"]]
    drawn = [(e.start_char, e.end_char) for e in result.elements if not e.grace]
    if any(p.staves for p in doc.parts):  # an empty score's one bar rest belongs to no part
        assert sorted(drawn) == sorted(ranges)
    mapped: dict[str, str] = {}
    for element in result.elements:
        for note_id in element.note_ids:
            assert mapped.setdefault(note_id, element.event_id) == element.event_id
    assert sorted(mapped) == sorted(note_ids(doc, part_ids))
