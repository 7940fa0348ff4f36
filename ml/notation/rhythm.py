"""Notes in seconds → exact positions in beats, on a grid chosen beat by beat.

Each beat is written with one division: straight sixteenths (or eighths of a
compound beat's thirds), triplets, and on slow beats thirty-seconds or
sextuplets. The division whose grid lies closest to the played onsets wins,
after a small cost for the rarer ones, so a stray late note does not turn a
beat into a triplet but three evenly spaced notes do. One beat never mixes
two divisions: that is what lets a writer bracket a triplet.

Very short notes struck just before another, in a passage otherwise slower,
are grace notes: they take no time in the bar and sit with the note they lead to.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ml.notation.beats import BeatGrid
from ml.notes import Note

# Divisions of one beat: (steps per beat, cost in seconds per onset that needs
# them, shortest beat in seconds they are written on: the fine ones only on slow beats).
SIMPLE_DIVISIONS = ((4, 0.0, 0.0), (3, 0.012, 0.0), (8, 0.012, 0.6), (6, 0.02, 0.6))
COMPOUND_DIVISIONS = ((6, 0.0, 0.0), (2, 0.015, 0.0), (12, 0.015, 0.9))
_COLLISION_COST = 0.05  # seconds: two onsets of one pitch snapped together lose a note
_HABIT_SHARE = 0.2  # of the beats with off-beat notes: this division is a habit of the piece
_HABIT_DISCOUNT = 0.25  # what is left of a habitual division's cost
_EARLY = 1 / 16  # an onset this close before a beat belongs to that beat

GRACE_MAX_SECONDS = 0.11  # a grace note is shorter than this ...
GRACE_LEAD_SECONDS = (0.015, 0.11)  # ... and the next onset follows this soon
GRACE_ISOLATION = 2.5  # the note before it is at least this many lead gaps earlier


@dataclass(frozen=True, slots=True)
class PlacedNote:
    """A note at exact positions in beats from the grid's first beat."""

    pitch: int
    start: Fraction
    end: Fraction  # > start; equal to start for a grace note
    velocity: int
    grace: bool = False


def divisions_for(compound: bool, beat_seconds: float) -> tuple[tuple[int, float], ...]:
    options = COMPOUND_DIVISIONS if compound else SIMPLE_DIVISIONS
    return tuple((steps, cost) for steps, cost, shortest in options if beat_seconds >= shortest)


def grace_notes(notes: Sequence[Note]) -> set[int]:
    """Indices (into ``notes``) of notes played as grace notes before another note."""
    order = sorted(range(len(notes)), key=lambda i: (notes[i].onset, notes[i].pitch))
    onsets = [notes[i].onset for i in order]
    near = GRACE_LEAD_SECONDS[0]
    graces = set()
    for rank, i in enumerate(order):
        note = notes[i]
        if note.duration > GRACE_MAX_SECONDS:
            continue
        after = bisect.bisect_right(onsets, note.onset + near)
        if after == len(order):
            continue
        principal = notes[order[after]]
        lead = principal.onset - note.onset
        if lead > GRACE_LEAD_SECONDS[1] or principal.pitch == note.pitch or principal.duration < 2 * lead:
            continue  # too far ahead, a repeated note, or a run of quick notes rather than an ornament
        # Not part of a chord, and not inside a quick passage.
        chord = bisect.bisect_right(onsets, note.onset + near) - bisect.bisect_left(onsets, note.onset - near)
        before = bisect.bisect_left(onsets, note.onset - near)
        if chord > 1 or (before > 0 and note.onset - onsets[before - 1] < GRACE_ISOLATION * lead):
            continue
        graces.add(i)
    return graces


def _snap(fraction: float, steps: int) -> Fraction:
    return Fraction(round(fraction * steps), steps)


