"""The canonical score (``ScoreDoc``) → MusicXML 4.0 (partwise), for download,
other editors (MuseScore, Finale, Dorico) and engraving.

Laid out by ``ml.notation.layout`` exactly as the ABC writer lays it out, so both
show the same heads: a piano is one part with a braced treble and bass staff,
a guitar adds a TAB staff with string and fret, drums are unpitched notes on a
percussion staff, one instrument per kit sound.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction

from ml.notation.layout import Piece, beat_length, divisions_for, layout_voice, span_anchors
from ml.notation.score import Event, Measure, Note, Part, ScoreDoc

DOCTYPE = (
    '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
    '"http://www.musicxml.org/dtds/partwise.dtd">'
)
_CLEFS = {"treble": ("G", "2", 0), "bass": ("F", "4", 0), "treble-8vb": ("G", "2", -1), "percussion": ("percussion", None, 0)}
_TYPES = {Fraction(8): "breve", Fraction(4): "whole", Fraction(2): "half", Fraction(1): "quarter",
          Fraction(1, 2): "eighth", Fraction(1, 4): "16th", Fraction(1, 8): "32nd", Fraction(1, 16): "64th",
          Fraction(1, 32): "128th"}
_ACCIDENTALS = {-2: "flat-flat", -1: "flat", 0: "natural", 1: "sharp", 2: "double-sharp"}
_DRUM_CHANNEL = 10  # General MIDI percussion; pitched parts never use it
GUITAR_STRINGS = (64, 59, 55, 50, 45, 40)  # standard tuning, string 1 (high E) first
_GUITAR_TUNING = (("E", 2), ("A", 2), ("D", 3), ("G", 3), ("B", 3), ("E", 4))  # line 1 (lowest) first
_MAX_FRET = 24
_CYMBALS = {42, 44, 46, 49, 51, 52, 53, 55, 57, 59}
_CHORD_KINDS = {
    "": "major", "m": "minor", "7": "dominant", "maj7": "major-seventh", "m7": "minor-seventh",
    "dim": "diminished", "m7b5": "half-diminished", "dim7": "diminished-seventh", "aug": "augmented",
    "sus4": "suspended-fourth", "sus2": "suspended-second", "6": "major-sixth", "m6": "minor-sixth",
    "9": "dominant-ninth", "5": "power",
}
_CHORD = re.compile(r"^([A-G])([#b]*)([^/]*)(?:/([A-G])([#b]*))?$")


def score_to_musicxml(doc: ScoreDoc) -> str:
    """The whole score as MusicXML text."""
    layouts = [_PartLayout.of(part, doc, carries_chords=i == 0) for i, part in enumerate(doc.parts)]
    divisions = divisions_for(
        [p.offset for layout in layouts for pieces in layout.all_pieces() for p in pieces]
        + [p.duration for layout in layouts for pieces in layout.all_pieces() for p in pieces]
        + [m.length for m in doc.measures]
    )
    root = ET.Element("score-partwise", version="4.0")
    ET.SubElement(ET.SubElement(root, "work"), "work-title").text = doc.title
    ET.SubElement(root, "movement-title").text = doc.title
    encoding = ET.SubElement(ET.SubElement(root, "identification"), "encoding")
    ET.SubElement(encoding, "software").text = "Rescored"
    part_list = ET.SubElement(root, "part-list")
    for index, layout in enumerate(layouts):
        part_id = f"P{index + 1}"
        _score_part(part_list, layout.part, part_id, channel=_midi_channel(index, layout.part.is_drum))
        _PartWriter(doc, layout, part_id, divisions, first_part=index == 0).write(root)
    if not layouts:
        _empty_part(root, part_list, doc)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n{DOCTYPE}\n{body}\n'


@dataclass(slots=True)
class _VoiceLayout:
    staff: int
    number: int
    pieces: list[list[Piece]]  # per measure


@dataclass(slots=True)
class _PartLayout:
    part: Part
    voices: list[_VoiceLayout]

    @classmethod
    def of(cls, part: Part, doc: ScoreDoc, *, carries_chords: bool) -> _PartLayout:
        voices = []
        for staff_index in range(len(part.staves)):
            numbers = sorted({v.number for pm in part.measures for v in pm.voices if v.staff == staff_index}) or [
                staff_index * 4 + 1
            ]
            for number in numbers:
                chords = carries_chords and not voices
                pieces = []
                for m, measure in enumerate(doc.measures):
                    events = [
                        e
                        for v in part.measures[m].voices
                        if v.staff == staff_index and v.number == number
                        for e in v.events
                    ]
                    split_at = tuple(c.offset for c in measure.chords) if chords else ()
                    pieces.append(layout_voice(events, measure, split_at=split_at))
                voices.append(_VoiceLayout(staff_index, number, pieces))
        return cls(part, voices)

    def all_pieces(self) -> list[list[Piece]]:
        return [pieces for voice in self.voices for pieces in voice.pieces]


def _midi_channel(part_index: int, is_drum: bool) -> int:
    if is_drum:
        return _DRUM_CHANNEL
    channel = part_index % 15 + 1
    return channel + 1 if channel >= _DRUM_CHANNEL else channel


def _drum_sounds(part: Part) -> list[int]:
    return sorted({n.pitch for pm in part.measures for v in pm.voices for e in v.events for n in e.notes})


def _score_part(part_list: ET.Element, part: Part, part_id: str, *, channel: int) -> None:
    score_part = ET.SubElement(part_list, "score-part", id=part_id)
    ET.SubElement(score_part, "part-name").text = part.name or part.instrument
    if part.is_drum:
        sounds = _drum_sounds(part) or [38]
        for pitch in sounds:
            instrument = ET.SubElement(score_part, "score-instrument", id=f"{part_id}-I{pitch}")
            ET.SubElement(instrument, "instrument-name").text = _DRUM_NAMES.get(pitch, f"Drum {pitch}")
        for pitch in sounds:
            midi = ET.SubElement(score_part, "midi-instrument", id=f"{part_id}-I{pitch}")
            ET.SubElement(midi, "midi-channel").text = str(channel)
            ET.SubElement(midi, "midi-unpitched").text = str(pitch + 1)  # MusicXML counts from 1
        return
    instrument_id = f"{part_id}-I1"
    instrument = ET.SubElement(score_part, "score-instrument", id=instrument_id)
    ET.SubElement(instrument, "instrument-name").text = part.name or part.instrument
    midi = ET.SubElement(score_part, "midi-instrument", id=instrument_id)
    ET.SubElement(midi, "midi-channel").text = str(channel)
    ET.SubElement(midi, "midi-program").text = str(max(0, min(127, part.program)) + 1)


def _empty_part(root: ET.Element, part_list: ET.Element, doc: ScoreDoc) -> None:
    """A score with no parts still opens: one empty staff with its bars of rest."""
    score_part = ET.SubElement(part_list, "score-part", id="P1")
    ET.SubElement(score_part, "part-name").text = "Music"
    part = ET.SubElement(root, "part", id="P1")
    measures = doc.measures or [Measure((4, 4), 0, "major", Fraction(4))]
    for index, measure in enumerate(measures):
        element = ET.SubElement(part, "measure", number=str(index + 1))
        if index == 0:
            attributes = ET.SubElement(element, "attributes")
            ET.SubElement(attributes, "divisions").text = str(divisions_for([m.length for m in measures]))
            _key_time(attributes, measure)
        divisions = divisions_for([m.length for m in measures])
        note = ET.SubElement(element, "note")
        ET.SubElement(note, "rest", measure="yes")
        ET.SubElement(note, "duration").text = str(int(measure.length * divisions))


def _key_time(attributes: ET.Element, measure: Measure, *, key: bool = True, time: bool = True) -> None:
    if key:
        key_element = ET.SubElement(attributes, "key")
        ET.SubElement(key_element, "fifths").text = str(max(-7, min(7, measure.key_fifths)))
        ET.SubElement(key_element, "mode").text = measure.mode
    if time:
        time_element = ET.SubElement(attributes, "time")
        ET.SubElement(time_element, "beats").text = str(measure.time[0])
        ET.SubElement(time_element, "beat-type").text = str(measure.time[1])


class _PartWriter:
    def __init__(self, doc: ScoreDoc, layout: _PartLayout, part_id: str, divisions: int, *, first_part: bool) -> None:
        self.doc = doc
        self.layout = layout
        self.part = layout.part
        self.part_id = part_id
        self.divisions = divisions
        self.first_part = first_part
        # Notation staves first, then one TAB staff after each staff that asks for one.
        self.staff_numbers: list[int] = []
        self.tab_numbers: dict[int, int] = {}
        number = 0
        for index, staff in enumerate(self.part.staves):
            number += 1
            self.staff_numbers.append(number)
            if staff.tablature and not self.part.is_drum:
                number += 1
                self.tab_numbers[index] = number
        self.staff_count = number
        self.ties = {id(v): _tie_plan(v) for v in layout.voices}
        self.marks = self._span_marks()

    def _staff(self, index: int) -> int | None:
        return self.staff_numbers[index] if self.staff_count > 1 else None

    def write(self, root: ET.Element) -> None:
        element = ET.SubElement(root, "part", id=self.part_id)
        measures = self.doc.measures
        number = 0 if measures and measures[0].length < measures[0].full_length else 1
        for m, measure in enumerate(measures):
            attrs = {"number": str(number + m)}
            if measure.length < measure.full_length:
                attrs["implicit"] = "yes"
            xml_measure = ET.SubElement(element, "measure", attrs)
            self._attributes(xml_measure, m, measure)
            if self.first_part and measure.tempo and (m == 0 or measure.tempo != self.doc.tempo_at(m - 1)):
                self._tempo(xml_measure, measure.tempo)
            first = True
            for voice in self.layout.voices:
                if not first:
                    self._backup(xml_measure, measure.length)
                first = False
                self._voice(xml_measure, m, measure, voice, tab=False)
            for voice in self.layout.voices:
                if voice.staff in self.tab_numbers:
                    self._backup(xml_measure, measure.length)
                    self._voice(xml_measure, m, measure, voice, tab=True)
            if m == len(measures) - 1:
                barline = ET.SubElement(xml_measure, "barline", location="right")
                ET.SubElement(barline, "bar-style").text = "light-heavy"

    def _backup(self, xml_measure: ET.Element, length: Fraction) -> None:
        ET.SubElement(ET.SubElement(xml_measure, "backup"), "duration").text = str(int(length * self.divisions))

    def _attributes(self, xml_measure: ET.Element, m: int, measure: Measure) -> None:
        previous = self.doc.measures[m - 1] if m else None
        key_changed = previous is None or (previous.key_fifths, previous.mode) != (measure.key_fifths, measure.mode)
        time_changed = previous is None or previous.time != measure.time
        if previous is not None and not key_changed and not time_changed:
            return
        attributes = ET.SubElement(xml_measure, "attributes")
        if previous is None:
            ET.SubElement(attributes, "divisions").text = str(self.divisions)
        if self.part.is_drum:
            if previous is None:
                key_element = ET.SubElement(attributes, "key", {"print-object": "no"})
                ET.SubElement(key_element, "fifths").text = "0"
            _key_time(attributes, measure, key=False, time=time_changed)
        else:
            _key_time(attributes, measure, key=key_changed, time=time_changed)
        if previous is not None:
            return
        if self.staff_count > 1:
            ET.SubElement(attributes, "staves").text = str(self.staff_count)
        for index, staff in enumerate(self.part.staves):
            sign, line, octave = _CLEFS.get(staff.clef, _CLEFS["treble"])
            clef = ET.SubElement(attributes, "clef", {"number": str(self.staff_numbers[index])} if self.staff_count > 1 else {})
            ET.SubElement(clef, "sign").text = sign
            if line:
                ET.SubElement(clef, "line").text = line
            if octave:
                ET.SubElement(clef, "clef-octave-change").text = str(octave)
        for index, number in self.tab_numbers.items():
            clef = ET.SubElement(attributes, "clef", number=str(number))
            ET.SubElement(clef, "sign").text = "TAB"
            ET.SubElement(clef, "line").text = "5"
        for number in self.tab_numbers.values():
            details = ET.SubElement(attributes, "staff-details", number=str(number))
            ET.SubElement(details, "staff-lines").text = "6"
            for line_number, (step, octave) in enumerate(_GUITAR_TUNING, start=1):
                tuning = ET.SubElement(details, "staff-tuning", line=str(line_number))
                ET.SubElement(tuning, "tuning-step").text = step
                ET.SubElement(tuning, "tuning-octave").text = str(octave)

    def _tempo(self, xml_measure: ET.Element, tempo: float) -> None:
        direction = ET.SubElement(xml_measure, "direction", placement="above")
        metronome = ET.SubElement(ET.SubElement(direction, "direction-type"), "metronome")
        ET.SubElement(metronome, "beat-unit").text = "quarter"
        ET.SubElement(metronome, "per-minute").text = str(round(tempo))
        if self.staff_count > 1:
            ET.SubElement(direction, "staff").text = "1"
        ET.SubElement(direction, "sound", tempo=f"{tempo:g}")

    # -- marks ----------------------------------------------------------------

    def _span_marks(self) -> dict[tuple[int, int, Fraction], list[tuple[str, str]]]:
        """(voice id, measure, offset) → [(kind, "start"|"stop")], on the top voice of each staff."""
        marks: dict[tuple[int, int, Fraction], list[tuple[str, str]]] = {}
        for voice in self.layout.voices:
            top = next(v for v in self.layout.voices if v.staff == voice.staff)
            if voice is not top:
                continue
            heads = [(m, p.offset) for m, pieces in enumerate(voice.pieces) for p in pieces]
            for span in self.part.spans:
                if span.staff != voice.staff:
                    continue
                anchors = span_anchors(heads, (span.start_measure, span.start_offset), (span.end_measure, span.end_offset))
                if anchors is None:
                    continue
                first, last = anchors
                marks.setdefault((id(voice), *heads[first]), []).append((span.kind, "start"))
                marks.setdefault((id(voice), *heads[last]), []).insert(0, (span.kind, "stop"))
        return marks

    def _directions(self, xml_measure: ET.Element, voice: _VoiceLayout, m: int, piece: Piece) -> None:
        staff = self._staff(voice.staff)
        items: list[tuple[str, str]] = list(self.marks.get((id(voice), m, piece.offset), []))
        if piece.first and piece.event is not None and piece.event.dynamic:
            items.append(("dynamic", piece.event.dynamic))
        for kind, value in items:
            below = kind in ("pedal", "dynamic") or kind in ("crescendo", "diminuendo")
            direction = ET.SubElement(xml_measure, "direction", placement="below" if below else "above")
            direction_type = ET.SubElement(direction, "direction-type")
            if kind == "dynamic":
                ET.SubElement(ET.SubElement(direction_type, "dynamics"), value)
            elif kind == "pedal":
                ET.SubElement(direction_type, "pedal", type=value, line="yes")
            elif value == "start":
                ET.SubElement(direction_type, "wedge", type=kind)
            else:
                ET.SubElement(direction_type, "wedge", type="stop")
            ET.SubElement(direction, "voice").text = str(voice.number)
            if staff is not None:
                ET.SubElement(direction, "staff").text = str(staff)

    def _harmonies(self, xml_measure: ET.Element, m: int, piece: Piece) -> None:
        for chord in self.doc.measures[m].chords:
            if chord.offset == piece.offset:
                _harmony(xml_measure, chord.symbol, staff=1 if self.staff_count > 1 else None)

    # -- notes ------------------------------------------------------------------

    def _voice(self, xml_measure: ET.Element, m: int, measure: Measure, voice: _VoiceLayout, *, tab: bool) -> None:
        pieces = voice.pieces[m]
        top = next(v for v in self.layout.voices if v.staff == voice.staff)
        hidden_rests = voice is not top
        staff = self.tab_numbers[voice.staff] if tab else self._staff(voice.staff)
        number = voice.number + (len(self.staff_numbers) * 4 if tab else 0)
        accidentals = _Accidentals(measure.key_fifths)
        beams = _beams(pieces, measure)
        plan = self.ties[id(voice)]
        chords_here = self.first_part and voice is self.layout.voices[0] and not tab
        for i, piece in enumerate(pieces):
            if chords_here:
                self._harmonies(xml_measure, m, piece)
            if not tab:
                self._directions(xml_measure, voice, m, piece)
            if piece.first and piece.graces and not piece.is_rest:
                for grace in piece.graces:
                    self._grace(xml_measure, grace, staff, number, accidentals, tab=tab)
            starts, stops = plan[(m, i)]
            if piece.is_rest:
                self._rest(xml_measure, piece, measure, staff, number, hidden=hidden_rests)
                continue
            frets = _frets(piece.notes) if tab else {}
            for k, note in enumerate(sorted(piece.notes, key=lambda n: n.pitch)):
                self._note(
                    xml_measure, piece, note, chord=k > 0, staff=staff, voice=number,
                    accidental=None if tab or self.part.is_drum else accidentals.shown(note, tied_in=note.pitch in stops),
                    tie_start=note.pitch in starts, tie_stop=note.pitch in stops,
                    beam=beams[i] if k == 0 else (), fret=frets.get(note.id), tab=tab,
                )

    def _rest(
        self, xml_measure: ET.Element, piece: Piece, measure: Measure, staff: int | None, voice: int, *, hidden: bool
    ) -> None:
        note = ET.SubElement(xml_measure, "note", {"print-object": "no"} if hidden else {})
        whole_bar = piece.duration == measure.length and piece.offset == 0
        ET.SubElement(note, "rest", {"measure": "yes"} if whole_bar else {})
        ET.SubElement(note, "duration").text = str(int(piece.duration * self.divisions))
        ET.SubElement(note, "voice").text = str(voice)
        if not whole_bar:
            _type_and_dots(note, piece)
            _time_modification(note, piece)
        if staff is not None:
            ET.SubElement(note, "staff").text = str(staff)
        _tuplet_notations(note, piece)

    def _grace(
        self, xml_measure: ET.Element, grace: Event, staff: int | None, voice: int, accidentals: _Accidentals, *, tab: bool
    ) -> None:
        frets = _frets(grace.notes) if tab else {}
        for k, spelled in enumerate(sorted(grace.notes, key=lambda n: n.pitch)):
            note = ET.SubElement(xml_measure, "note")
            ET.SubElement(note, "grace", slash="yes")
            if k:
                ET.SubElement(note, "chord")
            self._pitch(note, spelled)
            if self.part.is_drum:
                ET.SubElement(note, "instrument", id=f"{self.part_id}-I{spelled.pitch}")
            ET.SubElement(note, "voice").text = str(voice)
            value = grace.duration if grace.duration in _TYPES else Fraction(1, 2)
            ET.SubElement(note, "type").text = _TYPES[value]
            if not tab and not self.part.is_drum:
                shown = accidentals.shown(spelled, tied_in=False)
                if shown is not None:
                    ET.SubElement(note, "accidental").text = shown
            if staff is not None:
                ET.SubElement(note, "staff").text = str(staff)
            if spelled.id in frets:
                _technical(note, frets[spelled.id])

    def _pitch(self, note: ET.Element, spelled: Note) -> None:
        if self.part.is_drum:
            unpitched = ET.SubElement(note, "unpitched")
            ET.SubElement(unpitched, "display-step").text = spelled.step
            ET.SubElement(unpitched, "display-octave").text = str(spelled.octave)
            return
        pitch = ET.SubElement(note, "pitch")
        ET.SubElement(pitch, "step").text = spelled.step
        if spelled.alter:
            ET.SubElement(pitch, "alter").text = str(spelled.alter)
        ET.SubElement(pitch, "octave").text = str(spelled.octave)

    def _note(
        self,
        xml_measure: ET.Element,
        piece: Piece,
        spelled: Note,
        *,
        chord: bool,
        staff: int | None,
        voice: int,
        accidental: str | None,
        tie_start: bool,
        tie_stop: bool,
        beam: tuple[str, ...],
        fret: tuple[int, int] | None,
        tab: bool,
    ) -> None:
        # Children in the order the schema requires.
        note = ET.SubElement(xml_measure, "note")
        if chord:
            ET.SubElement(note, "chord")
        self._pitch(note, spelled)
        ET.SubElement(note, "duration").text = str(int(piece.duration * self.divisions))
        ties = (["stop"] if tie_stop else []) + (["start"] if tie_start else [])
        for kind in ties:
            ET.SubElement(note, "tie", type=kind)
        if self.part.is_drum:
            ET.SubElement(note, "instrument", id=f"{self.part_id}-I{spelled.pitch}")
        ET.SubElement(note, "voice").text = str(voice)
        _type_and_dots(note, piece)
        if accidental is not None:
            ET.SubElement(note, "accidental").text = accidental
        _time_modification(note, piece)
        if self.part.is_drum:
            ET.SubElement(note, "stem").text = "up"
            if spelled.pitch in _CYMBALS:
                ET.SubElement(note, "notehead").text = "x"
        if staff is not None:
            ET.SubElement(note, "staff").text = str(staff)
        for level, kind in enumerate(beam, start=1):
            ET.SubElement(note, "beam", number=str(level)).text = kind
        notations = ET.Element("notations")
        for kind in ties:
            ET.SubElement(notations, "tied", type=kind)
        if not chord:
            _tuplet_notations(notations, piece, into_notations=True)
        event = piece.event
        if not chord and not tab and event is not None and piece.first and event.articulations:
            articulations = ET.SubElement(notations, "articulations")
            for name in event.articulations:
                if name in ("staccato", "accent", "tenuto"):
                    ET.SubElement(articulations, name)
        if fret is not None:
            technical = ET.SubElement(notations, "technical")
            ET.SubElement(technical, "string").text = str(fret[0])
            ET.SubElement(technical, "fret").text = str(fret[1])
        if len(notations):
            note.append(notations)


def _technical(note: ET.Element, fret: tuple[int, int]) -> None:
    technical = ET.SubElement(ET.SubElement(note, "notations"), "technical")
    ET.SubElement(technical, "string").text = str(fret[0])
    ET.SubElement(technical, "fret").text = str(fret[1])


def _type_and_dots(note: ET.Element, piece: Piece) -> None:
    plain = piece.plain
    ET.SubElement(note, "type").text = _TYPES.get(plain, "128th")
    if piece.dotted:
        ET.SubElement(note, "dot")


def _time_modification(note: ET.Element, piece: Piece) -> None:
    if piece.tuplet is None:
        return
    modification = ET.SubElement(note, "time-modification")
    ET.SubElement(modification, "actual-notes").text = str(piece.tuplet.actual)
    ET.SubElement(modification, "normal-notes").text = str(piece.tuplet.normal)


def _tuplet_notations(parent: ET.Element, piece: Piece, *, into_notations: bool = False) -> None:
    tuplet = piece.tuplet
    if tuplet is None or not (tuplet.start or tuplet.stop):
        return
    notations = parent if into_notations else ET.SubElement(parent, "notations")
    if tuplet.start:
        ET.SubElement(notations, "tuplet", type="start", bracket="yes")
    if tuplet.stop:
        ET.SubElement(notations, "tuplet", type="stop")


def _tie_plan(voice: _VoiceLayout) -> dict[tuple[int, int], tuple[set[int], set[int]]]:
    """Per piece: the pitches whose tie starts there and those whose tie ends there."""
    sequence = [(m, i, p) for m, pieces in enumerate(voice.pieces) for i, p in enumerate(pieces)]
    plan: dict[tuple[int, int], tuple[set[int], set[int]]] = {(m, i): (set(), set()) for m, i, _ in sequence}
    for k, (m, i, piece) in enumerate(sequence[:-1]):
        following = sequence[k + 1]
        if piece.is_rest or following[2].is_rest:
            continue
        next_pitches = {n.pitch for n in following[2].notes}
        tied = {
            n.pitch
            for n in piece.notes
            if (piece.tied_to_next_piece() or n.tie) and n.pitch in next_pitches
        }
        plan[(m, i)][0].update(tied)
        plan[(following[0], following[1])][1].update(tied)
    return plan


def _frets(notes: list[Note]) -> dict[str, tuple[int, int]]:
    """(string, fret) per note id on a guitar in standard tuning: highest notes on the
    highest strings, each string once, the lowest fret that is free."""
    used: set[int] = set()
    result = {}
    for note in sorted(notes, key=lambda n: -n.pitch):
        options = [
            (fret, string)
            for string, open_pitch in enumerate(GUITAR_STRINGS, start=1)
            if string not in used and 0 <= (fret := note.pitch - open_pitch) <= _MAX_FRET
        ]
        if not options:
            continue
        fret, string = min(options)
        used.add(string)
        result[note.id] = (string, fret)
    return result


def _harmony(xml_measure: ET.Element, symbol: str, *, staff: int | None) -> None:
    match = _CHORD.match(symbol.strip())
    harmony = ET.SubElement(xml_measure, "harmony")
    if match is None:
        root = ET.SubElement(harmony, "root")
        ET.SubElement(root, "root-step", text=symbol).text = "C"
        ET.SubElement(harmony, "kind", text=symbol).text = "none"
    else:
        letter, accidentals, suffix, bass_letter, bass_accidentals = match.groups()
        root = ET.SubElement(harmony, "root")
        ET.SubElement(root, "root-step").text = letter
        alter = accidentals.count("#") - accidentals.count("b")
        if alter:
            ET.SubElement(root, "root-alter").text = str(alter)
        kind = _CHORD_KINDS.get(suffix)
        ET.SubElement(harmony, "kind", text=suffix).text = kind or "other"
        if bass_letter:
            bass = ET.SubElement(harmony, "bass")
            ET.SubElement(bass, "bass-step").text = bass_letter
            bass_alter = bass_accidentals.count("#") - bass_accidentals.count("b")
            if bass_alter:
                ET.SubElement(bass, "bass-alter").text = str(bass_alter)
    if staff is not None:
        ET.SubElement(harmony, "staff").text = str(staff)


def _flags(piece: Piece) -> int:
    """Beams a value carries: 0 from the quarter up, 1 for an eighth, 2 for a 16th…"""
    plain = piece.plain
    count = 0
    while plain < 1:
        plain *= 2
        count += 1
    return count


def _beams(pieces: list[Piece], measure: Measure) -> list[tuple[str, ...]]:
    """Per piece, its beam values by level: notes shorter than a quarter are beamed
    within their beat (a tuplet within its bracket), as the ABC writer groups them;
    a rest breaks a group."""
    beat = beat_length(measure.time)
    shift = measure.full_length - measure.length if measure.length < measure.full_length else 0
    beams: list[tuple[str, ...]] = [() for _ in pieces]
    group: list[int] = []

    def close() -> None:
        if len(group) > 1:
            flags = [_flags(pieces[i]) for i in group]
            for k, i in enumerate(group):
                beams[i] = tuple(_beam_at(flags, k, level) for level in range(1, flags[k] + 1))
        group.clear()

    def unit(piece: Piece) -> object:
        if piece.tuplet is not None:
            return ("tuplet", _bracket_start(pieces, piece))
        return (piece.offset + shift) // beat

    for i, piece in enumerate(pieces):
        beamable = not piece.is_rest and _flags(piece) > 0
        if group and (not beamable or unit(pieces[group[-1]]) != unit(piece)):
            close()
        if beamable:
            group.append(i)
    close()
    return beams


def _bracket_start(pieces: list[Piece], piece: Piece) -> Fraction:
    index = pieces.index(piece)
    while index > 0 and not pieces[index].tuplet.start:  # type: ignore[union-attr]
        index -= 1
    return pieces[index].offset


def _beam_at(flags: list[int], k: int, level: int) -> str:
    before = k > 0 and flags[k - 1] >= level
    after = k < len(flags) - 1 and flags[k + 1] >= level
    if before and after:
        return "continue"
    if after:
        return "begin"
    if before:
        return "end"
    return "backward hook" if k > 0 else "forward hook"


class _Accidentals:
    """Which accidentals a bar shows, the way engravers write them: an accidental
    holds for its staff position to the end of the bar, the key signature for every
    octave. A note tied over the bar line shows none."""

    def __init__(self, fifths: int) -> None:
        order = "FCGDAEB"
        self._key = {letter: 1 for letter in order[: max(0, fifths)]}
        self._key.update({letter: -1 for letter in order[::-1][: max(0, -fifths)]})
        self._at: dict[tuple[str, int], int] = {}

    def shown(self, note: Note, *, tied_in: bool) -> str | None:
        position = (note.step, note.octave)
        current = self._at.get(position, self._key.get(note.step, 0))
        self._at[position] = note.alter
        if tied_in or current == note.alter:
            return None
        return _ACCIDENTALS.get(note.alter, "natural")


_DRUM_NAMES = {
    35: "Acoustic Bass Drum", 36: "Bass Drum", 37: "Side Stick", 38: "Snare", 39: "Hand Clap", 40: "Electric Snare",
    41: "Low Floor Tom", 42: "Closed Hi-Hat", 43: "High Floor Tom", 44: "Pedal Hi-Hat", 45: "Low Tom",
    46: "Open Hi-Hat", 47: "Low-Mid Tom", 48: "Hi-Mid Tom", 49: "Crash Cymbal", 50: "High Tom", 51: "Ride Cymbal",
    52: "Chinese Cymbal", 53: "Ride Bell", 54: "Tambourine", 55: "Splash Cymbal", 56: "Cowbell", 57: "Crash Cymbal 2",
    59: "Ride Cymbal 2",
}
