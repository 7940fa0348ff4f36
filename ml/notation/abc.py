"""The canonical score (``ScoreDoc``) → ABC text for abcjs, with every drawn
element mapped back to the score's ids.

abcjs reports the character range (``startChar``/``endChar``) of the element a
user clicks; ``AbcResult.elements`` holds the same range for every note, chord
and rest we write, with the event and note ids it shows (for a rest, its voice
and offset), so the editor can act on the score, never on text.

Layout (gaps as rests, beat-aware tied pieces, tuplets) is shared with the
MusicXML writer in ``ml.notation.layout``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ml.notation.layout import Piece, beat_length, layout_voice, span_anchors
from ml.notation.score import Event, Measure, Note, Part, ScoreDoc

UNIT = Fraction(1, 2)  # L:1/8: one ABC length unit is an eighth, half a quarter
BARS_PER_LINE = 4
_MAX_BARS_PER_LINE = 8  # a line may grow this far to avoid breaking inside a chord tie
_MARKS = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
_ABC_CLEFS = {"treble": "treble", "bass": "bass", "treble-8vb": "treble-8", "percussion": "perc"}
_ARTICULATIONS = {"staccato": ".", "accent": "!accent!", "tenuto": "!tenuto!"}
# abcjs has no pedal decoration: the marks pianists read, as text below the staff.
_SPAN_MARKS = {"crescendo": ("!<(!", "!<)!"), "diminuendo": ("!>(!", "!>)!"), "pedal": ('"_Ped."', '"_*"')}
_MAJOR_KEYS = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
               1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_MINOR_KEYS = {-7: "Abm", -6: "Ebm", -5: "Bbm", -4: "Fm", -3: "Cm", -2: "Gm", -1: "Dm", 0: "Am",
               1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m"}
_SHARP_ORDER = "FCGDAEB"
GUITAR_TABLATURE = {
    "instrument": "guitar",
    "label": "Guitar",
    "tuning": ["E,", "A,", "D", "G", "B", "e"],
    "highestNote": "a\'",
}
_NO_TABLATURE = {"instrument": ""}  # abcjs's placeholder for a staff without tablature


@dataclass(frozen=True, slots=True)
class AbcElement:
    """One drawn element: abcjs's character range and what it shows."""

    start_char: int
    end_char: int
    event_id: str | None  # None for a rest that only fills a gap
    note_ids: tuple[str, ...]  # empty for a rest
    part_id: str
    staff: int  # index into Part.staves
    voice: int  # Voice.number
    measure: int  # index into ScoreDoc.measures
    offset: Fraction  # quarters into the measure where the element starts
    duration: Fraction  # quarters it lasts
    grace: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_char": self.start_char,
            "end_char": self.end_char,
            "event_id": self.event_id,
            "note_ids": list(self.note_ids),
            "part_id": self.part_id,
            "staff": self.staff,
            "voice": self.voice,
            "measure": self.measure,
            "offset": str(self.offset),
            "duration": str(self.duration),
            "grace": self.grace,
        }


@dataclass(frozen=True, slots=True)
class AbcResult:
    text: str
    elements: list[AbcElement]
    # abcjs's ``tablature`` render option, one entry per staff in score order
    # (empty when no staff has tablature): pass it to ``renderAbc`` as is.
    tablature: list[dict[str, Any]] = field(default_factory=list)

    def element_at(self, start_char: int) -> AbcElement | None:
        return next((e for e in self.elements if e.start_char == start_char), None)


@dataclass(slots=True)
class _AbcVoice:
    part: Part
    staff: int
    number: int
    abc_id: int
    drum: bool
    clef: str
    carries_chords: bool = False
    pieces: list[list[Piece]] = field(default_factory=list)  # per measure


def score_to_abc(doc: ScoreDoc, *, part_ids: list[str] | None = None, bars_per_line: int = BARS_PER_LINE) -> AbcResult:
    """ABC for the parts named in ``part_ids`` (all parts when None), in score order."""
    parts = [p for p in doc.parts if part_ids is None or p.id in part_ids]
    voices = _voices(parts)
    if voices:
        voices[0].carries_chords = True
    measures = doc.measures or []
    for voice in voices:
        for index, measure in enumerate(measures):
            events = [
                e
                for v in voice.part.measures[index].voices
                if v.staff == voice.staff and v.number == voice.number
                for e in v.events
            ]
            split_at = tuple(c.offset for c in measure.chords) if voice.carries_chords else ()
            voice.pieces.append(layout_voice(events, measure, split_at=split_at))
    writer = _Writer(doc, voices)
    text = writer.write(bars_per_line)
    return AbcResult(text=text, elements=writer.elements, tablature=_tablature(voices))


