"""ABC for the editor: the writers' ``score_to_abc`` (ABC text plus a map from
abcjs character ranges to our event and note ids), through the writer's own two
stages so an edit re-lays only the bars and lines it touched.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ml.notation import abc as _abc_module
from ml.notation.abc import score_to_abc as _score_to_abc
from ml.notation.layout import layout_voice as _layout_voice
from ml.notation.score import ScoreDoc


class _LayoutCache:
    """Laid-out bars by what they hold. An edit changes a bar or two; the other
    bars' layout (the costly half of writing ABC) is reused. The cached pieces
    point at the event objects they were made from; when the same content comes
    back in other objects (a doc parsed again, after undo), the pieces are
    re-pointed at the current objects by id, which is far cheaper than a layout.

    Each entry also has a token, a number that names its content (never reused,
    not even after the cache is cleared), so the line cache can key a line by a
    few numbers instead of hashing every event again."""

    def __init__(self, limit: int = 60_000) -> None:
        self.limit = limit
        self.entries: dict[tuple, tuple[tuple, list, int]] = {}
        self._tokens = itertools.count()

    def layout(self, events: list, measure, split_at: tuple) -> tuple[int, list]:
        key = (
            measure.time, measure.length, split_at,
            tuple(
                (e.id, e.offset, e.duration, e.grace, e.dynamic, tuple(e.articulations),
                 tuple((n.id, n.pitch, n.step, n.alter, n.octave, n.tie, n.velocity) for n in e.notes))
                for e in events
            ),
        )
        current = tuple(events)
        hit = self.entries.get(key)
        if hit is not None:
            made_from, pieces, token = hit
            if len(made_from) == len(current) and all(a is b for a, b in zip(made_from, current, strict=True)):
                return token, pieces
            by_id = {e.id: e for e in events}
            pieces = [
                replace(p, event=by_id[p.event.id] if p.event is not None else None,
                        graces=[by_id[g.id] for g in p.graces])
                for p in pieces
            ]
        else:
            if len(self.entries) >= self.limit:
                self.entries.clear()
            pieces = _layout_voice(events, measure, split_at=split_at)
            token = next(self._tokens)
        self.entries[key] = (current, pieces, token)
        return token, pieces


_layouts = _LayoutCache()


class _LineCache:
    """The ABC text of one voice's line (a system of a few bars) and its elements,
    keyed by everything the writer reads to write it: the layout tokens of its
    bars, the bar fields around them, the ties that leave its last piece of each
    bar, the hairpin and pedal marks in it and the in-chord tie order handed in
    from the line before. An edit rewrites a line or two; the rest is copied."""

    def __init__(self, limit: int = 5_000) -> None:  # a 150-bar piano score has about 110 lines
        self.limit = limit
        self.entries: dict[tuple, tuple[str, list[tuple], tuple | None]] = {}

    def get(self, key: tuple):
        return self.entries.get(key)

    def put(self, key: tuple, value) -> None:
        if len(self.entries) >= self.limit:
            self.entries.clear()
        self.entries[key] = value


_lines = _LineCache()


def _plan_key(plan) -> tuple | None:
    if plan is None or (not plan.all_notes and not plan.inside):
        return None
    return (plan.all_notes, tuple(sorted(plan.inside)), plan.next_size)


class _LineReusingWriter(_abc_module._Writer):
    """The writers' ``_Writer``, writing each line through ``_lines``. Its own
    elements are left empty: ``rows`` holds them, as the editor sends them
    (element rows with their character ranges moved to where the line lands)."""

    def __init__(self, doc: ScoreDoc, voices: list, tokens: dict[int, list[int]]) -> None:
        super().__init__(doc, voices)
        self.tokens = tokens
        self.rows: list[tuple] = []
        tempo, self._tempo_before = 120.0, []
        for measure in doc.measures:  # doc.tempo_at(index - 1) for every bar, in one pass
            self._tempo_before.append(tempo)
            tempo = measure.tempo or tempo
        self._marks_by_bar: dict[tuple[int, int], list] = {}
        for (abc_id, index, offset), marks in self._span_marks.items():
            self._marks_by_bar.setdefault((abc_id, index), []).append((offset, tuple(marks)))

    def _line_key(self, voice, first_bar: int, last_bar: int) -> tuple:
        measures, ties, tokens = self.doc.measures, self._ties[voice.abc_id], self.tokens[voice.abc_id]
        bars = []
        for index in range(first_bar, last_bar):
            measure = measures[index]
            previous = measures[index - 1] if index else None
            bars.append((
                tokens[index], measure.time, measure.length, measure.key_fifths, measure.mode, measure.tempo,
                tuple((c.offset, c.symbol) for c in measure.chords) if voice.carries_chords else (),
                (previous.time, previous.key_fifths, previous.mode) if previous else None,
                self._tempo_before[index],
                _plan_key(ties.get((index, len(voice.pieces[index]) - 1))),
                tuple(sorted(self._marks_by_bar.get((voice.abc_id, index), ()))),
            ))
        order = self._chord_orders.get(voice.abc_id)
        # A tie from the line before decides which of this line's first heads are
        # continuations, which the writer leaves unmarked.
        tied_in = _plan_key(ties.get((first_bar - 1, len(voice.pieces[first_bar - 1]) - 1))) if first_bar else None
        return (
            voice.abc_id, voice.part.id, voice.staff, voice.number, voice.drum, voice.clef, voice.carries_chords,
            self._first_number(voice), voice is self.voices[0], first_bar, last_bar, len(measures),
            tuple(sorted(order.items())) if order else None, tied_in, tuple(bars),
        )

    def _write_line(self, voice, first_bar: int, last_bar: int) -> None:
        key = self._line_key(voice, first_bar, last_bar)
        cached = _lines.get(key)
        if cached is None:
            # Written on its own (the element ranges come out relative to the line),
            # which also spares the writer copying the whole text at every token.
            text_before, elements_before = self.text, self.elements
            self.text, self.elements = "", []
            super()._write_line(voice, first_bar, last_bar)
            order = self._chord_orders.get(voice.abc_id)
            cached = (
                self.text,
                [(e.start_char, e.end_char, e.event_id, e.note_ids, e.part_id, e.staff, e.voice, e.measure,
                  str(e.offset), str(e.duration), e.offset, e.duration) for e in self.elements],
                dict(order) if order else None,
            )
            _lines.put(key, cached)
            self.text, self.elements = text_before, elements_before
        else:
            self._chord_orders.pop(voice.abc_id, None)
            if cached[2]:
                self._chord_orders[voice.abc_id] = dict(cached[2])
        line, rows, _ = cached
        base = len(self.text)
        self.rows += [(s + base, e + base, *rest) for s, e, *rest in rows] if base else rows
        self.text += line
        self._mark = len(self.text)


def _score_to_abc_reusing_layout(doc: ScoreDoc, part_ids: list[str] | None) -> Rendered:
    """score_to_abc's own two stages, with the layout stage cached and lines of
    unchanged bars copied (tests check the text and elements are identical to
    score_to_abc's)."""
    parts = [p for p in doc.parts if part_ids is None or p.id in part_ids]
    voices = _abc_module._voices(parts)
    if voices:
        voices[0].carries_chords = True
    tokens: dict[int, list[int]] = {}
    for voice in voices:
        voice_tokens = tokens[voice.abc_id] = []
        for index, measure in enumerate(doc.measures or []):
            events = [
                e
                for v in voice.part.measures[index].voices
                if v.staff == voice.staff and v.number == voice.number
                for e in v.events
            ]
            split_at = tuple(c.offset for c in measure.chords) if voice.carries_chords else ()
            token, pieces = _layouts.layout(events, measure, split_at)
            # Fresh piece lists: the writer may annotate them.
            voice.pieces.append(list(pieces))
            voice_tokens.append(token)
    writer = _LineReusingWriter(doc, voices, tokens)
    text = writer.write(_abc_module.BARS_PER_LINE)
    # The header and an empty score come out of the writer itself, not of lines.
    rows = [_row_of(e) for e in writer.elements] + writer.rows
    return Rendered(text, tablature=_abc_module._tablature(voices), rows=rows)


def _row_of(e) -> tuple:
    return (e.start_char, e.end_char, e.event_id, e.note_ids, e.part_id, e.staff, e.voice, e.measure,
            str(e.offset), str(e.duration), e.offset, e.duration)


@dataclass
class Element:
    start_char: int
    end_char: int
    event_id: str | None  # None: a rest that only fills a gap
    note_ids: list[str]
    part_id: str
    staff: int
    voice: int
    measure: int
    offset: Fraction
    duration: Fraction

    def as_json(self) -> list[Any]:
        """A row, not an object: a long score has thousands of these in every edit
        response. editor.js names the columns: s, e, ev, n, p, st, v, m, o, d."""
        return [self.start_char, self.end_char, self.event_id, self.note_ids, self.part_id, self.staff,
                self.voice, self.measure, str(self.offset), str(self.duration)]


class Rendered:
    """ABC text, its elements and abcjs's tablature option. The fast path keeps the
    elements as rows (as the editor sends them) and makes objects only if asked."""

    def __init__(self, text: str, elements: list[Element] | None = None,
                 tablature: list[dict[str, Any]] | None = None, *, rows: list[tuple] | None = None) -> None:
        self.text = text
        self._elements = elements if elements is not None or rows is not None else []
        self._rows = rows
        self.tablature = tablature or []

    @property
    def elements(self) -> list[Element]:
        if self._elements is None:
            self._elements = [Element(r[0], r[1], r[2], list(r[3]), *r[4:8], r[10], r[11]) for r in self._rows]
        return self._elements

    def element_rows(self) -> list[list[Any]]:
        """The elements as Element.as_json rows, for the editor's JSON."""
        if self._rows is None:
            return [e.as_json() for e in self._elements]
        return [[s, e, ev, list(n), p, st, v, m, o, d] for s, e, ev, n, p, st, v, m, o, d, _, _ in self._rows]


def render_abc(doc: ScoreDoc, *, part_ids: list[str] | None = None, reuse_layout: bool = True) -> Rendered:
    if reuse_layout:
        return _score_to_abc_reusing_layout(doc, part_ids)
    result = _score_to_abc(doc, part_ids=part_ids)
    return Rendered(
        result.text,
        [
            Element(e.start_char, e.end_char, e.event_id, list(e.note_ids), e.part_id, e.staff, e.voice,
                    e.measure, e.offset, e.duration)
            for e in result.elements
        ],
        list(result.tablature),
    )
