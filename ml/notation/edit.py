"""Edits of the canonical score, as a notation program makes them.

Every operation takes a ``ScoreDoc`` and plain JSON-like parameters, changes the
doc in place (or, for "simplify", returns a new one) and keeps these invariants:

- in every voice, events are sorted by offset, never overlap, and end inside their
  measure, so no bar is ever over-full; gaps are rests;
- every part has exactly one ``PartMeasure`` per score measure;
- ids never change and are never reused: new ones come from ``doc.new_id``;
- a note marked ``tie`` is followed, in the next event of its voice, by the same pitch.

``apply_edit(doc, op, params)`` is the single entry point the web app uses: it
validates the parameters, runs the operation and answers which ids to select
afterwards. Bad input raises ``EditError`` with a sentence to show the user,
before anything is changed wherever that can be checked up front.

Operations are deterministic: the same doc and parameters give the same result,
ids included.
"""
from __future__ import annotations

import bisect
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ml.errors import MLError
from ml.notation.score import (
    ARTICULATIONS,
    DYNAMICS,
    MODES,
    STEPS,
    ChordSymbol,
    Event,
    Measure,
    Note,
    Part,
    PartMeasure,
    ScoreDoc,
    Span,
    Voice,
)


class EditError(MLError):
    """An edit that cannot be made, with the reason in words for the person editing."""

    default_message = "That edit cannot be made."


@dataclass
class EditOutcome:
    doc: ScoreDoc
    selection: list[str] = field(default_factory=list)  # event/note ids to select after the edit
    cursor: dict[str, Any] | None = None  # where the next inserted note goes


# ------------------------------------------------------------------ spelling

_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_ORDER = "FCGDAEB"
# In C major the usual spellings of the black keys: C#, Eb, F#, G#, Bb.
_C_MAJOR_BLACK = {1: ("C", 1), 3: ("E", -1), 6: ("F", 1), 8: ("G", 1), 10: ("B", -1)}
MIN_PITCH, MAX_PITCH = 12, 120
SMALLEST_DURATION = Fraction(1, 96)  # any value made of these: 64ths, triplets and quintuplets of 32nds


def key_alters(fifths: int) -> dict[str, int]:
    """The accidental each letter carries in a key signature."""
    alters = dict.fromkeys(STEPS, 0)
    if fifths > 0:
        for letter in _SHARP_ORDER[:fifths]:
            alters[letter] = 1
    elif fifths < 0:
        for letter in reversed(_SHARP_ORDER[fifths:]):
            alters[letter] = -1
    return alters


def _octave_of(pitch: int, alter: int) -> int:
    return (pitch - alter) // 12 - 1


def spell(pitch: int, fifths: int) -> tuple[str, int, int]:
    """(step, alter, octave) for a pitch in a key: the key's own note when the pitch
    is in the scale, otherwise one accidental in the key's direction."""
    pc = pitch % 12
    alters = key_alters(fifths)
    for letter, alter in alters.items():
        if (_NATURAL_PC[letter] + alter) % 12 == pc:
            return letter, alter, _octave_of(pitch, alter)
    for letter, natural in _NATURAL_PC.items():
        if natural == pc:
            return letter, 0, _octave_of(pitch, 0)
    if fifths > 0:
        letter, alter = next((lt, 1) for lt, n in _NATURAL_PC.items() if (n + 1) % 12 == pc)
    elif fifths < 0:
        letter, alter = next((lt, -1) for lt, n in _NATURAL_PC.items() if (n - 1) % 12 == pc)
    else:
        letter, alter = _C_MAJOR_BLACK[pc]
    return letter, alter, _octave_of(pitch, alter)


def enharmonics(pitch: int) -> list[tuple[str, int, int]]:
    """Every way to write a pitch with at most two accidentals, lowest letter first."""
    out = []
    for letter, natural in _NATURAL_PC.items():
        for alter in (-2, -1, 0, 1, 2):
            if (natural + alter) % 12 == pitch % 12:
                out.append((letter, alter, _octave_of(pitch, alter)))
    return out


def _set_pitch(note: Note, pitch: int, fifths: int) -> None:
    note.pitch = pitch
    note.step, note.alter, note.octave = spell(pitch, fifths)


# ------------------------------------------------------------------ parsing params


def _fraction(value: Any, name: str) -> Fraction:
    try:
        result = Fraction(value) if not isinstance(value, float) else Fraction(value).limit_denominator(96)
    except (TypeError, ValueError, ZeroDivisionError):
        raise EditError(f"{name} must be a number of quarter notes such as 1, 1/2 or 3/2, not {value!r}.") from None
    return result


def _duration(value: Any) -> Fraction:
    duration = _fraction(value, "The duration")
    if duration <= 0:
        raise EditError("A duration must be longer than nothing.")
    if (duration / SMALLEST_DURATION).denominator != 1:
        raise EditError(f"{duration} quarter notes cannot be written as notes; pick a note value.")
    return duration


