"""Placed notes → staves and voices: which hand plays what, and where two lines need two voices.

Hands: a split point moves through the piece (a Viterbi path over the chords),
so a melody that dips below middle C stays in the right hand and a bass line
that climbs stays in the left. Each chord costs what a pianist would feel:
notes far from where that hand has just been, a hand stretched beyond a tenth,
more than five notes in a hand, a hand far out of its usual register.

Voices: a staff keeps one voice while its notes follow one another. A note
held while others move on in the same staff (a tied bass under a melody, an
inner line) becomes a second voice for as long as the lines overlap; small
overlaps of a legato line are cut instead, as an engraver would write them.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from ml.notation.rhythm import PlacedNote

MAX_VOICES_PER_STAFF = 2
_SPLITS = np.arange(28, 98)  # notes below the split go to the left hand
_MOVE_COST = 0.15  # per semitone from where the hand was
_STRETCH_LIMIT = 15  # semitones a hand spans comfortably (a tenth, plus slack)
_STRETCH_COST = 2.0  # per semitone beyond it
_CROWD_COST = 3.0  # per note beyond five in one hand
_REGISTER_COST = 0.3  # per semitone: left hand above G4, right hand below G3
_LEFT_CEILING, _RIGHT_FLOOR = 67, 55
_FOLLOW = 0.5  # how fast a hand's position follows its new notes
_HELD = Fraction(1)  # a note held this far past the next onset keeps its own voice


@dataclass(slots=True)
class VoiceEvent:
    start: Fraction
    end: Fraction
    notes: list[PlacedNote]
    grace: bool = False

    @property
    def mean_pitch(self) -> float:
        return sum(n.pitch for n in self.notes) / len(self.notes)


@dataclass(slots=True)
class StaffVoices:
    voices: list[list[VoiceEvent]] = field(default_factory=list)  # upper voice first


def split_hands(notes: Sequence[PlacedNote]) -> tuple[list[PlacedNote], list[PlacedNote]]:
    """(right hand, left hand)."""
    timed = [n for n in notes if not n.grace]
    if not timed:
        return [n for n in notes if n.pitch >= 60], [n for n in notes if n.pitch < 60]
    starts = sorted({n.start for n in timed})
    by_start: dict[Fraction, list[int]] = {s: [] for s in starts}
    for n in timed:
        by_start[n.start].append(n.pitch)
    states = len(_SPLITS)
    cost = np.zeros(states)
    right_at = np.full(states, 67.0)
    left_at = np.full(states, 48.0)
    back = []
    for start in starts:
        pitches = np.array(sorted(by_start[start]), dtype=float)
        right = pitches[None, :] >= _SPLITS[:, None]  # (split, note)
        left = ~right
        # Cost of hand movement depends on the previous state's hand positions.
        move_right = (np.abs(pitches[None, :] - right_at[:, None]))  # (previous, note)
        move_left = (np.abs(pitches[None, :] - left_at[:, None]))
        moves = _MOVE_COST * (right.astype(float) @ move_right.T + left.astype(float) @ move_left.T)  # (split, prev)
        static = np.zeros(states)
        for mask in (right, left):
            count = mask.sum(axis=1)
            high = np.where(mask, pitches[None, :], -np.inf).max(axis=1)
            low = np.where(mask, pitches[None, :], np.inf).min(axis=1)
            span = np.where(count > 0, high - low, 0)
            static += _STRETCH_COST * np.maximum(0, span - _STRETCH_LIMIT) + _CROWD_COST * np.maximum(0, count - 5)
        static += _REGISTER_COST * (
            (np.maximum(0, pitches[None, :] - _LEFT_CEILING) * left).sum(axis=1)
            + (np.maximum(0, _RIGHT_FLOOR - pitches[None, :]) * right).sum(axis=1)
        )
        total = cost[None, :] + moves  # (split, prev)
        previous = np.argmin(total, axis=1)
        cost = total[np.arange(states), previous] + static
        back.append(previous)
        right_at, left_at = _follow(right_at[previous], right, pitches), _follow(left_at[previous], left, pitches)
    split_at: dict[Fraction, int] = {}
    state = int(np.argmin(cost))
    for start, previous in zip(reversed(starts), reversed(back)):
        split_at[start] = int(_SPLITS[state])
        state = int(previous[state])
    right_hand, left_hand = [], []
    for n in notes:
        split = split_at.get(n.start)
        if split is None:  # a grace note before nothing timed: by register
            split = 60
        (right_hand if n.pitch >= split else left_hand).append(n)
    return right_hand, left_hand


def _follow(where: np.ndarray, hand: np.ndarray, pitches: np.ndarray) -> np.ndarray:
    """Each state's hand position moved toward the mean of the notes it now plays."""
    count = hand.sum(axis=1)
    mean = (hand @ pitches) / np.maximum(count, 1)
    return np.where(count > 0, where + _FOLLOW * (mean - where), where)