def _voices(parts: list[Part]) -> list[_AbcVoice]:
    voices: list[_AbcVoice] = []
    for part in parts:
        for staff_index, staff in enumerate(part.staves):
            numbers = sorted(
                {v.number for pm in part.measures for v in pm.voices if v.staff == staff_index}
            ) or [staff_index * 4 + 1]
            for number in numbers:
                voices.append(
                    _AbcVoice(
                        part=part,
                        staff=staff_index,
                        number=number,
                        abc_id=len(voices) + 1,
                        drum=part.is_drum or staff.clef == "percussion",
                        clef=staff.clef,
                    )
                )
    return voices


def _tablature(voices: list[_AbcVoice]) -> list[dict[str, Any]]:
    staves: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for voice in voices:
        key = (voice.part.id, voice.staff)
        if key in seen:
            continue
        seen.add(key)
        staff = voice.part.staves[voice.staff]
        staves.append(dict(GUITAR_TABLATURE, label=voice.part.name or "Guitar") if staff.tablature else _NO_TABLATURE)
    if all(s is _NO_TABLATURE for s in staves):
        return []
    return [dict(s) for s in staves]


def key_name(fifths: int, mode: str) -> str:
    fifths = max(-7, min(7, fifths))
    return (_MINOR_KEYS if mode == "minor" else _MAJOR_KEYS)[fifths]


def key_alters(fifths: int) -> dict[str, int]:
    """The alteration the key signature gives each letter."""
    if fifths >= 0:
        return {letter: 1 for letter in _SHARP_ORDER[:fifths]}
    return {letter: -1 for letter in reversed(_SHARP_ORDER)} if fifths <= -7 else {
        letter: -1 for letter in _SHARP_ORDER[::-1][: -fifths]
    }


