"""Dynamics, hairpins and articulations read from the performance.

The written score says when notes start in quarter notes; the transcription
says when and how loud they were played, in seconds. Each written note is
matched to the played note of the same pitch nearest its time (through the
score's tempo map, after one global shift that lines the two up), and the
marks follow from what was played:

- dynamics (pp..ff) from each part's velocities, marked where the level moves
  and stays moved for a couple of bars, not on every note;
- hairpins where the velocity rises or falls steadily over several notes;
- staccato where a note was played much shorter than the time it has;
- accents where a note (or chord) is clearly louder than its neighbours.

Pedal marks need pedal events from the transcription model; the note list has
none today, so no pedal spans are written.
"""
from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from ml.notation.score import Event, Note, Part, ScoreDoc, Span
from ml.notes import Note as PlayedNote
from ml.notes import Transcription

# MIDI velocity → the printed level: the bounds lie halfway between the
# velocities notation programs play each mark at (pp 33, p 49, mp 64, mf 80, f 96, ff 112).
_LEVELS = ("pp", "p", "mp", "mf", "f", "ff")
_LEVEL_BOUNDS = (41, 57, 72, 88, 104)
# A written note and a played one are the same note when their onsets lie this close.
_MATCH_SECONDS = 0.12
_MATCH_BEATS = 0.35
# Staccato: played for less than this share of the time until the voice's next note.
_STACCATO_RATIO = 0.5
_STACCATO_MAX_SLOT = Fraction(2)  # quarter notes: longer notes are not "short" however they end
# Accent: this much louder than the median of the neighbouring onsets.
_ACCENT_RISE = 18
_ACCENT_NEIGHBOURS = 3
# Hairpin: a steady change of at least this much velocity over at least this many onsets and beats.
_HAIRPIN_CHANGE = 14
_HAIRPIN_MIN_ONSETS = 4
_HAIRPIN_MIN_QUARTERS = Fraction(3)
_HAIRPIN_SLACK = 4  # velocity a trend may fall back without ending
# A new dynamic holds for this many bars before it is marked (or arrives at a hairpin's end).
_DYNAMIC_HOLD_BARS = 2


def level_of(velocity: float) -> str:
    return _LEVELS[bisect.bisect_right(_LEVEL_BOUNDS, velocity)]


@dataclass(slots=True)
class _Onset:
    """Every written event of one part that starts at one moment, with what was played there."""

    measure: int
    offset: Fraction
    start: Fraction  # quarter notes from the start of the score
    events: list[Event]
    velocity: int | None = None  # loudest matched note


def add_expression(doc: ScoreDoc, transcription: Transcription) -> None:
    """Write dynamics, hairpins, staccato and accents into ``doc`` (in place) from the performance."""
    clock = _Clock(doc)
    pitched_tracks = [t for t in transcription.tracks if not t.is_drum]
    drum_tracks = [t for t in transcription.tracks if t.is_drum]
    pitched_parts = [p for p in doc.parts if not p.is_drum]
    drum_parts = [p for p in doc.parts if p.is_drum]
    pairs: list[tuple[Part, list[PlayedNote]]] = []
    for parts, tracks in ((pitched_parts, pitched_tracks), (drum_parts, drum_tracks)):
        if len(parts) == len(tracks):
            pairs += [(p, list(t.notes)) for p, t in zip(parts, tracks, strict=True)]
        else:  # the engraver merged or split tracks: match each part against all of them
            everything = [n for t in tracks for n in t.notes]
            pairs += [(p, everything) for p in parts]
    written = {part.id: _written_heads(doc, part) for part, _ in pairs}
    shift = _global_shift([(written[p.id], played) for p, played in pairs], clock)
    for part, played in pairs:
        heads = written[part.id]
        matches = _match(heads, played, clock, shift)
        for head in heads:
            if id(head) in matches:
                head.note.velocity = matches[id(head)].velocity
        onsets = _onsets(doc, part, heads, matches)
        _clear_marks(part)
        _articulate(doc, part, heads, matches, clock, shift)
        if part.is_drum:
            continue  # drum dynamics would mostly mark kick-versus-hat balance
        hairpins = _hairpins(part, onsets)
        _dynamics(doc, onsets, hairpins)