def assign_voices(notes: Sequence[PlacedNote], *, max_voices: int = MAX_VOICES_PER_STAFF) -> StaffVoices:
    """One staff's notes as voices of non-overlapping events, upper voice first."""
    timed = sorted((n for n in notes if not n.grace), key=lambda n: (n.start, -n.pitch))
    voices: list[list[VoiceEvent]] = []
    index = 0
    while index < len(timed):
        start = timed[index].start
        group = []
        while index < len(timed) and timed[index].start == start:
            group.append(timed[index])
            index += 1
        for chord in _chords_by_end(group):
            _place(voices, chord, start, max_voices)
    _merge_down(voices)
    voices = [v for v in voices if v]
    voices.sort(key=lambda v: -sum(e.mean_pitch for e in v) / len(v))
    if not voices:
        voices = [[]]
    for grace in sorted((n for n in notes if n.grace), key=lambda n: (n.start, n.pitch)):
        _attach_grace(voices, grace)
    for voice in voices:
        voice.sort(key=lambda e: (e.start, not e.grace))
    return StaffVoices(voices)


def _chords_by_end(group: list[PlacedNote]) -> list[VoiceEvent]:
    """Notes struck together: one chord per distinct length (close lengths join the shorter)."""
    chords: list[VoiceEvent] = []
    for note in sorted(group, key=lambda n: n.end):
        if chords and note.end - chords[-1].end <= Fraction(1, 4):
            chords[-1].notes.append(replace(note, end=chords[-1].end))
        else:
            chords.append(VoiceEvent(note.start, note.end, [note]))
    chords.sort(key=lambda c: -c.mean_pitch)
    return chords


def _place(voices: list[list[VoiceEvent]], chord: VoiceEvent, start: Fraction, max_voices: int) -> None:
    struck = {n.pitch for n in chord.notes}
    for voice in voices:
        last = voice[-1]
        # A key struck again stops sounding first: one pitch is never held in two voices.
        if last.start < start < last.end and struck & {n.pitch for n in last.notes}:
            _cut(last, start)
    free = []
    for number, voice in enumerate(voices):
        last = voice[-1]
        if last.end <= start:
            free.append(number)
        elif last.start < start and last.end < start + _HELD and last.end <= chord.end:
            _cut(last, start)  # a legato overlap, not a held note
            free.append(number)
    if free:
        number = min(free, key=lambda v: (abs(voices[v][-1].mean_pitch - chord.mean_pitch), v))
        voices[number].append(chord)
        return
    if len(voices) < max_voices:
        voices.append([chord])
        return
    # No voice free: the one whose note ends first gives way.
    number = min(range(len(voices)), key=lambda v: (voices[v][-1].end, v))
    last = voices[number][-1]
    if last.start == start:  # struck together: one chord, as long as the shorter
        end = min(last.end, chord.end)
        last.notes.extend(chord.notes)
        _cut(last, end)
    else:
        _cut(last, start)
        voices[number].append(chord)


def _cut(event: VoiceEvent, end: Fraction) -> None:
    event.end = end
    event.notes = [replace(n, end=end) for n in event.notes]


def _merge_down(voices: list[list[VoiceEvent]]) -> None:
    """Events of a later voice that overlap nothing in the first move into it: a
    second voice is written only where two lines really sound together."""
    if len(voices) < 2:
        return
    main = voices[0]
    for other in voices[1:]:
        kept, moved = [], []
        starts = [e.start for e in main]  # main's events are in order and never overlap
        for event in other:
            # The only events of main that can overlap: the last one starting before the end.
            i = bisect.bisect_left(starts, event.end) - 1
            if i >= 0 and main[i].end > event.start:
                kept.append(event)
            else:
                moved.append(event)
        other[:] = kept
        main.extend(moved)
        main.sort(key=lambda e: e.start)


def _attach_grace(voices: list[list[VoiceEvent]], grace: PlacedNote) -> None:
    """A grace note joins the voice of the note it leads to (nearest in pitch)."""
    candidates = [
        (abs(e.mean_pitch - grace.pitch), number)
        for number, voice in enumerate(voices)
        for e in voice
        if e.start == grace.start and not e.grace
    ]
    if not candidates:  # its note was cut away: any voice with room at that moment
        candidates = [
            (0.0, number)
            for number, voice in enumerate(voices)
            if not any(e.start < grace.start < e.end for e in voice)
        ]
    if candidates:
        voices[min(candidates)[1]].append(VoiceEvent(grace.start, grace.start, [grace], grace=True))