class _Writer:
    def __init__(self, doc: ScoreDoc, voices: list[_AbcVoice]) -> None:
        self.doc = doc
        self.voices = voices
        self.elements: list[AbcElement] = []
        self.text = ""
        self._mark = 0  # where the next element's range starts (abcjs counts leading blanks in)
        self._chord_orders: dict[int, dict[int, int]] = {}  # per ABC voice: pitch → index an in-chord tie needs
        self._span_marks = self._place_spans()
        self._ties = {v.abc_id: self._plan_ties(v) for v in voices}

    # -- header -------------------------------------------------------------

    def write(self, bars_per_line: int) -> str:
        doc = self.doc
        first = doc.measures[0] if doc.measures else Measure((4, 4), 0, "major", Fraction(4))
        lines = [
            "X:1",
            f"T:{abc_text(doc.title, quoted=False)}",
            f"M:{first.time[0]}/{first.time[1]}",
            "L:1/8",
            f"Q:1/4={round(doc.tempo_at(0))}",
        ]
        lines += self._percmap()
        if self.voices:
            lines.append(f"%%score {self._score_groups()}")
            for voice in self.voices:
                lines.append(self._voice_line(voice))
        lines.append(f"K:{key_name(first.key_fifths, first.mode)}")
        for voice in self.voices:
            lines.append(f"V:{voice.abc_id}")
            if voice.drum:
                lines.append("%%MIDI channel 10")
            else:
                lines.append(f"%%MIDI program {max(0, min(127, voice.part.program))}")
        self.text = "\n".join(lines) + "\n"
        if not self.voices or not doc.measures:  # nothing to show: the bars, empty
            bars = [f"z{_length(m.length / UNIT)}" for m in doc.measures or [first]]
            self.text += " | ".join(bars) + " |]\n"
            return self.text
        for first_bar, last_bar in self._line_ranges(bars_per_line):
            for voice in self.voices:
                self._write_line(voice, first_bar, last_bar)
        return self.text

    def _score_groups(self) -> str:
        groups = []
        for part in dict.fromkeys(v.part.id for v in self.voices):
            staves = []
            for staff in dict.fromkeys(v.staff for v in self.voices if v.part.id == part):
                ids = [str(v.abc_id) for v in self.voices if v.part.id == part and v.staff == staff]
                staves.append(ids[0] if len(ids) == 1 else "(" + " ".join(ids) + ")")
            groups.append(staves[0] if len(staves) == 1 else "{" + " | ".join(staves) + "}")
        return " ".join(groups)

    def _voice_line(self, voice: _AbcVoice) -> str:
        line = f"V:{voice.abc_id} clef={_ABC_CLEFS.get(voice.clef, 'treble')}"
        siblings = [v for v in self.voices if v.part is voice.part and v.staff == voice.staff]
        if len(siblings) > 1:
            line += " stem=up" if voice is siblings[0] else " stem=down"
        if voice.staff == 0 and voice is siblings[0] and voice.part.name:
            line += f' name="{abc_text(voice.part.name, quoted=True)}"'
        return line

    def _percmap(self) -> list[str]:
        sounds: dict[str, tuple[int, str]] = {}
        for voice in self.voices:
            if not voice.drum:
                continue
            for pm in voice.part.measures:
                for v in pm.voices:
                    for event in v.events:
                        for note in event.notes:
                            name = _note_name(note.step, note.octave, treble8=False)
                            sounds.setdefault(name, (note.pitch, _drum_head(note.pitch)))
        return [
            f"%%percmap {name} {pitch}" + (f" {head}" if head else "")
            for name, (pitch, head) in sounds.items()
            if 35 <= pitch <= 81
        ]

    # -- layout of lines ----------------------------------------------------

    def _line_ranges(self, bars_per_line: int) -> list[tuple[int, int]]:
        """Bars per text line (a system); no line ends inside an in-chord tie,
        which abcjs would hand to the next voice's line."""
        count = len(self.doc.measures)
        blocked = set()
        for voice in self.voices:
            for (measure, _), plan in self._ties[voice.abc_id].items():
                if plan.inside and plan.last_in_measure:
                    blocked.add(measure)
        ranges, first = [], 0
        while first < count:
            last = min(first + bars_per_line, count)
            while last < count and last - 1 in blocked and last - first < _MAX_BARS_PER_LINE:
                last += 1
            if last < count and last - 1 in blocked:
                for voice in self.voices:  # no way round it: drop those ties rather than misplace them
                    for (measure, _), plan in self._ties[voice.abc_id].items():
                        if measure == last - 1 and plan.last_in_measure:
                            plan.inside.clear()
            ranges.append((first, last))
            first = last
        return ranges

    # -- ties ---------------------------------------------------------------

    def _plan_ties(self, voice: _AbcVoice) -> dict[tuple[int, int], _TiePlan]:
        """Which notes of each piece tie into the next piece of the voice, and how."""
        sequence = [(m, i, p) for m, pieces in enumerate(voice.pieces) for i, p in enumerate(pieces)]
        plans: dict[tuple[int, int], _TiePlan] = {}
        for k, (m, i, piece) in enumerate(sequence):
            plan = _TiePlan(last_in_measure=i == len(voice.pieces[m]) - 1)
            plans[(m, i)] = plan
            if piece.is_rest or voice.drum:
                continue
            following = sequence[k + 1][2] if k + 1 < len(sequence) else None
            if following is None or following.is_rest:
                continue
            if _shares_position(piece.notes) or _shares_position(following.notes):
                continue
            if piece.tied_to_next_piece():
                plan.all_notes = True
                continue
            next_pitches = {n.pitch for n in following.notes}
            tied = [n for n in piece.notes if n.tie and n.pitch in next_pitches]
            if not tied:
                continue
            if len(tied) == len(piece.notes) and next_pitches == {n.pitch for n in tied}:
                plan.all_notes = True
            else:
                plan.inside = {n.pitch for n in tied}
                plan.next_size = len(following.notes)
        return plans

    # -- spans --------------------------------------------------------------

    def _place_spans(self) -> dict[tuple[int, int, Fraction], list[str]]:
        """Hairpin and pedal marks keyed by (ABC voice, measure, piece offset): each
        starts on the head at or before its start and ends on the first head at or
        after its end, in the top voice of its staff."""
        marks: dict[tuple[int, int, Fraction], list[str]] = {}
        for voice in self.voices:
            if voice.number != self._first_number(voice):
                continue
            heads = [(m, p.offset) for m, pieces in enumerate(voice.pieces) for p in pieces]
            for span in voice.part.spans:
                if span.staff != voice.staff or span.kind not in _SPAN_MARKS:
                    continue
                anchors = span_anchors(heads, (span.start_measure, span.start_offset), (span.end_measure, span.end_offset))
                if anchors is None:
                    continue
                first, last = anchors
                opening, closing = _SPAN_MARKS[span.kind]
                marks.setdefault((voice.abc_id, *heads[first]), []).append(opening)
                marks.setdefault((voice.abc_id, *heads[last]), []).insert(0, closing)
        return marks

    # -- music ----------------------------------------------------------------

    def _write_line(self, voice: _AbcVoice, first_bar: int, last_bar: int) -> None:
        self._emit(f"[V:{voice.abc_id}]")
        if voice.drum and first_bar == 0:
            self._emit("[K:C]")
        for index in range(first_bar, last_bar):
            measure = self.doc.measures[index]
            self._bar_fields(voice, index, measure, line_start=index == first_bar)
            accidentals = _BarAccidentals(0 if voice.drum else measure.key_fifths)
            pieces = voice.pieces[index]
            for i, piece in enumerate(pieces):
                # abcjs counts the blanks around an element into its range: a blank
                # before the first one in a bar, one after wherever a beam breaks.
                gap = " " if i + 1 == len(pieces) or _breaks_beam(piece, pieces[i + 1], measure) else ""
                self._piece(voice, index, i, piece, accidentals, " " if i == 0 else "", gap)
            self._emit("|]" if index == len(self.doc.measures) - 1 else "|")
        self.text += "\n"
        self._mark = len(self.text)

    def _bar_fields(self, voice: _AbcVoice, index: int, measure: Measure, *, line_start: bool) -> None:
        if index == 0:
            return
        previous = self.doc.measures[index - 1]
        if measure.time != previous.time:
            self._emit(f"[M:{measure.time[0]}/{measure.time[1]}]")
        # abcjs crashes on a [K:] that opens a line in a staff's second voice, and
        # gives that voice the first voice's key there anyway; inside a line each
        # voice needs its own [K:] to play in the new key.
        key_changes = (measure.key_fifths, measure.mode) != (previous.key_fifths, previous.mode)
        if not voice.drum and key_changes and (not line_start or voice.number == self._first_number(voice)):
            self._emit(f"[K:{key_name(measure.key_fifths, measure.mode)}]")
        if voice is self.voices[0] and measure.tempo and measure.tempo != self.doc.tempo_at(index - 1):
            self._emit(f"[Q:1/4={round(measure.tempo)}]")

    def _emit(self, token: str) -> None:
        """Text that is not an element: bar lines, inline fields, voice tags."""
        self.text += token
        self._mark = len(self.text)

    def _piece(
        self,
        voice: _AbcVoice,
        measure_index: int,
        index: int,
        piece: Piece,
        accidentals: _BarAccidentals,
        lead: str,
        gap: str,
    ) -> None:
        start = self._mark
        token = lead
        tuplet_mark = ""
        if piece.tuplet is not None and piece.tuplet.start:
            t = piece.tuplet
            tuplet_mark = f"({t.actual}" if (t.actual, t.normal, t.count) == (3, 2, 3) else f"({t.actual}:{t.normal}:{t.count}"
            token += tuplet_mark
        after_tuplet = len(self.text) + len(token)
        grace_ranges = []
        if piece.first and piece.graces:
            grace_start = len(self.text) + len(token)
            token += self._graces(voice, piece.graces, accidentals)
            grace_ranges = [(grace_start, len(self.text) + len(token))]
        if voice.carries_chords:
            for chord in self.doc.measures[measure_index].chords:
                if chord.offset == piece.offset:
                    token += f'"{_chord_text(chord.symbol)}"'
        event = piece.event
        if event is not None and piece.first:
            if event.dynamic:
                token += f"!{event.dynamic}!"
            for articulation in event.articulations:
                token += _ARTICULATIONS.get(articulation, "")
        token += "".join(self._span_marks.get((voice.abc_id, measure_index, piece.offset), []))
        if tuplet_mark and len(self.text) + len(token) > after_tuplet:
            # abcjs starts an element after its tuplet mark when marks or graces follow it.
            start = after_tuplet
        length = _length(piece.written / UNIT)
        plan = self._ties[voice.abc_id][(measure_index, index)]
        if piece.is_rest:
            hidden = voice.number != self._first_number(voice)
            token += ("x" if hidden else "z") + length
        else:
            before = self._tied_from(voice, measure_index, index)
            token += self._chord(voice, piece, accidentals, plan, before) + length + ("-" if plan.all_notes else "")
        self.text += token + gap
        end = len(self.text)
        self._mark = end
        self.elements.append(
            AbcElement(
                start_char=start,
                end_char=end,
                event_id=event.id if event is not None else None,
                note_ids=tuple(n.id for n in piece.notes),
                part_id=voice.part.id,
                staff=voice.staff,
                voice=voice.number,
                measure=measure_index,
                offset=piece.offset,
                duration=piece.duration,
            )
        )
        for (a, b), grace in zip(grace_ranges * len(piece.graces), piece.graces):
            self.elements.append(
                AbcElement(
                    start_char=a,
                    end_char=b,
                    event_id=grace.id,
                    note_ids=tuple(n.id for n in grace.notes),
                    part_id=voice.part.id,
                    staff=voice.staff,
                    voice=voice.number,
                    measure=measure_index,
                    offset=grace.offset,
                    duration=Fraction(0),
                    grace=True,
                )
            )

    def _first_number(self, voice: _AbcVoice) -> int:
        return next(v.number for v in self.voices if v.part is voice.part and v.staff == voice.staff)

    def _graces(self, voice: _AbcVoice, graces: list[Event], accidentals: _BarAccidentals) -> str:
        heads = []
        for grace in graces:
            if not grace.notes:
                continue
            top = max(grace.notes, key=lambda n: n.pitch)  # ABC has no grace chords: the top note stands for it
            heads.append(self._head(voice, top, accidentals, grace=True) + _length(_grace_value(grace.duration) / UNIT))
        if not heads:
            return ""
        slash = "/" if len(heads) == 1 and grace.duration <= Fraction(1, 2) else ""
        return "{" + slash + "".join(heads) + "}"

    def _tied_from(self, voice: _AbcVoice, measure_index: int, index: int) -> _TiePlan | None:
        """The plan of the piece before this one in the voice (None at the start)."""
        if index:
            return self._ties[voice.abc_id][(measure_index, index - 1)]
        if measure_index:
            return self._ties[voice.abc_id][(measure_index - 1, len(voice.pieces[measure_index - 1]) - 1)]
        return None

    def _chord(
        self, voice: _AbcVoice, piece: Piece, accidentals: _BarAccidentals, plan: _TiePlan, before: _TiePlan | None
    ) -> str:
        # Notes that tie on inside the chord go first, so the next chord has their places.
        notes = sorted(piece.notes, key=lambda n: (n.pitch not in plan.inside, n.pitch))
        order = self._chord_orders.pop(voice.abc_id, None)
        # Heads a tie from the piece before ends on: in-chord ties end at the places
        # ``order`` gives (only those were written), a whole-chord tie on every head.
        tied_in = {n.pitch for n in notes} if before is not None and before.all_notes else set(order or ())
        if order:
            placed: list[Note | None] = [None] * len(notes)
            rest = []
            for note in notes:
                k = order.get(note.pitch)
                if k is not None and k < len(placed) and placed[k] is None:
                    placed[k] = note
                else:
                    rest.append(note)
            leftovers = iter(rest)
            notes = [n if n is not None else next(leftovers) for n in placed]
        heads = []
        ties: dict[int, int] = {}
        for k, note in enumerate(notes):
            # abcjs hands an in-chord tie to the note at the same place in the next
            # chord: one that has no such place gets no tie rather than a stray one.
            tie = note.pitch in plan.inside and k < plan.next_size
            if tie:
                ties[note.pitch] = k
            continues = note.pitch in tied_in and (order is None or order.get(note.pitch) == k)
            heads.append(self._head(voice, note, accidentals, tied_in=continues) + ("-" if tie else ""))
        if ties:
            self._chord_orders[voice.abc_id] = ties
        bracketed = len(heads) > 1 or order or ties
        return "[" + "".join(heads) + "]" if bracketed else heads[0]

    def _head(
        self, voice: _AbcVoice, note: Note, accidentals: _BarAccidentals, *, grace: bool = False, tied_in: bool = False
    ) -> str:
        if voice.drum:
            return _note_name(note.step, note.octave, treble8=False)
        mark = "" if tied_in else accidentals.mark(note, grace=grace)
        return mark + _note_name(note.step, note.octave, treble8=voice.clef == "treble-8vb")


