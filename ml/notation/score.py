"""The canonical score: the one notation model every writer reads and every edit changes.

A score is a list of global measures (time signature, key, tempo, chord symbols)
and parts; each part holds, per measure, voices of events. An event is a chord
(one or more notes) or a written rest; gaps between events in a voice are rests
too, which writers fill in. Times are exact fractions of a quarter note.

Every event and every note has an id that never changes while the score is
edited: the ABC writer maps each drawn element back to it, and edits name their
targets by it. New ids come from ``ScoreDoc.new_id``.

The JSON form (``to_dict``/``from_dict``) is what the database stores. It is
versioned: bump ``SCHEMA_VERSION`` and teach ``from_dict`` the old shape whenever
the shape changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

SCHEMA_VERSION = 1

STEPS = "CDEFGAB"
CLEFS = ("treble", "bass", "treble-8vb", "percussion")
DYNAMICS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")
ARTICULATIONS = ("staccato", "accent", "tenuto")
SPAN_KINDS = ("crescendo", "diminuendo", "pedal")
MODES = ("major", "minor")


@dataclass(slots=True)
class Note:
    id: str
    pitch: int  # MIDI number: what sounds
    step: str  # written letter, "C".."B"
    alter: int  # -2..2: flats negative, sharps positive
    octave: int  # scientific: middle C is C4
    velocity: int = 80
    tie: bool = False  # tied into the same pitch in the voice's next event (maybe next measure)


@dataclass(slots=True)
class Event:
    """A chord, a single note, or (no notes) a written rest, at one time in one voice."""

    id: str
    offset: Fraction  # quarter notes from the start of its measure
    duration: Fraction  # quarter notes; the writers split unwritable values into tied pieces
    notes: list[Note] = field(default_factory=list)
    dynamic: str | None = None  # one of DYNAMICS, shown at this event
    articulations: list[str] = field(default_factory=list)  # of ARTICULATIONS
    grace: bool = False  # a grace note: duration is its written value, it takes no time

    @property
    def end(self) -> Fraction:
        return self.offset if self.grace else self.offset + self.duration

    @property
    def is_rest(self) -> bool:
        return not self.notes


@dataclass(slots=True)
class Voice:
    staff: int  # index into Part.staves
    number: int  # 1-based within the part, as notation programs count them
    events: list[Event] = field(default_factory=list)  # by offset, never overlapping


@dataclass(slots=True)
class PartMeasure:
    voices: list[Voice] = field(default_factory=list)


@dataclass(slots=True)
class Staff:
    clef: str  # one of CLEFS
    tablature: bool = False  # also shown as guitar tablature


@dataclass(slots=True)
class Span:
    """A mark over a stretch of music: a hairpin or a piano pedal."""

    kind: str  # one of SPAN_KINDS
    staff: int
    start_measure: int  # index into ScoreDoc.measures
    start_offset: Fraction
    end_measure: int
    end_offset: Fraction


@dataclass(slots=True)
class Part:
    id: str
    name: str
    instrument: str  # pipeline registry key, e.g. "piano"
    program: int  # General MIDI, 0-based
    is_drum: bool
    staves: list[Staff]
    measures: list[PartMeasure]  # exactly one per ScoreDoc measure
    spans: list[Span] = field(default_factory=list)


@dataclass(slots=True)
class ChordSymbol:
    offset: Fraction  # quarter notes into the measure
    symbol: str  # as printed: "C", "Am7", "G/B"


@dataclass(slots=True)
class Measure:
    """What every part shares at one bar: the effective meter, key and tempo."""

    time: tuple[int, int]  # (beats, beat type), e.g. (6, 8)
    key_fifths: int  # -7..7: flats negative
    mode: str  # one of MODES
    length: Fraction  # quarter notes this bar holds: less than the meter's in a pickup
    tempo: float | None = None  # quarter notes per minute, marked at the downbeat where it changes
    chords: list[ChordSymbol] = field(default_factory=list)

    @property
    def full_length(self) -> Fraction:
        beats, beat_type = self.time
        return Fraction(4 * beats, beat_type)


@dataclass(slots=True)
class ScoreDoc:
    title: str
    measures: list[Measure]
    parts: list[Part]
    next_id: int = 1  # the next free number for new_id
    # Seconds into the recording at which the first measure starts (None: not known,
    # e.g. a score from before the engraver kept it).
    audio_offset: float | None = None

    def new_id(self, prefix: str) -> str:
        """A fresh id, never used before in this score: "n12" for a note, "e13" for an event."""
        value = f"{prefix}{self.next_id}"
        self.next_id += 1
        return value

    def tempo_at(self, measure_index: int) -> float:
        """The tempo in force at a measure: the last mark at or before it."""
        for measure in reversed(self.measures[: measure_index + 1]):
            if measure.tempo:
                return measure.tempo
        return 120.0

    def measure_starts(self) -> list[Fraction]:
        """Each measure's start in quarter notes from the start of the score."""
        starts, position = [], Fraction(0)
        for measure in self.measures:
            starts.append(position)
            position += measure.length
        return starts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "title": self.title,
            "next_id": self.next_id,
            "measures": [_measure_dict(m) for m in self.measures],
            "parts": [_part_dict(p) for p in self.parts],
        } | ({"audio_offset": self.audio_offset} if self.audio_offset is not None else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreDoc:
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unknown score schema {data.get('schema')!r}")
        return cls(
            title=data["title"],
            next_id=int(data["next_id"]),
            measures=[_measure_from(m) for m in data["measures"]],
            parts=[_part_from(p) for p in data["parts"]],
            audio_offset=float(data["audio_offset"]) if data.get("audio_offset") is not None else None,
        )


def _q(value: Fraction) -> str:
    """Fractions as exact strings ("3/2"), which JSON floats could not keep."""
    return str(value)


def _measure_dict(m: Measure) -> dict[str, Any]:
    return {
        "time": list(m.time),
        "key_fifths": m.key_fifths,
        "mode": m.mode,
        "length": _q(m.length),
        "tempo": m.tempo,
        "chords": [[_q(c.offset), c.symbol] for c in m.chords],
    }


def _measure_from(d: dict[str, Any]) -> Measure:
    return Measure(
        time=(int(d["time"][0]), int(d["time"][1])),
        key_fifths=int(d["key_fifths"]),
        mode=d["mode"],
        length=Fraction(d["length"]),
        tempo=d.get("tempo"),
        chords=[ChordSymbol(Fraction(o), s) for o, s in d.get("chords", [])],
    )


def _part_dict(p: Part) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "instrument": p.instrument,
        "program": p.program,
        "is_drum": p.is_drum,
        "staves": [{"clef": s.clef, "tablature": s.tablature} for s in p.staves],
        "spans": [
            [s.kind, s.staff, s.start_measure, _q(s.start_offset), s.end_measure, _q(s.end_offset)] for s in p.spans
        ],
        "measures": [
            [
                {"staff": v.staff, "number": v.number, "events": [_event_dict(e) for e in v.events]}
                for v in pm.voices
            ]
            for pm in p.measures
        ],
    }


