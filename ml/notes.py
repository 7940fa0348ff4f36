"""The note list: the one data shape every stage after transcription speaks.

Times are in seconds from the start of the recording, pitches are MIDI numbers.
The JSON form (``to_dict``/``from_dict``) is what the database stores per score,
so it is versioned: bump ``SCHEMA_VERSION`` and teach ``from_dict`` the old shape
whenever the shape changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Note:
    pitch: int  # MIDI note number, 0..127
    onset: float  # seconds
    offset: float  # seconds, > onset
    velocity: int = 80  # MIDI velocity, 1..127

    @property
    def duration(self) -> float:
        return self.offset - self.onset


@dataclass(slots=True)
class Track:
    name: str  # what the user sees, e.g. "Piano"
    instrument: str  # registry key, e.g. "piano"
    program: int = 0  # General MIDI program, 0-based
    is_drum: bool = False
    notes: list[Note] = field(default_factory=list)


@dataclass(slots=True)
class Transcription:
    tracks: list[Track]
    duration: float  # seconds of audio that were transcribed

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "duration": self.duration,
            "tracks": [
                {
                    "name": t.name,
                    "instrument": t.instrument,
                    "program": t.program,
                    "is_drum": t.is_drum,
                    # Compact rows keep a 5-minute piano score (~3000 notes) small in JSON.
                    "notes": [[n.pitch, round(n.onset, 4), round(n.offset, 4), n.velocity] for n in t.notes],
                }
                for t in self.tracks
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcription":
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unknown note-list schema {data.get('schema')!r}")
        return cls(
            duration=float(data["duration"]),
            tracks=[
                Track(
                    name=t["name"],
                    instrument=t["instrument"],
                    program=int(t["program"]),
                    is_drum=bool(t["is_drum"]),
                    notes=[Note(int(p), float(on), float(off), int(v)) for p, on, off, v in t["notes"]],
                )
                for t in data["tracks"]
            ],
        )
