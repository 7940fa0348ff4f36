"""Score model → MusicXML 4.0 (partwise), for download, other editors and engraving.

The same quantised score the ABC writer renders, laid out by the same helpers
(``measures.layout_bars`` and ``spelling``), so both show the same notes: a piano
is one part with a braced treble and bass staff, every other part one staff, all
in C major and 4/4 with one division per grid step.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ml.notation.measures import Piece, layout_bars
from ml.notation.quantize import BEATS_PER_BAR, Part, QuantizedScore, Staff, quantize_transcription
from ml.notation.spelling import LETTERS, Spelled
from ml.notes import Transcription

DOCTYPE = (
    '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
    '"http://www.musicxml.org/dtds/partwise.dtd">'
)
_CLEFS = {"treble": ("G", "2"), "bass": ("F", "4")}
_TYPES = {1: "quarter", 2: "eighth", 4: "16th", 8: "32nd", 16: "64th"}  # notes per quarter → type
_ACCIDENTALS = {-1: "flat", 0: "natural", 1: "sharp"}
_DRUM_CHANNEL = 10  # General MIDI percussion; pitched parts never use it
_VOICES_PER_STAFF = 4  # staff 2 starts at voice 5, as notation programs number them


def to_musicxml(
    transcription: Transcription,
    *,
    title: str,
    tempo_bpm: float | None = None,
    steps_per_quarter: int = 4,
) -> str:
    """MusicXML for the whole transcription; the tempo is estimated from the notes when
    not given, exactly as ``to_abc`` does, so both writers quantise alike."""
    score = quantize_transcription(transcription, tempo_bpm=tempo_bpm, steps_per_quarter=steps_per_quarter)
    # The quantiser keeps the pitched tracks in order, one part each.
    programs = [t.program for t in transcription.tracks if not t.is_drum]
    return render_musicxml(score, title=title, programs=programs)


def render_musicxml(score: QuantizedScore, *, title: str, programs: Sequence[int] = ()) -> str:
    """The score as MusicXML text; ``programs`` are the parts' General MIDI programs
    (0-based, as in ``Track``), piano where missing."""
    root = ET.Element("score-partwise", version="4.0")
    ET.SubElement(ET.SubElement(root, "work"), "work-title").text = title
    ET.SubElement(root, "movement-title").text = title
    encoding = ET.SubElement(ET.SubElement(root, "identification"), "encoding")
    ET.SubElement(encoding, "software").text = "Rescored"
    part_list = ET.SubElement(root, "part-list")
    for index, part in enumerate(score.parts):
        part_id = f"P{index + 1}"
        program = programs[index] if index < len(programs) else 0
        _score_part(part_list, part, part_id, program, channel=_midi_channel(index))
        _part(root, part, part_id, score, with_tempo=index == 0)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n{DOCTYPE}\n{body}\n'


def _midi_channel(part_index: int) -> int:
    channel = part_index % 15 + 1
    return channel + 1 if channel >= _DRUM_CHANNEL else channel


def _score_part(part_list: ET.Element, part: Part, part_id: str, program: int, *, channel: int) -> None:
    score_part = ET.SubElement(part_list, "score-part", id=part_id)
    ET.SubElement(score_part, "part-name").text = part.name
    instrument_id = f"{part_id}-I1"
    instrument = ET.SubElement(score_part, "score-instrument", id=instrument_id)
    ET.SubElement(instrument, "instrument-name").text = part.name
    midi = ET.SubElement(score_part, "midi-instrument", id=instrument_id)
    ET.SubElement(midi, "midi-channel").text = str(channel)
    ET.SubElement(midi, "midi-program").text = str(program + 1)  # MusicXML counts from 1


def _part(root: ET.Element, part: Part, part_id: str, score: QuantizedScore, *, with_tempo: bool) -> None:
    element = ET.SubElement(root, "part", id=part_id)
    bars_by_staff = [
        layout_bars(
            staff.chords,
            bar_count=score.bar_count,
            bar_steps=score.bar_steps,
            steps_per_quarter=score.steps_per_quarter,
        )
        for staff in part.staves
    ]
    tied_in = [False] * len(part.staves)  # per staff: the previous bar ended on a tie
    for bar in range(score.bar_count):
        measure = ET.SubElement(element, "measure", number=str(bar + 1))
        if bar == 0:
            _attributes(measure, part.staves, score.steps_per_quarter)
            if with_tempo:
                _tempo(measure, score.tempo_bpm, staff=1 if len(part.staves) > 1 else None)
        for index, bars in enumerate(bars_by_staff):
            if index:
                ET.SubElement(ET.SubElement(measure, "backup"), "duration").text = str(score.bar_steps)
            staff = index + 1 if len(part.staves) > 1 else None
            voice = index * _VOICES_PER_STAFF + 1
            tied_in[index] = _bar(measure, bars[bar], score, staff=staff, voice=voice, tied_in=tied_in[index])
    barline = ET.SubElement(measure, "barline", location="right")  # the final double bar
    ET.SubElement(barline, "bar-style").text = "light-heavy"


def _attributes(measure: ET.Element, staves: tuple[Staff, ...], steps_per_quarter: int) -> None:
    attributes = ET.SubElement(measure, "attributes")
    ET.SubElement(attributes, "divisions").text = str(steps_per_quarter)
    ET.SubElement(ET.SubElement(attributes, "key"), "fifths").text = "0"
    time = ET.SubElement(attributes, "time")
    ET.SubElement(time, "beats").text = str(BEATS_PER_BAR)
    ET.SubElement(time, "beat-type").text = "4"
    if len(staves) > 1:
        ET.SubElement(attributes, "staves").text = str(len(staves))
    for number, staff in enumerate(staves, start=1):
        clef = ET.SubElement(attributes, "clef", {"number": str(number)} if len(staves) > 1 else {})
        sign, line = _CLEFS[staff.clef]
        ET.SubElement(clef, "sign").text = sign
        ET.SubElement(clef, "line").text = line


def _tempo(measure: ET.Element, tempo_bpm: int, *, staff: int | None) -> None:
    direction = ET.SubElement(measure, "direction", placement="above")
    metronome = ET.SubElement(ET.SubElement(direction, "direction-type"), "metronome")
    ET.SubElement(metronome, "beat-unit").text = "quarter"
    ET.SubElement(metronome, "per-minute").text = str(tempo_bpm)
    if staff is not None:
        ET.SubElement(direction, "staff").text = str(staff)
    ET.SubElement(direction, "sound", tempo=str(tempo_bpm))


def _bar(
    measure: ET.Element, pieces: list[Piece], score: QuantizedScore, *, staff: int | None, voice: int, tied_in: bool
) -> bool:
    """Write one staff's bar; returns whether its last piece ties into the next bar."""
    accidentals = _BarAccidentals()
    beams = _beams(pieces, score.steps_per_quarter)
    for piece, beam in zip(pieces, beams):
        if not piece.notes:
            _rest(measure, piece, score, staff=staff, voice=voice)
        else:
            for i, note in enumerate(piece.notes):
                shown = accidentals.shown(note, piece.notes, continued=tied_in)
                _note(measure, piece, note, score, chord=i > 0, staff=staff, voice=voice, accidental=shown,
                      tie_stop=tied_in, beam=beam if i == 0 else ())
        tied_in = bool(piece.notes) and piece.tied
    return tied_in


