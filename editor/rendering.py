"""ABC for the editor: the writers' ``score_to_abc`` (ABC text plus a map from
abcjs character ranges to our event and note ids).

Until that writer is in the tree, a plain fallback here writes the same shape:
every event as one ABC token, with its character range, so clicks on the drawn
score still name our ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ml.notation.score import ScoreDoc

try:  # the writers helper's ABC writer
    from ml.notation.abc import score_to_abc as _score_to_abc
except ImportError:  # pragma: no cover - only until it lands
    _score_to_abc = None

try:  # its two stages, so the editor can reuse the laid-out bars an edit did not touch
    from ml.notation import abc as _abc_module
    from ml.notation.layout import layout_voice as _layout_voice

    _STAGES = all(hasattr(_abc_module, name) for name in ("_voices", "_Writer", "_tablature", "AbcResult"))
except ImportError:  # pragma: no cover
    _STAGES = False


class _LayoutCache:
    """Laid-out bars by what they hold. An edit changes a bar or two; the other
    bars' layout (the costly half of writing ABC) is reused. The cached pieces
    point at the event objects they were made from; when the same content comes
    back in other objects (a doc parsed again, after undo), the pieces are
    re-pointed at the current objects by id, which is far cheaper than a layout."""

    def __init__(self, limit: int = 60_000) -> None:
        self.limit = limit
        self.entries: dict[tuple, tuple[tuple, list]] = {}

    def layout(self, events: list, measure, split_at: tuple) -> list:
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
            made_from, pieces = hit
            if len(made_from) == len(current) and all(a is b for a, b in zip(made_from, current, strict=True)):
                return pieces
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
        self.entries[key] = (current, pieces)
        return pieces


_layouts = _LayoutCache()


def _score_to_abc_reusing_layout(doc: ScoreDoc, part_ids: list[str] | None):
    """score_to_abc's own two stages, with the layout stage cached (tests check the
    text and elements are identical to score_to_abc's)."""
    parts = [p for p in doc.parts if part_ids is None or p.id in part_ids]
    voices = _abc_module._voices(parts)
    if voices:
        voices[0].carries_chords = True
    for voice in voices:
        for index, measure in enumerate(doc.measures or []):
            events = [
                e
                for v in voice.part.measures[index].voices
                if v.staff == voice.staff and v.number == voice.number
                for e in v.events
            ]
            split_at = tuple(c.offset for c in measure.chords) if voice.carries_chords else ()
            # Fresh piece lists: the writer may annotate them.
            voice.pieces.append(list(_layouts.layout(events, measure, split_at)))
    writer = _abc_module._Writer(doc, voices)
    text = writer.write(_abc_module.BARS_PER_LINE)
    return _abc_module.AbcResult(text=text, elements=writer.elements, tablature=_abc_module._tablature(voices))


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


@dataclass
class Rendered:
    text: str
    elements: list[Element] = field(default_factory=list)
    tablature: list[dict[str, Any]] = field(default_factory=list)


def render_abc(doc: ScoreDoc, *, part_ids: list[str] | None = None, reuse_layout: bool = True) -> Rendered:
    if _score_to_abc is not None:
        if reuse_layout and _STAGES:
            result = _score_to_abc_reusing_layout(doc, part_ids)
        else:
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
    return _fallback_abc(doc, part_ids)


_UNIT = 48  # L:1/48: a quarter is 12 units, so triplets and 32nds are whole numbers
_KEYS = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
         1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_MARKS = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
_DECORATIONS = {"staccato": ".", "accent": "!>!", "tenuto": "!tenuto!"}


def _length(duration: Fraction) -> str:
    units = duration * _UNIT / 4
    return str(units.numerator) if units.denominator == 1 else f"{units.numerator}/{units.denominator}"


def _key_alters(fifths: int) -> dict[str, int]:
    from ml.notation.edit import key_alters

    return key_alters(fifths)