@dataclass(slots=True)
class _TiePlan:
    last_in_measure: bool
    all_notes: bool = False  # the whole chord ties on: one "-" after it
    inside: set[int] = field(default_factory=set)  # pitches tied one by one inside the chord
    next_size: int = 0  # notes in the chord those ties lead to


def _shares_position(notes: list[Note]) -> bool:
    positions = [(n.step, n.octave) for n in notes]
    return len(positions) != len(set(positions))


def _breaks_beam(piece: Piece, following: Piece, measure: Measure) -> bool:
    """A space ends a beam group: at each beat, around rests and around values of a quarter or more."""
    if piece.tuplet is not None and following.tuplet is not None and not piece.tuplet.stop:
        return False
    if piece.is_rest or following.is_rest or piece.plain >= 1 or following.plain >= 1:
        return True
    beat = beat_length(measure.time)
    shift = measure.full_length - measure.length if measure.length < measure.full_length else 0
    return (following.offset + shift) % beat == 0


def _grace_value(duration: Fraction) -> Fraction:
    return duration if duration > 0 else Fraction(1, 2)


def _length(units: Fraction) -> str:
    """An ABC length suffix: "" for one unit, "3", "/2", "3/2"."""
    units = Fraction(units)
    if units == 1:
        return ""
    if units.denominator == 1:
        return str(units.numerator)
    if units.numerator == 1:
        return f"/{units.denominator}"
    return f"{units.numerator}/{units.denominator}"