def _rest(measure: ET.Element, piece: Piece, score: QuantizedScore, *, staff: int | None, voice: int) -> None:
    note = ET.SubElement(measure, "note")
    whole_bar = piece.duration == score.bar_steps
    ET.SubElement(note, "rest", {"measure": "yes"} if whole_bar else {})
    ET.SubElement(note, "duration").text = str(piece.duration)
    ET.SubElement(note, "voice").text = str(voice)
    if not whole_bar:
        _type_and_dot(note, piece.duration, score.steps_per_quarter)
    if staff is not None:
        ET.SubElement(note, "staff").text = str(staff)


def _note(
    measure: ET.Element,
    piece: Piece,
    spelled: Spelled,
    score: QuantizedScore,
    *,
    chord: bool,
    staff: int | None,
    voice: int,
    accidental: bool,
    tie_stop: bool,
    beam: tuple[str, ...],
) -> None:
    # Children in the order the schema requires.
    note = ET.SubElement(measure, "note")
    if chord:
        ET.SubElement(note, "chord")
    pitch = ET.SubElement(note, "pitch")
    ET.SubElement(pitch, "step").text = LETTERS[spelled.letter]
    if spelled.alter:
        ET.SubElement(pitch, "alter").text = str(spelled.alter)
    ET.SubElement(pitch, "octave").text = str(spelled.octave)
    ET.SubElement(note, "duration").text = str(piece.duration)
    ties = (["stop"] if tie_stop else []) + (["start"] if piece.tied else [])
    for kind in ties:
        ET.SubElement(note, "tie", type=kind)
    ET.SubElement(note, "voice").text = str(voice)
    _type_and_dot(note, piece.duration, score.steps_per_quarter)
    if accidental:
        ET.SubElement(note, "accidental").text = _ACCIDENTALS[spelled.alter]
    if staff is not None:
        ET.SubElement(note, "staff").text = str(staff)
    for level, kind in enumerate(beam, start=1):
        ET.SubElement(note, "beam", number=str(level)).text = kind
    if ties:
        notations = ET.SubElement(note, "notations")
        for kind in ties:
            ET.SubElement(notations, "tied", type=kind)