def _fallback_abc(doc: ScoreDoc, part_ids: list[str] | None) -> Rendered:
    parts = [p for p in doc.parts if part_ids is None or p.id in part_ids]
    first = doc.measures[0]
    out: list[str] = [
        "X:1",
        "T:" + " ".join(doc.title.split()).replace("%", "\\%"),
        f"M:{first.time[0]}/{first.time[1]}",
        f"L:1/{_UNIT}",
        f"Q:1/4={round(doc.tempo_at(0))}",
    ]
    voices = []
    for part in parts:
        for staff_index, staff in enumerate(part.staves):
            voices.append((part, staff_index))
            name = f' name="{part.name}"' if staff_index == 0 else ""
            clef = {"treble-8vb": "treble-8", "percussion": "perc"}.get(staff.clef, staff.clef)
            out.append(f"V:{len(voices)} clef={clef}{name}")
    out.append(f"K:{_KEYS[first.key_fifths]}")
    text = "\n".join(out) + "\n"
    elements: list[Element] = []
    per_line = 4
    for line_start in range(0, len(doc.measures), per_line):
        for voice_number, (part, staff_index) in enumerate(voices, start=1):
            line = f"[V:{voice_number}] "
            for mi in range(line_start, min(line_start + per_line, len(doc.measures))):
                measure = doc.measures[mi]
                if mi > 0:
                    previous = doc.measures[mi - 1]
                    if measure.time != previous.time:
                        line += f"[M:{measure.time[0]}/{measure.time[1]}] "
                    if measure.key_fifths != previous.key_fifths:
                        line += f"[K:{_KEYS[measure.key_fifths]}] "
                voice = next(
                    (v for v in sorted(part.measures[mi].voices, key=lambda v: v.number) if v.staff == staff_index), None
                )
                events = [e for e in voice.events if not e.grace] if voice else []
                alters = dict(_key_alters(measure.key_fifths))
                position = Fraction(0)
                chords = {c.offset: c.symbol for c in measure.chords} if staff_index == 0 and part is parts[0] else {}
                voice_number_in_part = voice.number if voice else staff_index * 4 + 1
                for event in events:
                    if event.offset > position:
                        start = len(text) + len(line)
                        line += f"z{_length(event.offset - position)} "
                        elements.append(Element(start, len(text) + len(line) - 1, None, [], part.id, staff_index,
                                                voice_number_in_part, mi, position, event.offset - position))
                    token = ""
                    if event.offset in chords:
                        token += f'"{chords.pop(event.offset)}"'
                    if event.dynamic:
                        token += f"!{event.dynamic}!"
                    token += "".join(_DECORATIONS[a] for a in event.articulations)
                    if event.notes:
                        heads = []
                        for note in event.notes:
                            mark = ""
                            if alters.get(note.step + str(note.octave), alters[note.step]) != note.alter:
                                mark = _MARKS[note.alter]
                                alters[note.step + str(note.octave)] = note.alter
                            letter = note.step if note.octave <= 4 else note.step.lower()
                            octave = "," * (4 - note.octave) if note.octave <= 4 else "'" * (note.octave - 5)
                            heads.append(mark + letter + octave)
                        body = heads[0] if len(heads) == 1 else "[" + "".join(heads) + "]"
                        tie = "-" if any(n.tie for n in event.notes) else ""
                        token += body + _length(event.duration) + tie
                    else:
                        token += "z" + _length(event.duration)
                    start = len(text) + len(line)
                    line += token + " "
                    elements.append(Element(start, start + len(token), event.id, [n.id for n in event.notes], part.id,
                                            staff_index, voice_number_in_part, mi, event.offset, event.duration))
                    position = event.end
                if position < measure.length:
                    start = len(text) + len(line)
                    line += f"z{_length(measure.length - position)} "
                    elements.append(Element(start, len(text) + len(line) - 1, None, [], part.id, staff_index,
                                            voice_number_in_part, mi, position, measure.length - position))
                line += "|] " if mi == len(doc.measures) - 1 else "| "
            text += line.rstrip() + "\n"
    return Rendered(text, elements)