def choose_divisions(
    positions: np.ndarray, pitches: Sequence[int], grid: BeatGrid, *, compound: bool
) -> dict[int, int]:
    """Steps per beat for every beat that holds an onset (beats without keep the plain division)."""
    by_beat: dict[int, list[int]] = {}
    beat_of = np.floor(positions + _EARLY).astype(int)
    for k, beat in enumerate(beat_of):
        by_beat.setdefault(int(beat), []).append(k)
    periods = grid.periods

    def choose(discount: dict[int, float]) -> dict[int, int]:
        chosen = {}
        for beat, members in by_beat.items():
            chosen[beat] = _best_division(beat, members, discount)
        return chosen

    def _best_division(beat: int, members: list[int], discount: dict[int, float]) -> int:
        beat_seconds = float(periods[min(max(beat, 0), len(periods) - 1)])
        fractions = positions[members] - beat
        best, best_cost = 0, np.inf
        for steps, extra in divisions_for(compound, beat_seconds):
            extra *= discount.get(steps, 1.0)
            snapped = np.round(fractions * steps) / steps
            error = np.abs(fractions - snapped).sum() * beat_seconds
            plain = divisions_for(compound, beat_seconds)[0][0]
            needs = np.sum(np.abs(snapped * plain - np.round(snapped * plain)) > 1e-9)
            spots = [(pitches[m], s) for m, s in zip(members, snapped)]
            collisions = len(spots) - len(set(spots))
            cost = error + extra * needs + _COLLISION_COST * collisions
            if cost < best_cost - 1e-12:
                best, best_cost = steps, cost
        return best

    first = choose({})
    # A piece that often divides its beats one way is read that way where a beat is unclear.
    plain = divisions_for(compound, 1.0)[0][0]
    divided = [steps for beat, steps in first.items() if _has_offbeats(positions[by_beat[beat]] - beat)]
    discount = {
        steps: _HABIT_DISCOUNT
        for steps in set(divided)
        if steps != plain and divided.count(steps) >= _HABIT_SHARE * len(divided)
    }
    return choose(discount) if discount else first


def _has_offbeats(fractions: np.ndarray) -> bool:
    return bool(np.any(np.abs(fractions - np.round(fractions)) > 0.05))


def place_notes(
    tracks: Sequence[Sequence[Note]], grid: BeatGrid, *, compound: bool, detect_graces: Sequence[bool] | None = None
) -> list[list[PlacedNote]]:
    """Every track's notes at exact beat positions; divisions are chosen over all tracks together."""
    flat = [(t, k, n) for t, notes in enumerate(tracks) for k, n in enumerate(notes)]
    grace_keys: set[tuple[int, int]] = set()
    for t, notes in enumerate(tracks):
        if detect_graces is None or detect_graces[t]:
            grace_keys |= {(t, k) for k in grace_notes(notes)}
    if not flat:
        return [[] for _ in tracks]
    onsets = grid.position(np.array([n.onset for _, _, n in flat]))
    offsets = grid.position(np.array([n.offset for _, _, n in flat]))
    timed = [i for i, (t, k, _) in enumerate(flat) if (t, k) not in grace_keys]
    divisions = choose_divisions(onsets[timed], [flat[i][2].pitch for i in timed], grid, compound=compound)
    plain = 6 if compound else 4

    def snap(position: float) -> tuple[Fraction, int]:
        beat = int(np.floor(position + _EARLY))
        steps = divisions.get(beat, plain)
        return beat + _snap(position - beat, steps), steps

    placed: list[list[PlacedNote]] = [[] for _ in tracks]
    starts: dict[tuple[int, int], Fraction] = {}
    for i in timed:
        t, k, note = flat[i]
        start, steps = snap(float(onsets[i]))
        end, _ = snap(float(offsets[i]))
        end = max(end, start + Fraction(1, steps))
        starts[(t, k)] = start
        placed[t].append(PlacedNote(note.pitch, start, end, note.velocity))
    for i, (t, k, note) in enumerate(flat):
        if (t, k) not in grace_keys:
            continue
        # A grace note sits at the start of the note it leads to.
        following = [
            starts[(t, j)]
            for j, other in enumerate(tracks[t])
            if (t, j) in starts and other.onset > note.onset
        ]
        start = min(following) if following else snap(float(onsets[i]))[0]
        placed[t].append(PlacedNote(note.pitch, start, start, note.velocity, grace=True))
    for notes in placed:
        notes.sort(key=lambda n: (n.start, not n.grace, n.pitch))
    return placed