class _Clock:
    """Quarter notes from the start of the score ↔ seconds, by the measures' tempo marks."""

    def __init__(self, doc: ScoreDoc):
        self.starts = doc.measure_starts()
        self.seconds: list[float] = []
        self.tempi: list[float] = []
        elapsed = 0.0
        for m, measure in enumerate(doc.measures):
            tempo = doc.tempo_at(m)
            self.seconds.append(elapsed)
            self.tempi.append(tempo)
            elapsed += float(measure.length) * 60.0 / tempo

    def at(self, measure: int, offset: Fraction) -> float:
        return self.seconds[measure] + float(offset) * 60.0 / self.tempi[measure]

    def beat_seconds(self, measure: int) -> float:
        return 60.0 / self.tempi[measure]


@dataclass(slots=True)
class _Head:
    """A written note where it is struck (not a tie's continuation), with its whole written length."""

    note: Note
    event: Event
    measure: int
    offset: Fraction
    start: Fraction
    written: Fraction  # quarter notes, through its ties
    slot: Fraction  # quarter notes until the next event in its voice
    voice_key: tuple[int, int]


def _written_heads(doc: ScoreDoc, part: Part) -> list[_Head]:
    starts = doc.measure_starts()
    by_voice: dict[tuple[int, int], list[tuple[int, Event]]] = defaultdict(list)
    for m, pm in enumerate(part.measures):
        for voice in pm.voices:
            for event in voice.events:
                by_voice[(voice.staff, voice.number)].append((m, event))
    heads: list[_Head] = []
    for key, events in by_voice.items():
        open_ties: dict[int, _Head] = {}  # pitch → the head a tie carries on
        for i, (m, event) in enumerate(events):
            start = starts[m] + event.offset
            next_start = None
            for m2, later in events[i + 1 :]:
                if not later.grace and starts[m2] + later.offset > start:
                    next_start = starts[m2] + later.offset
                    break
            still_open: dict[int, _Head] = {}
            for note in event.notes:
                head = open_ties.get(note.pitch)
                if head is not None and not event.grace:
                    head.written += event.duration
                    if next_start is not None:
                        head.slot = next_start - head.start
                else:
                    duration = Fraction(0) if event.grace else event.duration
                    slot = (next_start - start) if next_start is not None else duration
                    head = _Head(note, event, m, event.offset, start, duration, slot, key)
                    heads.append(head)
                if note.tie:
                    still_open[note.pitch] = head
            open_ties = still_open
    heads.sort(key=lambda h: (h.start, h.note.pitch))
    return heads


def _global_shift(pairs: list[tuple[list[_Head], list[PlayedNote]]], clock: _Clock) -> float:
    """Seconds to add to the written times so they line up with the played ones (the grid's origin)."""
    differences = []
    for heads, played in pairs:
        by_pitch = _by_pitch(played)
        for head in heads[:400]:
            onsets = by_pitch.get(head.note.pitch)
            if not onsets:
                continue
            t = clock.at(head.measure, head.offset)
            i = bisect.bisect_left(onsets[0], t)
            near = [onsets[0][j] - t for j in (i - 1, i) if 0 <= j < len(onsets[0])]
            differences.append(min(near, key=abs))
    if not differences:
        return 0.0
    # The most common difference, not the mean: a few wrong neighbours must not drag it.
    differences.sort()
    window = 0.05
    best = max(differences, key=lambda d: bisect.bisect_right(differences, d + window) - bisect.bisect_left(differences, d - window))
    close = [d for d in differences if abs(d - best) <= window]
    return statistics.median(close)


def _by_pitch(played: list[PlayedNote]) -> dict[int, tuple[list[float], list[PlayedNote]]]:
    groups: dict[int, list[PlayedNote]] = defaultdict(list)
    for note in played:
        groups[note.pitch].append(note)
    out = {}
    for pitch, notes in groups.items():
        notes.sort(key=lambda n: n.onset)
        out[pitch] = ([n.onset for n in notes], notes)
    return out