def _note_name(step: str, octave: int, *, treble8: bool) -> str:
    """C4 (middle C) is C, C5 is c, C6 is c', C3 is C,; under treble-8 abcjs sounds
    an octave below what is written, so the written octave is one higher."""
    if treble8:
        octave += 1
    if octave >= 5:
        return step.lower() + "'" * (octave - 5)
    return step.upper() + "," * (4 - octave)


def _drum_head(pitch: int) -> str:
    """Cymbals and hi-hats get x heads, as drum-kit notation writes them."""
    return "x" if pitch in _CYMBALS else ""


_CYMBALS = {42, 44, 46, 49, 51, 52, 53, 55, 57, 59}


def _chord_text(symbol: str) -> str:
    return symbol.replace('"', "'").replace("\\", "")


class _BarAccidentals:
    """Accidentals written so far in the bar, on top of the key signature.

    An ABC accidental holds to the end of the bar, but readers differ on whether
    it holds for one octave (abcjs) or for every octave of its letter. A mark is
    written whenever either reading would give another pitch than the one meant.

    A tie continuation is never asked here: abcjs sounds it at the pitch it is tied
    from and skips its accidental, which therefore holds for nothing later in the
    bar. So it gets no mark (as engravers write a note tied over the bar line), the
    bar's state stays as it was, and the next note on that line is marked by it.
    """

    def __init__(self, fifths: int) -> None:
        self._key = key_alters(fifths)
        self._by_position: dict[tuple[str, int], int] = {}
        self._by_letter: dict[str, int] = {}

    _UNSURE = 99  # after a grace note's accidental: readers differ on whether it holds

    def mark(self, note: Note, *, grace: bool = False) -> str:
        key = self._key.get(note.step, 0)
        per_octave = self._by_position.get((note.step, note.octave), key)
        per_letter = self._by_letter.get(note.step, key)
        if per_octave == note.alter and per_letter == note.alter:
            return ""
        held = self._UNSURE if grace else note.alter
        self._by_position[(note.step, note.octave)] = held
        self._by_letter[note.step] = held
        return _MARKS[max(-2, min(2, note.alter))]


def abc_text(text: str, *, quoted: bool) -> str:
    """Free text made safe for an ABC field or a quoted voice name.

    A line break would end the field, % starts a comment (abcjs shows \\% as %),
    and a backslash starts an abcjs text escape (\\b is a flat sign) with no escape
    of its own, so it becomes the look-alike full-width backslash. Inside quotes
    abcjs ends the string at any double quote, escaped or not.
    """
    text = " ".join(text.split())
    text = text.replace("\\", "\uff3c").replace("%", "\\%")
    return text.replace('"', "'") if quoted else text
