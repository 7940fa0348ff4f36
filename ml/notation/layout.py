"""One voice of one measure of a ``ScoreDoc`` → the pieces a writer draws.

Both writers (ABC and MusicXML) lay the music out here, so they show the same
note heads. A piece is one drawn head (note, chord or rest) of a writable value:
gaps between events become rests, events crossing a beat are split into tied
pieces the way engravers write them, and durations that are not binary (a third
of a quarter) are written as tuplets whose brackets come from the durations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

from ml.notation.score import Event, Measure, Note

# Written values, in quarter notes, from the breve down to the 64th (abcjs draws
# nothing shorter); dotted ones too.
PLAIN_VALUES = tuple(Fraction(8) / 2**k for k in range(8))
# No dotted 64th: every value is then a whole number of 64ths, so splitting never
# strands a piece on a grid finer than anything abcjs can draw.
WRITABLE_VALUES = tuple(
    sorted({*PLAIN_VALUES, *(v * Fraction(3, 2) for v in PLAIN_VALUES[1:] if v >= Fraction(1, 8))}, reverse=True)
)
_ONE = Fraction(1)
MAX_TUPLET_NOTES = 9


@dataclass(frozen=True, slots=True)
class Tuplet:
    """``actual`` notes in the time of ``normal`` (3:2 for a triplet)."""

    actual: int
    normal: int
    count: int  # how many pieces the bracket holds
    start: bool  # this piece opens the bracket
    stop: bool  # this piece closes it


@dataclass(slots=True)
class Piece:
    offset: Fraction  # quarters from the start of the measure (sounding time)
    duration: Fraction  # quarters it sounds
    written: Fraction  # the value drawn, in quarters: plain or dotted (a triplet eighth is an eighth)
    event: Event | None  # None for a rest filling a gap
    first: bool = True  # the first piece of its event: carries dynamics, articulations, graces
    last: bool = True  # the last piece of its event: its notes' ties lead to the next event
    tuplet: Tuplet | None = None
    graces: list[Event] = field(default_factory=list)

    @property
    def notes(self) -> list[Note]:
        return self.event.notes if self.event is not None else []

    @property
    def is_rest(self) -> bool:
        return not self.notes

    @property
    def dotted(self) -> bool:
        return self.written not in PLAIN_VALUES

    @property
    def plain(self) -> Fraction:
        """The undotted value: an eighth for a dotted eighth."""
        return self.written * Fraction(2, 3) if self.dotted else self.written

    def tied_to_next_piece(self) -> bool:
        """Every note goes on into the next piece of the same event."""
        return not self.last and not self.is_rest


def beat_length(time: tuple[int, int]) -> Fraction:
    """The beat in quarters: a dotted quarter in 6/8, 9/8, 12/8; the beat type otherwise."""
    beats, beat_type = time
    if beat_type >= 8 and beats % 3 == 0 and beats > 3:
        return Fraction(12, beat_type)
    return Fraction(4, beat_type)


def layout_voice(events: list[Event], measure: Measure, *, split_at: tuple[Fraction, ...] = ()) -> list[Piece]:
    """The pieces of one voice in one measure, exactly filling ``measure.length``.

    ``split_at`` are extra offsets where a piece must begin (a chord symbol needs a
    head to sit on). Grace events ride on the piece that follows them.
    """
    length = measure.length
    graces: dict[Fraction, list[Event]] = {}
    segments: list[tuple[Fraction, Fraction, Event | None]] = []
    cursor = Fraction(0)
    for event in sorted(events, key=lambda e: (e.offset, not e.grace)):
        if event.grace:
            graces.setdefault(max(event.offset, cursor), []).append(event)
            continue
        start, end = max(event.offset, cursor), min(event.offset + event.duration, length)
        if end <= start:
            continue  # outside the measure or hidden under the previous event: nothing to draw
        if start > cursor:
            segments.append((cursor, start, None))
        segments.append((start, end, event))
        cursor = end
    if cursor < length:
        segments.append((cursor, length, None))
    cuts = sorted({s for s in split_at if 0 < s < length} | {s for s, _, _ in segments} | {length})
    windows = _tuplet_windows(cuts, measure)
    pieces: list[Piece] = []
    for start, end, event in segments:
        first = len(pieces)
        bounds = [start] + [c for c in _window_edges(windows) if start < c < end]
        bounds += [s for s in split_at if start < s < end and s not in bounds]
        bounds = sorted(set(bounds)) + [end]
        for a, b in zip(bounds, bounds[1:]):
            pieces += _split(a, b, event, windows, measure)
        for piece in pieces[first:]:
            piece.first = piece is pieces[first]
            piece.last = piece is pieces[-1]
    _mark_tuplets(pieces, windows)
    _attach_graces(pieces, graces)
    return pieces


@dataclass(frozen=True, slots=True)
class _Window:
    start: Fraction
    end: Fraction
    actual: int  # 1 for plain binary time
    normal: int


def _tuplet_windows(cuts: list[Fraction], measure: Measure) -> list[_Window]:
    """Stretches of the bar with their tuplet ratio: a half note of quarter-note
    triplets, else beat by beat (a quarter, or what remains at the end of the bar)."""
    length = measure.length
    windows: list[_Window] = []
    position = Fraction(0)
    while position < length:
        pair = position + 2
        inside = [c - position for c in cuts if position < c < pair]
        if (
            pair <= length
            and position % 2 == 0
            and inside
            and all((c / Fraction(2, 3)).denominator == 1 for c in inside)
            and any(_odd_part(c.denominator) > 1 for c in inside)
            and not any(c.denominator == 1 for c in inside)
        ):
            windows.append(_Window(position, pair, 3, 2))
            position = pair
            continue
        end = min(position + 1, length)
        odd = 1
        for c in cuts:
            if position < c < end:
                odd = lcm(odd, _odd_part((c - position).denominator))
        windows.append(_Window(position, end, odd, _normal_for(odd)) if odd > 1 else _Window(position, end, 1, 1))
        position = end
    # Neighbouring plain windows are one stretch, so a half note may span two beats.
    merged: list[_Window] = []
    for window in windows:
        if merged and merged[-1].actual == 1 and window.actual == 1:
            merged[-1] = _Window(merged[-1].start, window.end, 1, 1)
        else:
            merged.append(window)
    return merged


def _odd_part(n: int) -> int:
    while n % 2 == 0:
        n //= 2
    return n


def _normal_for(actual: int) -> int:
    """3 in the time of 2, 5 or 7 in the time of 4: the largest power of two below."""
    normal = 1
    while normal * 2 < actual:
        normal *= 2
    return normal


def _window_edges(windows: list[_Window]) -> list[Fraction]:
    return [w.start for w in windows[1:]]


def _window_at(windows: list[_Window], offset: Fraction) -> _Window:
    return next(w for w in windows if w.start <= offset < w.end)


def _split(start: Fraction, end: Fraction, event: Event | None, windows: list[_Window], measure: Measure) -> list[Piece]:
    window = _window_at(windows, start)
    if window.actual == 1:
        values = split_value(start, end - start, measure)
        ratio = _ONE
        position_for = start
    else:
        ratio = Fraction(window.actual, window.normal)
        values = _split_plain((start - window.start) * ratio, (end - start) * ratio, (window.end - window.start) * ratio)
        position_for = start
    pieces = []
    for written in values:
        duration = written / ratio
        pieces.append(Piece(offset=position_for, duration=duration, written=written, event=event))
        position_for += duration
    return pieces


def split_value(offset: Fraction, duration: Fraction, measure: Measure) -> list[Fraction]:
    """Split a span of a bar into writable values as engravers do, largest first:
    a value of a beat or more starts on a beat (and in compound time ends on one),
    a shorter one stays inside its beat on a multiple of its own size, and in a
    four-beat bar nothing but a note from the downbeat or the middle crosses the
    middle. A pickup bar counts its beats from the end, as the full bar would."""
    beat = beat_length(measure.time)
    full = measure.full_length
    shift = full - measure.length if measure.length < full else Fraction(0)
    compound = beat.numerator % 3 == 0
    beats_in_bar = full / beat
    middle = full / 2 if beats_in_bar == 4 else None
    position = offset + shift
    values: list[Fraction] = []
    while duration > 0:
        chosen = None
        for value in WRITABLE_VALUES:
            if value > duration:
                continue
            if _fits(position, value, beat, compound, middle):
                chosen = value
                break
        if chosen is None:  # finer than any rule allows: the largest writable value that is exact
            chosen = next((v for v in WRITABLE_VALUES if v <= duration and (position / v).denominator == 1), duration)
        values.append(chosen)
        position += chosen
        duration -= chosen
    return values


def _fits(position: Fraction, value: Fraction, beat: Fraction, compound: bool, middle: Fraction | None) -> bool:
    if middle is not None and position < middle < position + value and position % middle != 0:
        return False
    if value >= beat:
        if position % beat != 0:
            return False
        return not compound or (position + value) % beat == 0
    beat_start = position - position % beat
    if position + value > beat_start + beat:
        return False
    plain = value * Fraction(2, 3) if value not in PLAIN_VALUES else value
    alignment = plain * 2 if value not in PLAIN_VALUES else plain
    alignment = min(alignment, beat / 3 if compound else beat)
    return (position - beat_start) % alignment == 0


def _split_plain(offset: Fraction, duration: Fraction, span: Fraction) -> list[Fraction]:
    """Inside a tuplet bracket (nominal time): largest writable value on a multiple of itself."""
    values = []
    while duration > 0:
        value = next(
            (
                v
                for v in WRITABLE_VALUES
                if v <= duration and v <= span and (offset % (v * Fraction(2, 3) if v not in PLAIN_VALUES else v)) == 0
            ),
            duration,
        )
        values.append(value)
        offset += value
        duration -= value
    return values


def _mark_tuplets(pieces: list[Piece], windows: list[_Window]) -> None:
    for window in windows:
        if window.actual == 1:
            continue
        inside = [p for p in pieces if window.start <= p.offset < window.end]
        # ABC counts a bracket's notes in one digit: a crowded window gets several brackets.
        for first in range(0, len(inside), MAX_TUPLET_NOTES):
            group = inside[first : first + MAX_TUPLET_NOTES]
            for i, piece in enumerate(group):
                piece.tuplet = Tuplet(window.actual, window.normal, len(group), i == 0, i == len(group) - 1)


def _attach_graces(pieces: list[Piece], graces: dict[Fraction, list[Event]]) -> None:
    for offset, events in graces.items():
        target = next((p for p in pieces if p.offset >= offset), pieces[-1] if pieces else None)
        if target is not None:
            target.graces.extend(events)


def divisions_for(values: list[Fraction]) -> int:
    """The smallest number of divisions per quarter that makes every value whole."""
    result = 1
    for value in values:
        result = lcm(result, value.denominator)
    return result


def span_anchors(heads: list[tuple[int, Fraction]], start: tuple[int, Fraction], end: tuple[int, Fraction]) -> tuple[int, int] | None:
    """Where a hairpin or pedal is drawn among a voice's heads, given as (measure, offset)
    in order: from the head at or before its start to the first head at or after its
    end (the last head when it runs to the end). None when it cannot span two heads."""
    if not heads:
        return None
    first = max((k for k, h in enumerate(heads) if h <= start), default=0)
    last = next((k for k, h in enumerate(heads) if h >= end), len(heads) - 1)
    if last <= first:
        if first + 1 >= len(heads):
            return None
        last = first + 1
    return first, last
