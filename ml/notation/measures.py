"""A staff's chords → bars of writable pieces: rests fill the gaps, notes crossing
a bar line or lasting an unwritable value (5/16) are split into tied pieces."""
from __future__ import annotations

from dataclasses import dataclass

from ml.notation.quantize import Chord
from ml.notation.spelling import Spelled, shares_a_position, spell_chord


@dataclass(frozen=True, slots=True)
class Piece:
    offset: int  # grid steps from the start of its bar
    duration: int  # grid steps; always one of note_values()
    notes: tuple[Spelled, ...]  # empty for a rest
    tied: bool  # every note is tied into the next piece, which holds the same notes


def note_values(steps_per_quarter: int) -> tuple[int, ...]:
    """Durations, in grid steps, that one note head can show: plain values from the
    whole note down to one step, and dotted values whose dot is at least one step.
    Largest first."""
    whole = 4 * steps_per_quarter  # a power of two: the quantiser only accepts those grids
    plain = [whole >> k for k in range(whole.bit_length())]
    dotted = [v + v // 2 for v in plain if 2 <= v < whole]
    return tuple(sorted(set(plain + dotted), reverse=True))


def split_duration(offset: int, duration: int, steps_per_quarter: int) -> list[int]:
    """Split a span starting ``offset`` steps into its bar into writable values, largest
    first among those that may start where the span is (5 at the downbeat is 4 + 1,
    6 after an eighth is 2 + 4). Exact, because one step may start anywhere."""
    values = note_values(steps_per_quarter)
    parts = []
    while duration:
        value = next(v for v in values if v <= duration and offset % _alignment(v, steps_per_quarter) == 0)
        parts.append(value)
        offset += value
        duration -= value
    return parts


def _alignment(value: int, steps_per_quarter: int) -> int:
    """Values of a beat or longer start on a beat, shorter ones on a multiple of
    themselves; a dotted value starts where its undotted double would (a dotted
    eighth on the beat), which keeps the beat visible in the rhythm."""
    is_dotted = value & (value - 1) != 0
    return min(steps_per_quarter, value * 4 // 3 if is_dotted else value)


def layout_bars(
    chords: tuple[Chord, ...], *, bar_count: int, bar_steps: int, steps_per_quarter: int
) -> list[list[Piece]]:
    """Lay a staff's chords out over ``bar_count`` bars, every bar exactly full."""
    bars: list[list[Piece]] = [[] for _ in range(bar_count)]
    cursor = 0
    for chord in chords:
        _place(bars, cursor, chord.start, (), bar_steps, steps_per_quarter)
        notes = spell_chord(chord.pitches)
        cursor = _place(bars, chord.start, chord.end, notes, bar_steps, steps_per_quarter)
    _place(bars, cursor, bar_count * bar_steps, (), bar_steps, steps_per_quarter)
    return bars


def _place(
    bars: list[list[Piece]],
    start: int,
    end: int,
    notes: tuple[Spelled, ...],
    bar_steps: int,
    steps_per_quarter: int,
) -> int:
    """Append the span [start, end) as tied pieces; returns where it really ends.

    A tie joins note heads by staff position (abcjs merges tied notes by position
    too), so a chord with two notes on one position cannot be tied: it is cut to
    its first piece and the gap it leaves becomes a rest.
    """
    spans = []
    position = start
    while position < end:
        bar, offset = divmod(position, bar_steps)
        in_this_bar = min(end, (bar + 1) * bar_steps) - position
        for value in split_duration(offset, in_this_bar, steps_per_quarter):
            spans.append((bar, offset, value))
            offset += value
            position += value
    if shares_a_position(notes):
        spans = spans[:1]
    for i, (bar, offset, value) in enumerate(spans):
        bars[bar].append(Piece(offset=offset, duration=value, notes=notes, tied=i < len(spans) - 1))
    return start + sum(value for _, _, value in spans)