def _type_and_dot(note: ET.Element, steps: int, steps_per_quarter: int) -> None:
    plain, dotted = _undotted(steps)
    if plain >= steps_per_quarter:
        name = {1: "quarter", 2: "half", 4: "whole"}[plain // steps_per_quarter]
    else:
        name = _TYPES[steps_per_quarter // plain]
    ET.SubElement(note, "type").text = name
    if dotted:
        ET.SubElement(note, "dot")


def _undotted(steps: int) -> tuple[int, bool]:
    """A writable value as its plain value and whether it is dotted (6 is a dotted 4)."""
    is_dotted = steps & (steps - 1) != 0
    return (steps * 2 // 3, True) if is_dotted else (steps, False)


def _flags(steps: int, steps_per_quarter: int) -> int:
    """Flags (or beams) a value carries: 0 from the quarter up, 1 for an eighth, …"""
    plain, _ = _undotted(steps)
    return (steps_per_quarter // plain).bit_length() - 1 if plain < steps_per_quarter else 0


def _beams(pieces: list[Piece], steps_per_quarter: int) -> list[tuple[str, ...]]:
    """Per piece, its beam values by level: notes shorter than a quarter are beamed
    within their beat (as the ABC writer groups them); a rest breaks a group."""
    beams: list[tuple[str, ...]] = [() for _ in pieces]
    group: list[int] = []

    def close() -> None:
        if len(group) > 1:
            flags = [_flags(pieces[i].duration, steps_per_quarter) for i in group]
            for k, i in enumerate(group):
                beams[i] = tuple(_beam_at(flags, k, level) for level in range(1, flags[k] + 1))
        group.clear()

    for i, piece in enumerate(pieces):
        beat = piece.offset // steps_per_quarter
        beamable = bool(piece.notes) and _flags(piece.duration, steps_per_quarter) > 0
        if group and (not beamable or pieces[group[-1]].offset // steps_per_quarter != beat):
            close()
        if beamable:
            group.append(i)
    close()
    return beams


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


class _BarAccidentals:
    """Which accidentals a bar shows, the way engravers write them in C major: an
    accidental holds for its staff position to the end of the bar. A note tied over
    the bar line shows none, and the next note on its position shows its accidental
    whatever it is, as a courtesy. Two notes of one chord on one position both show
    theirs."""

    _UNKNOWN = object()

    def __init__(self) -> None:
        self._alter_at: dict[int, object] = {}

    def shown(self, note: Spelled, chord: tuple[Spelled, ...], *, continued: bool) -> bool:
        if continued:
            if note.alter and note.step not in self._alter_at:
                self._alter_at[note.step] = self._UNKNOWN
            return False
        shared = sum(n.step == note.step for n in chord) > 1
        show = shared or self._alter_at.get(note.step, 0) != note.alter
        self._alter_at[note.step] = self._UNKNOWN if shared else note.alter
        return show