def _int(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EditError(f"{name} must be a whole number, not {value!r}.") from None
    if not low <= number <= high or (isinstance(value, float) and value != number):
        raise EditError(f"{name} must be between {low} and {high}, not {value}.")
    return number


def _ids(value: Any, name: str = "The selection") -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise EditError(f"{name} is empty: select one or more notes first.")
    return list(dict.fromkeys(value))


# ------------------------------------------------------------------ finding things


@dataclass(slots=True)
class Located:
    part: Part
    part_index: int
    measure_index: int
    voice: Voice
    event: Event


def _walk(doc: ScoreDoc) -> Iterator[Located]:
    for pi, part in enumerate(doc.parts):
        for mi, pm in enumerate(part.measures):
            for voice in pm.voices:
                for event in voice.events:
                    yield Located(part, pi, mi, voice, event)


def _locate(doc: ScoreDoc, ids: Iterable[str]) -> tuple[list[Located], list[tuple[Located, Note]]]:
    """The events and notes named by ids (an event id selects the whole event).
    Raises when an id names nothing, so a stale selection is reported, not ignored."""
    wanted = set(ids)
    events: list[Located] = []
    notes: list[tuple[Located, Note]] = []
    found: set[str] = set()
    for loc in _walk(doc):
        if loc.event.id in wanted:
            events.append(loc)
            found.add(loc.event.id)
        for note in loc.event.notes:
            if note.id in wanted:
                notes.append((loc, note))
                found.add(note.id)
    missing = wanted - found
    if missing:
        raise EditError("Part of the selection is no longer in the score (it was changed elsewhere); select again.")
    return events, notes


def _selected_notes(doc: ScoreDoc, ids: list[str]) -> list[tuple[Located, Note]]:
    events, notes = _locate(doc, ids)
    seen = {note.id for _, note in notes}
    for loc in events:
        notes.extend((loc, n) for n in loc.event.notes if n.id not in seen)
    return notes


def _selected_events(doc: ScoreDoc, ids: list[str]) -> list[Located]:
    """Events named directly or through one of their notes, each once, in score order."""
    events, notes = _locate(doc, ids)
    by_id = {loc.event.id: loc for loc in events}
    for loc, _ in notes:
        by_id.setdefault(loc.event.id, loc)
    return sorted(by_id.values(), key=lambda loc: (loc.part_index, loc.measure_index, loc.event.offset))


def _part(doc: ScoreDoc, part_id: Any) -> tuple[int, Part]:
    for index, part in enumerate(doc.parts):
        if part.id == part_id:
            return index, part
    raise EditError(f"There is no part {part_id!r} in this score.")


def _measure_index(doc: ScoreDoc, value: Any) -> int:
    return _int(value, "The measure", 0, len(doc.measures) - 1)


def _voice(part: Part, measure_index: int, staff: int, number: int | None = None) -> Voice:
    """The voice at a cursor; the staff's first voice unless a number is given.
    Created (empty, all rest) when that measure has none yet."""
    voices = part.measures[measure_index].voices
    on_staff = [v for v in voices if v.staff == staff]
    if number is not None:
        for voice in on_staff:
            if voice.number == number:
                return voice
    elif on_staff:
        return min(on_staff, key=lambda v: v.number)
    voice = Voice(staff=staff, number=number if number is not None else _default_voice_number(part, staff))
    voices.append(voice)
    voices.sort(key=lambda v: (v.staff, v.number))
    return voice


def _default_voice_number(part: Part, staff: int) -> int:
    for pm in part.measures:
        numbers = [v.number for v in pm.voices if v.staff == staff]
        if numbers:
            return min(numbers)
    return staff * 4 + 1


def _next_voice(part: Part, measure_index: int, voice: Voice) -> Voice | None:
    if measure_index + 1 >= len(part.measures):
        return None
    for candidate in part.measures[measure_index + 1].voices:
        if candidate.staff == voice.staff and candidate.number == voice.number:
            return candidate
    return None


@dataclass(slots=True)
class Cursor:
    part_index: int
    part: Part
    staff: int
    voice: int | None
    measure: int
    offset: Fraction


def _cursor(doc: ScoreDoc, params: dict[str, Any]) -> Cursor:
    part_index, part = _part(doc, params.get("part"))
    staff = _int(params.get("staff", 0), "The staff", 0, len(part.staves) - 1)
    measure = _measure_index(doc, params.get("measure"))
    offset = _fraction(params.get("offset", 0), "The position in the bar")
    if not 0 <= offset < doc.measures[measure].length:
        raise EditError("The cursor is outside its bar.")
    voice = params.get("voice")
    voice = None if voice in (None, "") else _int(voice, "The voice", 1, 64)
    return Cursor(part_index, part, staff, voice, measure, offset)


# ------------------------------------------------------------------ writing into voices


def _clear(voice: Voice, start: Fraction, end: Fraction) -> None:
    """Make [start, end) a rest: events starting inside go, one reaching in is shortened."""
    kept = []
    for event in voice.events:
        if event.grace:
            if not start <= event.offset < end:
                kept.append(event)
            continue
        if event.end <= start or event.offset >= end:
            kept.append(event)
        elif event.offset < start:
            event.duration = start - event.offset
            kept.append(event)
    voice.events = kept


def _insert_sorted(voice: Voice, event: Event) -> None:
    index = len(voice.events)
    while index > 0 and voice.events[index - 1].offset > event.offset:
        index -= 1
    voice.events.insert(index, event)


def _copy_notes(doc: ScoreDoc, notes: list[Note]) -> list[Note]:
    return [Note(doc.new_id("n"), n.pitch, n.step, n.alter, n.octave, n.velocity, n.tie) for n in notes]


def _place(
    doc: ScoreDoc,
    part: Part,
    voice: Voice,
    measure: int,
    offset: Fraction,
    duration: Fraction,
    event: Event,
) -> list[Event]:
    """Write ``event`` (its id, notes and marks) at a position for ``duration``,
    overwriting what is there. Past the bar line it continues as tied pieces in
    the next bars (new ids), as notation programs do; it stops at the score's end.
    Returns the pieces written, first one ``event`` itself."""
    pieces: list[Event] = []
    remaining = duration
    current_voice, current_measure, current_offset = voice, measure, offset
    original_ties = [n.tie for n in event.notes]
    while remaining > 0:
        room = doc.measures[current_measure].length - current_offset
        length = min(room, remaining)
        if pieces:
            piece = Event(doc.new_id("e"), current_offset, length, _copy_notes(doc, event.notes))
            for note, tie in zip(piece.notes, original_ties, strict=True):
                note.tie = tie
        else:
            piece = event
            piece.offset, piece.duration = current_offset, length
        _clear(current_voice, current_offset, current_offset + length)
        _insert_sorted(current_voice, piece)
        if pieces:
            for note in pieces[-1].notes:
                note.tie = True
        pieces.append(piece)
        remaining -= length
        if remaining <= 0 or current_measure + 1 >= len(doc.measures):
            break
        current_measure += 1
        current_offset = Fraction(0)
        current_voice = _voice(part, current_measure, voice.staff, voice.number)
    return pieces


# ------------------------------------------------------------------ housekeeping


def repair_ties(doc: ScoreDoc) -> None:
    """Drop ties that no longer lead to the same pitch right after (an edit moved,
    deleted or changed the note they led to)."""
    for part in doc.parts:
        for mi, pm in enumerate(part.measures):
            length = doc.measures[mi].length
            for voice in pm.voices:
                events = [e for e in voice.events if not e.grace]
                for index, event in enumerate(events):
                    if not any(n.tie for n in event.notes):
                        continue
                    following: Event | None = None
                    if index + 1 < len(events):
                        if events[index + 1].offset == event.end:
                            following = events[index + 1]
                    elif event.end == length:
                        next_voice = _next_voice(part, mi, voice)
                        if next_voice is not None:
                            first = next((e for e in next_voice.events if not e.grace), None)
                            if first is not None and first.offset == 0:
                                following = first
                    pitches = {n.pitch for n in following.notes} if following else set()
                    for note in event.notes:
                        if note.tie and note.pitch not in pitches:
                            note.tie = False


def layout_problems(doc: ScoreDoc) -> list[str]:
    """What breaks the invariants (empty when the score is sound): tests and the
    service's debug checks call it."""
    problems = []
    seen: set[str] = set()
    for measure_index, measure in enumerate(doc.measures):
        if measure.length <= 0 or measure.length > measure.full_length:
            problems.append(f"measure {measure_index} has length {measure.length}")
        if measure_index > 0 and measure.length != measure.full_length:
            problems.append(f"measure {measure_index} is shorter than its meter")
    for part in doc.parts:
        if len(part.measures) != len(doc.measures):
            problems.append(f"part {part.id} has {len(part.measures)} measures, the score {len(doc.measures)}")
        for mi, pm in enumerate(part.measures[: len(doc.measures)]):
            length = doc.measures[mi].length
            for voice in pm.voices:
                end = Fraction(0)
                for event in voice.events:
                    if event.grace:
                        continue
                    if event.duration <= 0 or event.offset < end or event.end > length:
                        problems.append(f"part {part.id} bar {mi} voice {voice.number}: event {event.id} does not fit")
                    end = max(end, event.end)
                for event in voice.events:
                    for item in (event.id, *(n.id for n in event.notes)):
                        if item in seen:
                            problems.append(f"id {item} used twice")
                        seen.add(item)
    return problems


def _retarget_spans(doc: ScoreDoc, remap: Callable[[int, Fraction], tuple[int, Fraction] | None]) -> None:
    for part in doc.parts:
        kept = []
        for span in part.spans:
            start = remap(span.start_measure, span.start_offset)
            end = remap(span.end_measure, span.end_offset)
            if start is None or end is None or (end[0], end[1]) <= (start[0], start[1]):
                continue
            kept.append(Span(span.kind, span.staff, start[0], start[1], end[0], end[1]))
        part.spans = kept


# ------------------------------------------------------------------ pitch


def op_transpose(doc: ScoreDoc, *, semitones: Any, ids: Any = None) -> EditOutcome:
    """Move notes by semitones (±1 a semitone, ±12 an octave), spelled in their key.
    Without ids the whole score moves, key signatures and chord symbols with it."""
    steps = _int(semitones, "The interval", -48, 48)
    if ids is None:
        notes = [(loc, n) for loc in _walk(doc) if not loc.part.is_drum for n in loc.event.notes]
        selection: list[str] = []
        shift = (7 * steps) % 12
        for measure in doc.measures:
            fifths = measure.key_fifths + shift
            while fifths > 6:
                fifths -= 12
            measure.key_fifths = fifths
            for chord in measure.chords:
                chord.symbol = transpose_chord_symbol(chord.symbol, steps, fifths)
    else:
        notes = _selected_notes(doc, _ids(ids))
        selection = _ids(ids)
        if any(loc.part.is_drum for loc, _ in notes):
            raise EditError("Drum notes name a drum, not a pitch: they cannot be transposed.")
    for _, note in notes:
        if not MIN_PITCH <= note.pitch + steps <= MAX_PITCH:
            raise EditError("That would take a note beyond the range of any instrument.")
    for loc, note in notes:
        _set_pitch(note, note.pitch + steps, doc.measures[loc.measure_index].key_fifths)
    repair_ties(doc)
    return EditOutcome(doc, selection)


def op_set_pitch(doc: ScoreDoc, *, ids: Any, pitch: Any) -> EditOutcome:
    """Give the selected notes one pitch (dragging a note to a line or space)."""
    value = _int(pitch, "The pitch", MIN_PITCH, MAX_PITCH)
    notes = _selected_notes(doc, _ids(ids))
    if any(loc.part.is_drum for loc, _ in notes):
        raise EditError("Drum notes name a drum, not a pitch: change the drum instead.")
    for loc, note in notes:
        _set_pitch(note, value, doc.measures[loc.measure_index].key_fifths)
    repair_ties(doc)
    return EditOutcome(doc, _ids(ids))


def op_shift_steps(doc: ScoreDoc, *, ids: Any, steps: Any) -> EditOutcome:
    """Move notes up or down the staff by lines and spaces (a vertical drag): each
    lands on the note the key signature gives that line."""
    count = _int(steps, "The number of staff steps", -56, 56)
    notes = _selected_notes(doc, _ids(ids))
    if any(loc.part.is_drum for loc, _ in notes):
        raise EditError("Drum notes name a drum, not a pitch: change the drum instead.")
    planned = []
    for loc, note in notes:
        index = STEPS.index(note.step) + 7 * note.octave + count
        octave, letter = divmod(index, 7)
        step = STEPS[letter]
        alter = key_alters(doc.measures[loc.measure_index].key_fifths)[step]
        pitch = 12 * (octave + 1) + _NATURAL_PC[step] + alter
        if not MIN_PITCH <= pitch <= MAX_PITCH:
            raise EditError("That would take a note beyond the range of any instrument.")
        planned.append((note, pitch, step, alter, octave))
    for note, pitch, step, alter, octave in planned:
        note.pitch, note.step, note.alter, note.octave = pitch, step, alter, octave
    repair_ties(doc)
    return EditOutcome(doc, _ids(ids))


def op_respell(doc: ScoreDoc, *, ids: Any) -> EditOutcome:
    """Write each selected note the next enharmonic way (C# → Db → B## → C#)."""
    notes = _selected_notes(doc, _ids(ids))
    for loc, note in notes:
        if loc.part.is_drum:
            raise EditError("Drum notes have no spelling to change.")
        options = enharmonics(note.pitch)
        current = (note.step, note.alter, note.octave)
        index = options.index(current) if current in options else -1
        # Double accidentals only when the plainer spellings have been passed.
        plain = [o for o in options if abs(o[1]) < 2] or options
        cycle = plain if current in plain or index == -1 else options
        position = cycle.index(current) if current in cycle else -1
        note.step, note.alter, note.octave = cycle[(position + 1) % len(cycle)]
    return EditOutcome(doc, _ids(ids))


_CHORD_RE = re.compile(r"^(?P<root>[A-G])(?P<acc>#|b|♯|♭)?(?P<quality>[^/\s\"]{0,16})(/(?P<bass>[A-G])(?P<bacc>#|b|♯|♭)?)?$")
_ACC = {"#": 1, "♯": 1, "b": -1, "♭": -1, None: 0, "": 0}


def _check_chord_symbol(symbol: str) -> str:
    symbol = symbol.strip()
    if symbol.upper() in ("N.C.", "NC"):
        return "N.C."
    if not _CHORD_RE.match(symbol):
        raise EditError(f"“{symbol}” is not a chord symbol; write it like C, Am7, F#m7b5 or G/B.")
    return symbol


def transpose_chord_symbol(symbol: str, semitones: int, fifths: int) -> str:
    match = _CHORD_RE.match(symbol)
    if not match or semitones % 12 == 0:
        return symbol

    def move(letter: str, acc: str | None) -> str:
        pitch = 60 + _NATURAL_PC[letter] + _ACC[acc] + semitones
        step, alter, _ = spell(pitch, fifths)
        return step + {1: "#", -1: "b", 2: "##", -2: "bb", 0: ""}[alter]

    out = move(match["root"], match["acc"]) + match["quality"]
    if match["bass"]:
        out += "/" + move(match["bass"], match["bacc"])
    return out


# ------------------------------------------------------------------ durations and time


def op_set_duration(doc: ScoreDoc, *, ids: Any, duration: Any) -> EditOutcome:
    """Give the selected events a new length. Longer overwrites what follows (and
    ties over the bar line); shorter leaves a rest, as notation programs do."""
    value = _duration(duration)
    events = _selected_events(doc, _ids(ids))
    selection = []
    for loc in events:
        if loc.event.grace:
            loc.event.duration = value
            selection.append(loc.event.id)
            continue
        if loc.event not in loc.voice.events:  # overwritten by an earlier one in this selection
            continue
        pieces = _place(doc, loc.part, loc.voice, loc.measure_index, loc.event.offset, value, loc.event)
        selection.append(pieces[0].id)
    repair_ties(doc)
    return EditOutcome(doc, selection)


def op_move(doc: ScoreDoc, *, ids: Any, delta: Any) -> EditOutcome:
    """Move events earlier or later (a sideways drag), overwriting where they land."""
    shift = _fraction(delta, "The move")
    events = _selected_events(doc, _ids(ids))
    if shift == 0:
        return EditOutcome(doc, [loc.event.id for loc in events])
    starts = doc.measure_starts()
    total = starts[-1] + doc.measures[-1].length
    plans = []
    for loc in events:
        if loc.event.grace:
            raise EditError("Grace notes move with the note they lead to.")
        target = starts[loc.measure_index] + loc.event.offset + shift
        if not 0 <= target < total:
            raise EditError("That would move the notes outside the score.")
        plans.append((loc, target))
    for loc, _ in plans:
        loc.voice.events.remove(loc.event)
    for loc, target in sorted(plans, key=lambda p: p[1]):
        measure, offset = _position(starts, target)
        voice = _voice(loc.part, measure, loc.voice.staff, loc.voice.number)
        _place(doc, loc.part, voice, measure, offset, loc.event.duration, loc.event)
    repair_ties(doc)
    return EditOutcome(doc, [loc.event.id for loc in events])


def _position(starts: list[Fraction], absolute: Fraction) -> tuple[int, Fraction]:
    """(measure index, offset in it) of an absolute time, given each measure's start:
    the last measure starting at or before it (the first one for a time before all)."""
    index = max(bisect.bisect_right(starts, absolute) - 1, 0)
    return index, absolute - starts[index]


# ------------------------------------------------------------------ inserting and deleting


def op_delete(doc: ScoreDoc, *, ids: Any) -> EditOutcome:
    """Notes leave their chord; a whole event becomes a rest of the same length;
    a selected rest goes (its time stays a rest)."""
    events, notes = _locate(doc, _ids(ids))
    whole = {loc.event.id for loc in events}
    for loc, note in notes:
        if loc.event.id not in whole and note in loc.event.notes:
            loc.event.notes.remove(note)
    selection = []
    for loc in events:
        if loc.event.is_rest:
            loc.voice.events.remove(loc.event)
            continue
        loc.event.notes = []
        loc.event.articulations = []
        loc.event.dynamic = None
        selection.append(loc.event.id)
    for loc, _ in notes:
        if loc.event.id not in whole:
            selection.append(loc.event.id)
    repair_ties(doc)
    return EditOutcome(doc, list(dict.fromkeys(selection)))


def _reference_pitch(doc: ScoreDoc, cursor: Cursor, voice: Voice) -> int:
    """The pitch a new letter lands near: the voice's last note before the cursor,
    else the middle of the clef."""
    for mi in range(cursor.measure, -1, -1):
        candidates = [v for v in cursor.part.measures[mi].voices if v.staff == voice.staff and v.number == voice.number]
        for candidate in candidates:
            for event in reversed(candidate.events):
                if (mi < cursor.measure or event.offset < cursor.offset) and event.notes:
                    return event.notes[0].pitch
    clef = cursor.part.staves[cursor.staff].clef
    return {"bass": 50, "treble-8vb": 59}.get(clef, 71)


def op_insert_note(
    doc: ScoreDoc, *, letter: Any, duration: Any, chord: Any = False, **cursor_params: Any
) -> EditOutcome:
    """Enter a note by letter at the cursor: in the key, in the octave nearest the
    previous note, for the current duration. With ``chord`` it joins the event at
    the cursor instead. The cursor then moves on past it."""
    if not isinstance(letter, str) or letter.upper() not in _NATURAL_PC:
        raise EditError("Notes are entered by letter: A, B, C, D, E, F or G.")
    letter = letter.upper()
    value = _duration(duration)
    cursor = _cursor(doc, cursor_params)
    if cursor.part.is_drum:
        raise EditError("Drum parts have no letter names: pick a drum from the drum palette.")
    voice = _voice(cursor.part, cursor.measure, cursor.staff, cursor.voice)
    fifths = doc.measures[cursor.measure].key_fifths
    pitch_class = (_NATURAL_PC[letter] + key_alters(fifths)[letter]) % 12
    reference = _reference_pitch(doc, cursor, voice)
    pitch = min(
        (12 * octave + pitch_class for octave in range(1, 10)), key=lambda p: (abs(p - reference), p)
    )
    if chord:
        target = next((e for e in voice.events if e.offset == cursor.offset and not e.grace), None)
        if target is None or target.is_rest:
            raise EditError("There is no note at the cursor to add to; enter a note first.")
        if any(n.pitch == pitch for n in target.notes):
            return EditOutcome(doc, [target.id])
        alter = key_alters(fifths)[letter]
        target.notes.append(Note(doc.new_id("n"), pitch, letter, alter, _octave_of(pitch, alter)))
        target.notes.sort(key=lambda n: n.pitch)
        return EditOutcome(doc, [target.id], _cursor_dict(cursor, cursor.measure, cursor.offset))
    alter = key_alters(fifths)[letter]
    note = Note(doc.new_id("n"), pitch, letter, alter, _octave_of(pitch, alter))
    event = Event(doc.new_id("e"), cursor.offset, value, [note])
    pieces = _place(doc, cursor.part, voice, cursor.measure, cursor.offset, value, event)
    repair_ties(doc)
    return EditOutcome(doc, [event.id], _after(doc, cursor, pieces))


def op_insert_rest(doc: ScoreDoc, *, duration: Any, **cursor_params: Any) -> EditOutcome:
    """A rest of the current duration at the cursor, overwriting what is there."""
    value = _duration(duration)
    cursor = _cursor(doc, cursor_params)
    voice = _voice(cursor.part, cursor.measure, cursor.staff, cursor.voice)
    event = Event(doc.new_id("e"), cursor.offset, value, [])
    pieces = _place(doc, cursor.part, voice, cursor.measure, cursor.offset, value, event)
    repair_ties(doc)
    return EditOutcome(doc, [event.id], _after(doc, cursor, pieces))


def _cursor_dict(cursor: Cursor, measure: int, offset: Fraction) -> dict[str, Any]:
    return {"part": cursor.part.id, "staff": cursor.staff, "voice": cursor.voice, "measure": measure, "offset": str(offset)}


def _after(doc: ScoreDoc, cursor: Cursor, pieces: list[Event]) -> dict[str, Any]:
    last = pieces[-1]
    measure = cursor.measure + len(pieces) - 1
    if last.end >= doc.measures[measure].length and measure + 1 < len(doc.measures):
        return _cursor_dict(cursor, measure + 1, Fraction(0))
    return _cursor_dict(cursor, measure, min(last.end, doc.measures[measure].length - SMALLEST_DURATION))


# ------------------------------------------------------------------ clipboard


FRAGMENT_KIND = "rescored-fragment"


def copy_fragment(doc: ScoreDoc, ids: Any) -> dict[str, Any]:
    """The selection as a clipboard fragment (plain JSON the browser keeps): every
    event of the selected range, per staff, relative to the range's start. Rests
    inside the range come along, so a pasted bar is the same bar."""
    events = _selected_events(doc, _ids(ids))
    parts = {loc.part.id for loc in events}
    if len(parts) > 1:
        raise EditError("Copy from one instrument at a time.")
    starts = doc.measure_starts()
    first = min(starts[loc.measure_index] + loc.event.offset for loc in events)
    last = max(starts[loc.measure_index] + loc.event.end for loc in events)
    base_staff = min(loc.voice.staff for loc in events)
    rows = []
    for loc in events:
        rows.append(
            {
                "staff": loc.voice.staff - base_staff,
                "voice": loc.voice.number,
                "offset": str(starts[loc.measure_index] + loc.event.offset - first),
                "duration": str(loc.event.duration),
                "grace": loc.event.grace,
                "notes": [[n.pitch, n.step, n.alter, n.octave, n.velocity, int(n.tie)] for n in loc.event.notes],
                "dynamic": loc.event.dynamic,
                "articulations": list(loc.event.articulations),
            }
        )
    return {"kind": FRAGMENT_KIND, "version": 1, "length": str(last - first), "events": rows}


def op_paste(doc: ScoreDoc, *, fragment: Any, **cursor_params: Any) -> EditOutcome:
    """Paste a fragment at the cursor, into any part: it overwrites the same length
    of music there, staff by staff; bar lines cut it into tied pieces."""
    if not isinstance(fragment, dict) or fragment.get("kind") != FRAGMENT_KIND or not fragment.get("events"):
        raise EditError("The clipboard is empty: copy some notes first.")
    cursor = _cursor(doc, cursor_params)
    try:
        length = Fraction(fragment["length"])
        rows = [
            (
                int(r["staff"]),
                int(r["voice"]),
                Fraction(r["offset"]),
                Fraction(r["duration"]),
                [Note("", int(p), str(s), int(a), int(o), int(v), bool(t)) for p, s, a, o, v, t in r["notes"]],
                r.get("dynamic"),
                list(r.get("articulations") or []),
                bool(r.get("grace", False)),
            )
            for r in fragment["events"]
        ]
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        raise EditError("The clipboard holds something that is not music from this editor.") from None
    for _, _, offset, duration, notes, dynamic, articulations, _ in rows:
        if offset < 0 or duration <= 0 or (duration / SMALLEST_DURATION).denominator != 1:
            raise EditError("The clipboard holds a note this editor cannot write.")
        if dynamic is not None and dynamic not in DYNAMICS or any(a not in ARTICULATIONS for a in articulations):
            raise EditError("The clipboard holds a mark this editor does not know.")
        if any(not MIN_PITCH <= n.pitch <= MAX_PITCH or n.step not in _NATURAL_PC for n in notes):
            raise EditError("The clipboard holds a note this editor cannot write.")
    part = cursor.part
    starts = doc.measure_starts()
    origin = starts[cursor.measure] + cursor.offset
    total = starts[-1] + doc.measures[-1].length
    # Each source (staff, voice) gets one target voice: staves past the target's last
    # staff land on its last staff as extra voices, so nothing is dropped.
    targets: dict[tuple[int, int], tuple[int, int | None]] = {}
    extra = 0
    for staff_rel, number, *_ in sorted(rows, key=lambda r: (r[0], r[1])):
        if (staff_rel, number) in targets:
            continue
        staff = cursor.staff + staff_rel
        if staff < len(part.staves):
            same_staff = [k for k in targets if k[0] == staff_rel]
            targets[(staff_rel, number)] = (staff, None if not same_staff else _default_voice_number(part, staff) + len(same_staff))
        else:
            extra += 1
            last = len(part.staves) - 1
            targets[(staff_rel, number)] = (last, _default_voice_number(part, last) + extra)
    # Clear the pasted range in every target voice first, bar by bar.
    end = min(origin + length, total)
    for staff, number in set(targets.values()):
        position = origin
        while position < end:
            measure, offset = _position(starts, position)
            stop = min(end - starts[measure], doc.measures[measure].length)
            _clear(_voice(part, measure, staff, number), offset, stop)
            position = starts[measure] + stop
    selection = []
    for staff_rel, number, offset, duration, notes, dynamic, articulations, grace in rows:
        position = origin + offset
        if position >= total:
            continue
        staff, target_number = targets[(staff_rel, number)]
        measure, at = _position(starts, position)
        voice = _voice(part, measure, staff, target_number)
        fifths = doc.measures[measure].key_fifths
        new_notes = []
        for n in notes:
            note = Note(doc.new_id("n"), n.pitch, n.step, n.alter, n.octave, n.velocity, n.tie)
            if not part.is_drum and (_NATURAL_PC[n.step] + n.alter) % 12 != n.pitch % 12:
                _set_pitch(note, n.pitch, fifths)
            new_notes.append(note)
        event = Event(doc.new_id("e"), at, duration, new_notes, dynamic, articulations, grace)
        if grace:
            _insert_sorted(voice, event)
            selection.append(event.id)
            continue
        _place(doc, part, voice, measure, at, duration, event)
        selection.append(event.id)
    repair_ties(doc)
    return EditOutcome(doc, selection)


# ------------------------------------------------------------------ marks


def op_set_dynamic(doc: ScoreDoc, *, ids: Any, dynamic: Any) -> EditOutcome:
    """Mark a dynamic at the selected events (an empty value removes it)."""
    value = dynamic or None
    if value is not None and value not in DYNAMICS:
        raise EditError(f"“{dynamic}” is not a dynamic; use one of {', '.join(DYNAMICS)}.")
    events = _selected_events(doc, _ids(ids))
    for loc in events:
        if loc.event.is_rest and value:
            raise EditError("Dynamics go on notes, not rests.")
    for loc in events:
        loc.event.dynamic = value
    return EditOutcome(doc, _ids(ids))


def op_set_articulation(doc: ScoreDoc, *, ids: Any, articulation: Any, on: Any = None) -> EditOutcome:
    """Add or remove an articulation on the selected notes; without ``on`` it
    toggles (on for all unless all have it already)."""
    if articulation not in ARTICULATIONS:
        raise EditError(f"“{articulation}” is not an articulation; use one of {', '.join(ARTICULATIONS)}.")
    events = [loc for loc in _selected_events(doc, _ids(ids)) if not loc.event.is_rest]
    if not events:
        raise EditError("Articulations go on notes, not rests.")
    if on is None:
        on = not all(articulation in loc.event.articulations for loc in events)
    for loc in events:
        marks = [a for a in loc.event.articulations if a != articulation]
        if on:
            marks.append(articulation)
        loc.event.articulations = sorted(marks, key=ARTICULATIONS.index)
    return EditOutcome(doc, _ids(ids))


def op_set_tie(doc: ScoreDoc, *, ids: Any, on: Any = None) -> EditOutcome:
    """Tie the selected notes into the same pitch right after them; without
    ``on`` it toggles. A tie needs that following note."""
    notes = _selected_notes(doc, _ids(ids))
    if not notes:
        raise EditError("Select the notes to tie.")
    if on is None:
        on = not all(note.tie for _, note in notes)
    for _, note in notes:
        note.tie = bool(on)
    if on:
        repair_ties(doc)
        if not any(note.tie for _, note in notes):
            raise EditError("A tie joins a note to the same pitch right after it; there is none.")
    return EditOutcome(doc, _ids(ids))


def op_set_chord_symbol(doc: ScoreDoc, *, measure: Any, offset: Any = 0, symbol: Any = "") -> EditOutcome:
    """Add, change or (empty symbol) remove the chord symbol at a beat."""
    index = _measure_index(doc, measure)
    at = _fraction(offset, "The chord position")
    bar = doc.measures[index]
    if not 0 <= at < bar.length:
        raise EditError("The chord symbol is outside its bar.")
    if not isinstance(symbol, str):
        raise EditError("A chord symbol is text, like Am7.")
    bar.chords = [c for c in bar.chords if c.offset != at]
    if symbol.strip():
        bar.chords.append(ChordSymbol(at, _check_chord_symbol(symbol)))
        bar.chords.sort(key=lambda c: c.offset)
    return EditOutcome(doc)


# ------------------------------------------------------------------ key, meter, tempo


def _run_end(doc: ScoreDoc, start: int, same: Callable[[Measure], Any]) -> int:
    """Where the stretch that starts at a measure ends: at the next change of the
    same kind (a key or meter the composer set later), else at the score's end."""
    value = same(doc.measures[start])
    end = start + 1
    while end < len(doc.measures) and same(doc.measures[end]) == value:
        end += 1
    return end


def op_set_key(doc: ScoreDoc, *, measure: Any, fifths: Any, mode: Any = "major") -> EditOutcome:
    """A new key from a measure up to the next key change; notes keep their sound
    and are respelled in the new key."""
    start = _measure_index(doc, measure)
    value = _int(fifths, "The key", -7, 7)
    if mode not in MODES:
        raise EditError(f"The mode must be major or minor, not {mode!r}.")
    end = _run_end(doc, start, lambda m: (m.key_fifths, m.mode))
    for bar in doc.measures[start:end]:
        bar.key_fifths, bar.mode = value, mode
    for part in doc.parts:
        if part.is_drum:
            continue
        for pm in part.measures[start:end]:
            for voice in pm.voices:
                for event in voice.events:
                    for note in event.notes:
                        _set_pitch(note, note.pitch, value)
    return EditOutcome(doc)


def op_set_tempo(doc: ScoreDoc, *, measure: Any, bpm: Any) -> EditOutcome:
    """A tempo mark (quarter notes per minute) from a measure on."""
    index = _measure_index(doc, measure)
    try:
        value = float(bpm)
    except (TypeError, ValueError):
        raise EditError(f"The tempo must be a number of beats per minute, not {bpm!r}.") from None
    if not 20 <= value <= 400:
        raise EditError("The tempo must be between 20 and 400 beats per minute.")
    doc.measures[index].tempo = round(value, 2)
    return EditOutcome(doc)


def op_set_time(doc: ScoreDoc, *, measure: Any, beats: Any, beat_type: Any) -> EditOutcome:
    """A new time signature from a measure up to the next meter change. The music
    there flows into bars of the new length (notes across a bar line become tied
    pieces); the last new bar is filled with rest."""
    start = _measure_index(doc, measure)
    top = _int(beats, "The number of beats", 1, 32)
    bottom = _int(beat_type, "The beat unit", 1, 32)
    if bottom not in (1, 2, 4, 8, 16, 32):
        raise EditError("The beat unit must be 1, 2, 4, 8, 16 or 32.")
    end = _run_end(doc, start, lambda m: m.time)
    old = doc.measures[start:end]
    new_length = Fraction(4 * top, bottom)
    starts = doc.measure_starts()
    base = starts[start]
    total = sum((m.length for m in old), Fraction(0))
    keep_pickup = start == 0 and old[0].length < old[0].full_length and old[0].length <= new_length
    lengths: list[Fraction] = []
    filled = Fraction(0)
    if keep_pickup:
        lengths.append(old[0].length)
        filled = old[0].length
    while filled < total or not lengths:
        lengths.append(new_length)
        filled += new_length
    new_starts = [base]
    for length in lengths[:-1]:
        new_starts.append(new_starts[-1] + length)
    old_starts = starts[start:end]

    def old_index_at(absolute: Fraction) -> int:
        index = 0
        while index + 1 < len(old_starts) and old_starts[index + 1] <= absolute:
            index += 1
        return start + index

    new_measures = []
    for new_start, length in zip(new_starts, lengths, strict=True):
        source = doc.measures[old_index_at(new_start)]
        new_measures.append(Measure((top, bottom), source.key_fifths, source.mode, length))
    for old_index, bar in enumerate(old):
        absolute = old_starts[old_index]
        if bar.tempo:
            target, _ = _position(new_starts, absolute)
            new_measures[target].tempo = bar.tempo
        for chord in bar.chords:
            target, at = _position(new_starts, absolute + chord.offset)
            new_measures[target].chords.append(ChordSymbol(at, chord.symbol))
    count_change = len(new_measures) - len(old)

    for part in doc.parts:
        streams: dict[tuple[int, int], list[tuple[Fraction, Event]]] = {}
        for old_index, pm in enumerate(part.measures[start:end]):
            for voice in pm.voices:
                stream = streams.setdefault((voice.staff, voice.number), [])
                stream.extend((old_starts[old_index] + e.offset, e) for e in voice.events)
        new_part_measures = [
            PartMeasure(voices=[Voice(staff, number) for staff, number in sorted(streams)]) for _ in new_measures
        ]
        for (staff, number), stream in streams.items():
            for absolute, event in stream:
                index, at = _position(new_starts, absolute)
                remaining = event.duration
                piece = event
                pieces: list[Event] = []
                while True:
                    room = lengths[index] - at
                    piece.offset, piece.duration = at, (min(room, remaining) if not event.grace else event.duration)
                    voice = next(v for v in new_part_measures[index].voices if v.staff == staff and v.number == number)
                    voice.events.append(piece)
                    if pieces:
                        for note in pieces[-1].notes:
                            note.tie = True
                    pieces.append(piece)
                    if event.grace:
                        break
                    remaining -= piece.duration
                    if remaining <= 0 or index + 1 >= len(new_measures):
                        break
                    index, at = index + 1, Fraction(0)
                    ties = [n.tie for n in piece.notes]
                    piece = Event(doc.new_id("e"), at, remaining, _copy_notes(doc, piece.notes))
                    for note, tie in zip(piece.notes, ties, strict=True):
                        note.tie = tie
        for pm in new_part_measures:
            for voice in pm.voices:
                voice.events.sort(key=lambda e: e.offset)
        part.measures[start:end] = new_part_measures

    def remap(measure_index: int, offset: Fraction) -> tuple[int, Fraction] | None:
        if measure_index < start:
            return measure_index, offset
        if measure_index >= end:
            return measure_index + count_change, offset
        index, at = _position(new_starts, old_starts[measure_index - start] + offset)
        return start + index, at

    doc.measures[start:end] = new_measures
    _retarget_spans(doc, remap)
    repair_ties(doc)
    return EditOutcome(doc)



# ------------------------------------------------------------------ measures


def op_add_measures(doc: ScoreDoc, *, at: Any, count: Any = 1) -> EditOutcome:
    """Insert empty bars before measure ``at`` (``at`` = number of bars appends),
    in the meter and key in force there."""
    index = _int(at, "The position", 0, len(doc.measures))
    number = _int(count, "The number of bars", 1, 64)
    # The meter and key of the bar the new ones follow (or, at the start, precede).
    model = doc.measures[index - 1] if index > 0 else doc.measures[0]
    if index == 0:
        _fill_pickup(doc)
    for _ in range(number):
        doc.measures.insert(index, Measure(model.time, model.key_fifths, model.mode, model.full_length))
    for part in doc.parts:
        staves = range(len(part.staves))
        for _ in range(number):
            part.measures.insert(
                index, PartMeasure(voices=[Voice(s, _default_voice_number(part, s)) for s in staves])
            )
    if index == 0 and number and len(doc.measures) > number and doc.measures[number].tempo is not None:
        doc.measures[0].tempo, doc.measures[number].tempo = doc.measures[number].tempo, None

    def remap(measure_index: int, offset: Fraction) -> tuple[int, Fraction]:
        return (measure_index + number if measure_index >= index else measure_index), offset

    _retarget_spans(doc, remap)
    repair_ties(doc)
    return EditOutcome(doc)


def _fill_pickup(doc: ScoreDoc) -> None:
    """A pickup that stops being the first bar becomes a whole bar, its music kept
    against the bar line it led to (rest before it)."""
    first = doc.measures[0]
    missing = first.full_length - first.length
    if missing <= 0:
        return
    first.length = first.full_length
    for part in doc.parts:
        for voice in part.measures[0].voices:
            for event in voice.events:
                event.offset += missing
        for span in part.spans:
            if span.start_measure == 0:
                span.start_offset += missing
            if span.end_measure == 0:
                span.end_offset += missing
    for chord in first.chords:
        chord.offset += missing


def op_delete_measures(doc: ScoreDoc, *, start: Any, count: Any = 1) -> EditOutcome:
    """Remove bars and their music. A tempo marked in them carries on after them."""
    first = _measure_index(doc, start)
    number = _int(count, "The number of bars", 1, len(doc.measures))
    end = min(first + number, len(doc.measures))
    if end - first >= len(doc.measures):
        raise EditError("A score keeps at least one bar.")
    tempo_in_force = doc.tempo_at(end - 1) if end < len(doc.measures) else None
    removed_tempo = any(m.tempo for m in doc.measures[first:end])
    del doc.measures[first:end]
    for part in doc.parts:
        del part.measures[first:end]
    if removed_tempo and first < len(doc.measures) and doc.measures[first].tempo is None:
        doc.measures[first].tempo = tempo_in_force

    def remap(measure_index: int, offset: Fraction) -> tuple[int, Fraction] | None:
        if measure_index < first:
            return measure_index, offset
        if measure_index >= end:
            return measure_index - (end - first), offset
        return None

    _retarget_spans(doc, remap)
    repair_ties(doc)
    return EditOutcome(doc)


# ------------------------------------------------------------------ whole score


def op_simplify_piano(doc: ScoreDoc) -> EditOutcome:
    """Replace the score by a simple piano arrangement of it (melody over a root
    bass), made by the harmony analysis; undo brings the full score back."""
    try:
        from ml.notation.simplify import simplify_piano
    except ImportError:
        raise EditError("Simplifying to piano is not available yet.") from None
    if not any(not p.is_drum for p in doc.parts):
        raise EditError("This score has no pitched part to arrange for piano.")
    return EditOutcome(simplify_piano(doc))


# ------------------------------------------------------------------ entry point

OPS: dict[str, Callable[..., EditOutcome]] = {
    "transpose": op_transpose,
    "set_pitch": op_set_pitch,
    "shift_steps": op_shift_steps,
    "respell": op_respell,
    "set_duration": op_set_duration,
    "move": op_move,
    "delete": op_delete,
    "insert_note": op_insert_note,
    "insert_rest": op_insert_rest,
    "paste": op_paste,
    "set_dynamic": op_set_dynamic,
    "set_articulation": op_set_articulation,
    "set_tie": op_set_tie,
    "set_chord_symbol": op_set_chord_symbol,
    "set_key": op_set_key,
    "set_time": op_set_time,
    "set_tempo": op_set_tempo,
    "add_measures": op_add_measures,
    "delete_measures": op_delete_measures,
    "simplify_piano": op_simplify_piano,
}


def apply_edit(doc: ScoreDoc, op: str, params: dict[str, Any] | None = None) -> EditOutcome:
    """Run one named edit. Raises EditError for an unknown edit or bad parameters."""
    function = OPS.get(op)
    if function is None:
        raise EditError(f"There is no edit called {op!r}.")
    params = dict(params or {})
    try:
        inspect.signature(function).bind(doc, **params)
    except TypeError as exc:
        raise EditError(f"The {op.replace('_', ' ')} edit was sent with the wrong details ({exc}).") from None
    return function(doc, **params)