def _match(heads: list[_Head], played: list[PlayedNote], clock: _Clock, shift: float) -> dict[int, PlayedNote]:
    """``id()`` of each written head → the played note it stands for (nearest unused, same pitch)."""
    by_pitch = _by_pitch(played)
    used: set[int] = set()
    matches: dict[int, PlayedNote] = {}
    for head in heads:
        found = by_pitch.get(head.note.pitch)
        if not found:
            continue
        onsets, notes = found
        t = clock.at(head.measure, head.offset) + shift
        tolerance = max(_MATCH_SECONDS, _MATCH_BEATS * clock.beat_seconds(head.measure))
        i = bisect.bisect_left(onsets, t - tolerance)
        best = None
        while i < len(onsets) and onsets[i] <= t + tolerance:
            if id(notes[i]) not in used and (best is None or abs(onsets[i] - t) < abs(onsets[best] - t)):
                best = i
            i += 1
        if best is not None:
            used.add(id(notes[best]))
            matches[id(head)] = notes[best]
    return matches


def _onsets(doc: ScoreDoc, part: Part, heads: list[_Head], matches: dict[int, PlayedNote]) -> list[_Onset]:
    by_start: dict[Fraction, _Onset] = {}
    for head in heads:
        if head.event.grace:
            continue
        onset = by_start.get(head.start)
        if onset is None:
            onset = by_start[head.start] = _Onset(head.measure, head.offset, head.start, [])
        if head.event not in onset.events:
            onset.events.append(head.event)
        played = matches.get(id(head))
        if played is not None:
            onset.velocity = max(onset.velocity or 0, played.velocity)
    return [by_start[s] for s in sorted(by_start)]


def _clear_marks(part: Part) -> None:
    for pm in part.measures:
        for voice in pm.voices:
            for event in voice.events:
                event.dynamic = None
                event.articulations = [a for a in event.articulations if a not in ("staccato", "accent")]
    part.spans = [s for s in part.spans if s.kind == "pedal"]


def _articulate(doc: ScoreDoc, part: Part, heads: list[_Head], matches: dict, clock: _Clock, shift: float) -> None:
    # Staccato: every struck note of the event played short for its slot.
    ratios: dict[int, list[float]] = defaultdict(list)
    events: dict[int, Event] = {}
    for head in heads:
        played = matches.get(id(head))
        if played is None or head.event.grace or head.slot <= 0:
            continue
        slot_seconds = float(head.slot) * clock.beat_seconds(head.measure)
        ratios[id(head.event)].append(played.duration / slot_seconds if head.slot <= _STACCATO_MAX_SLOT else 1.0)
        events[id(head.event)] = head.event
    for key, values in ratios.items():
        if max(values) < _STACCATO_RATIO:
            events[key].articulations.append("staccato")
    # Accents: an onset clearly louder than the onsets around it.
    onsets = _onsets(doc, part, heads, matches)
    velocities = [o.velocity for o in onsets]
    for i, onset in enumerate(onsets):
        if onset.velocity is None:
            continue
        around = [
            v for v in velocities[max(0, i - _ACCENT_NEIGHBOURS) : i] + velocities[i + 1 : i + 1 + _ACCENT_NEIGHBOURS]
            if v is not None
        ]
        if len(around) >= 2 and onset.velocity >= statistics.median(around) + _ACCENT_RISE:
            event = max(onset.events, key=lambda e: max(n.velocity for n in e.notes))
            if "accent" not in event.articulations:
                event.articulations.append("accent")


