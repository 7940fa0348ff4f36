"""Notes in seconds → chords on a rhythmic grid, one event list per staff.

This is the score model the notation writers render: grid steps instead of
seconds, staves instead of tracks. It knows nothing of any notation syntax.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ml.notation.tempo import estimate_tempo
from ml.notes import Note, Track, Transcription

MIDDLE_C = 60
PIANO_PROGRAMS = range(0, 8)  # General MIDI's piano family, 0-based
BEATS_PER_BAR = 4  # 4/4 until metre detection exists


@dataclass(frozen=True, slots=True)
class Grid:
    """Maps seconds to grid steps: step 0 is the downbeat of bar 1."""

    origin: float  # seconds
    step_seconds: float

    def step(self, seconds: float) -> int:
        return round((seconds - self.origin) / self.step_seconds)


@dataclass(frozen=True, slots=True)
class Chord:
    start: int  # grid steps from the start of the score
    duration: int  # grid steps, >= 1
    pitches: tuple[int, ...]  # MIDI, ascending, no duplicates

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Staff:
    clef: str  # "treble" or "bass"
    chords: tuple[Chord, ...]  # by start, never overlapping


@dataclass(frozen=True, slots=True)
class Part:
    """One instrument: a piano gets a braced treble and bass staff, others one staff."""

    name: str
    staves: tuple[Staff, ...]


@dataclass(frozen=True, slots=True)
class QuantizedScore:
    tempo_bpm: int  # quarter notes per minute; the grid was built from this value
    steps_per_quarter: int
    bar_count: int  # every staff spans exactly this many bars
    parts: tuple[Part, ...]

    @property
    def bar_steps(self) -> int:
        return BEATS_PER_BAR * self.steps_per_quarter


def quantize_transcription(
    transcription: Transcription, *, tempo_bpm: float | None = None, steps_per_quarter: int = 4
) -> QuantizedScore:
    """Snap every pitched note to a grid of ``steps_per_quarter`` steps per beat.

    The tempo is estimated from the notes when not given. The first onset becomes
    the downbeat of bar 1. Drum tracks are skipped: they need a percussion staff,
    which this engine does not write yet.
    """
    if tempo_bpm is None:
        # Drums too: they are not written yet, but they carry the beat best.
        tempo_bpm = estimate_tempo(n for t in transcription.tracks for n in t.notes)
    if tempo_bpm <= 0:
        raise ValueError(f"tempo must be positive, got {tempo_bpm}")
    if steps_per_quarter not in (1, 2, 4, 8):
        raise ValueError(f"steps_per_quarter must be 1, 2, 4 or 8, got {steps_per_quarter}")
    # The grid uses the tempo as written in the score, so score time and audio time agree.
    tempo = max(1, round(tempo_bpm))
    tracks = [t for t in transcription.tracks if not t.is_drum]
    onsets = [n.onset for t in tracks for n in t.notes]
    grid = Grid(origin=min(onsets, default=0.0), step_seconds=60.0 / tempo / steps_per_quarter)
    parts = tuple(_part(track, grid) for track in tracks) or (Part(name="", staves=(Staff("treble", ()),)),)
    last_step = max((c.end for p in parts for s in p.staves for c in s.chords), default=0)
    bar_steps = BEATS_PER_BAR * steps_per_quarter
    return QuantizedScore(
        tempo_bpm=tempo,
        steps_per_quarter=steps_per_quarter,
        bar_count=max(1, math.ceil(last_step / bar_steps)),
        parts=parts,
    )


def _part(track: Track, grid: Grid) -> Part:
    if track.program in PIANO_PROGRAMS:
        treble = [n for n in track.notes if n.pitch >= MIDDLE_C]
        bass = [n for n in track.notes if n.pitch < MIDDLE_C]
        staves = (Staff("treble", chords_on_grid(treble, grid)), Staff("bass", chords_on_grid(bass, grid)))
        return Part(track.name, staves)
    return Part(track.name, (Staff(_clef_for(track.notes), chords_on_grid(track.notes, grid)),))


def _clef_for(notes: list[Note]) -> str:
    if not notes:
        return "treble"
    return "treble" if statistics.median(n.pitch for n in notes) >= MIDDLE_C else "bass"


def chords_on_grid(notes: Iterable[Note], grid: Grid) -> tuple[Chord, ...]:
    """Notes starting on the same step form one chord.

    A chord lasts until its longest note ends or the next chord starts, whichever
    is first: one staff holds one rhythm, so overlaps are cut at the next onset.
    """
    pitches_at: dict[int, set[int]] = defaultdict(set)
    end_at: dict[int, int] = {}
    for note in notes:
        start = grid.step(note.onset)
        end = max(start + 1, grid.step(note.offset))  # every note keeps at least one step
        pitches_at[start].add(note.pitch)
        end_at[start] = max(end_at.get(start, end), end)
    starts = sorted(pitches_at)
    chords = []
    for i, start in enumerate(starts):
        next_start = starts[i + 1] if i + 1 < len(starts) else math.inf
        end = min(end_at[start], next_start)
        chords.append(Chord(start=start, duration=int(end - start), pitches=tuple(sorted(pitches_at[start]))))
    return tuple(chords)