def _part_from(d: dict[str, Any]) -> Part:
    return Part(
        id=d["id"],
        name=d["name"],
        instrument=d["instrument"],
        program=int(d["program"]),
        is_drum=bool(d["is_drum"]),
        staves=[Staff(s["clef"], bool(s.get("tablature", False))) for s in d["staves"]],
        spans=[Span(k, int(st), int(sm), Fraction(so), int(em), Fraction(eo)) for k, st, sm, so, em, eo in d["spans"]],
        measures=[
            PartMeasure(
                voices=[
                    Voice(staff=int(v["staff"]), number=int(v["number"]), events=[_event_from(e) for e in v["events"]])
                    for v in voices
                ]
            )
            for voices in d["measures"]
        ],
    )


def _event_dict(e: Event) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "offset": _q(e.offset),
        "duration": _q(e.duration),
        # Compact rows: a 5-minute piano score has thousands of notes.
        "notes": [[n.id, n.pitch, n.step, n.alter, n.octave, n.velocity, int(n.tie)] for n in e.notes],
    }
    if e.dynamic:
        out["dynamic"] = e.dynamic
    if e.articulations:
        out["articulations"] = list(e.articulations)
    if e.grace:
        out["grace"] = True
    return out


def _event_from(d: dict[str, Any]) -> Event:
    return Event(
        id=d["id"],
        offset=Fraction(d["offset"]),
        duration=Fraction(d["duration"]),
        notes=[Note(i, int(p), s, int(a), int(o), int(v), bool(t)) for i, p, s, a, o, v, t in d["notes"]],
        dynamic=d.get("dynamic"),
        articulations=list(d.get("articulations", [])),
        grace=bool(d.get("grace", False)),
    )