def _hairpins(part: Part, onsets: list[_Onset]) -> list[tuple[int, int, str]]:
    """(first onset, last onset, kind) of each steady rise or fall in velocity; also written as Spans."""
    played = [(i, o.velocity) for i, o in enumerate(onsets) if o.velocity is not None]
    if len(played) < _HAIRPIN_MIN_ONSETS:
        return []
    # Smooth over three onsets: chords and accents make single velocities jumpy.
    values = [v for _, v in played]
    smooth = [statistics.median(values[max(0, k - 1) : k + 2]) for k in range(len(values))]
    found: list[tuple[int, int, str]] = []
    k = 0
    while k < len(smooth) - 1:
        for direction, kind in ((1, "crescendo"), (-1, "diminuendo")):
            end, extreme, extreme_at = k, smooth[k], k
            while end + 1 < len(smooth) and direction * (smooth[end + 1] - extreme) >= -_HAIRPIN_SLACK:
                end += 1
                if direction * (smooth[end] - extreme) > 0:
                    extreme, extreme_at = smooth[end], end
            change = direction * (extreme - smooth[k])
            # The hairpin opens where the level starts to move, not over the flat stretch before.
            begin = k
            while begin < extreme_at and direction * (smooth[begin + 1] - smooth[k]) <= 1:
                begin += 1
            first, last = played[begin][0], played[extreme_at][0]
            if (
                change >= _HAIRPIN_CHANGE
                and extreme_at - begin + 1 >= _HAIRPIN_MIN_ONSETS
                and onsets[last].start - onsets[first].start >= _HAIRPIN_MIN_QUARTERS
            ):
                found.append((first, last, kind))
                k = extreme_at
                break
        else:
            k += 1
    staff = 0
    for first, last, kind in found:
        a, b = onsets[first], onsets[last]
        part.spans.append(Span(kind, staff, a.measure, a.offset, b.measure, b.offset))
    return found


def _dynamics(doc: ScoreDoc, onsets: list[_Onset], hairpins: list[tuple[int, int, str]]) -> None:
    """Mark a level at the start and wherever it moves and stays moved, or where a hairpin arrives."""
    bar_velocities: dict[int, list[int]] = defaultdict(list)
    for onset in onsets:
        if onset.velocity is not None:
            bar_velocities[onset.measure].append(onset.velocity)
    bars = sorted(bar_velocities)
    if not bars:
        return
    bar_level = {m: level_of(statistics.median(bar_velocities[m])) for m in bars}
    inside_hairpin: set[int] = set()
    hairpin_ends: dict[int, int] = {}  # onset index → hairpin
    for first, last, _ in hairpins:
        inside_hairpin.update(onsets[i].measure for i in range(first + 1, last + 1))
        hairpin_ends[last] = first
    marks: dict[int, str] = {}  # onset index → level
    current = None
    for position, m in enumerate(bars):
        level = bar_level[m]
        following = bars[position : position + _DYNAMIC_HOLD_BARS]
        holds = all(bar_level[b] == level for b in following)
        if current is None or (level != current and holds and m not in inside_hairpin):
            marks[_first_onset_in(onsets, m)] = level
            current = level
    for last, first in hairpin_ends.items():
        # A hairpin ends at the level it reached (p < f): measured on the notes from its end on.
        after = [o.velocity for o in onsets[last : last + 4] if o.velocity is not None]
        before = [o.velocity for o in onsets[max(0, first - 3) : first + 1] if o.velocity is not None]
        start_level = level_of(statistics.median(before)) if before else None
        end_level = level_of(statistics.median(after)) if after else None
        if start_level and first not in marks and not _marked_before(marks, first, start_level):
            marks[first] = start_level
        if end_level and end_level != start_level:
            marks[last] = end_level
    # Two marks in one bar read as a correction: the later level stands, at the earlier place,
    # unless the later one is where a hairpin arrives.
    ordered = sorted(marks)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if onsets[earlier].measure == onsets[later].measure and later not in hairpin_ends and earlier in marks:
            marks[earlier] = marks.pop(later)
    current = None
    for index in sorted(marks):
        if marks[index] != current:
            _place(onsets[index], marks[index])
            current = marks[index]


def _marked_before(marks: dict[int, str], index: int, level: str) -> bool:
    earlier = [i for i in marks if i <= index]
    return bool(earlier) and marks[max(earlier)] == level


def _first_onset_in(onsets: list[_Onset], measure: int) -> int:
    return next(i for i, o in enumerate(onsets) if o.measure == measure and o.velocity is not None)


def _place(onset: _Onset, level: str) -> None:
    # Piano: the mark goes with the upper staff's event when both hands start together.
    event = max(onset.events, key=lambda e: max(n.pitch for n in e.notes))
    event.dynamic = level
