"""A simplified piano arrangement: the tune in the right hand, the harmony's bass in the left.

Many players ask a transcription tool for something they can actually play.
This keeps what is heard first, the top line, as a single right-hand melody,
and replaces everything below with one left-hand root (or root and fifth) per
chord: per bar, or per beat where the chord symbols change within a bar. The
measures (meter, key, tempo, chord symbols) are the original's; every event and
note gets a fresh id from the original's counter, so no id is ever reused.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction

from ml.notation.harmony import add_chord_symbols, iter_chord_spans, parse_chord_symbol, spell_note
from ml.notation.score import Event, Note, Part, PartMeasure, ScoreDoc, Staff, Voice

# The left hand's root lies in F2..E3, low enough to sound like a bass, high enough to read.
_LEFT_HAND_LOWEST = 41
# The right hand never goes below middle C's octave neighbourhood, so the hands do not cross.
_RIGHT_HAND_LOWEST = 55
_DEFAULT_VELOCITY = 80
# A root-fifth left hand sounds full on a chord held a half bar or more; shorter chords get the root.
_FIFTH_FROM = Fraction(2)


@dataclass(frozen=True, slots=True)
class _MelodyNote:
    start: Fraction  # quarter notes from the start of the score
    end: Fraction
    source: Note


def simplify_piano(doc: ScoreDoc) -> ScoreDoc:
    """A new two-staff piano score with the original's measures: melody on top, simple bass below."""
    measures = copy.deepcopy(doc.measures)
    if not any(m.chords for m in measures):
        analysed = copy.deepcopy(doc)
        add_chord_symbols(analysed)
        measures = analysed.measures
    simple = ScoreDoc(title=doc.title, measures=measures, parts=[], next_id=doc.next_id)
    starts = simple.measure_starts()
    right = [Voice(staff=0, number=1) for _ in measures]
    left = [Voice(staff=1, number=5) for _ in measures]
    for tune_note in _melody(doc):
        pitch = tune_note.source.pitch
        while pitch < _RIGHT_HAND_LOWEST:
            pitch += 12
        note = copy.copy(tune_note.source)
        note.id = simple.new_id("n")
        if pitch != note.pitch:
            note.octave += (pitch - note.pitch) // 12
            note.pitch = pitch
        _write(simple, right, starts, tune_note.start, tune_note.end, [note])
    for m, offset, end, symbol in iter_chord_spans(simple):
        _write(simple, left, starts, starts[m] + offset, starts[m] + end, _left_hand(simple, symbol, end - offset))
    part = Part(
        id="p1",
        name="Piano (simplified)",
        instrument="piano",
        program=0,
        is_drum=False,
        staves=[Staff("treble"), Staff("bass")],
        measures=[PartMeasure(voices=[r, l]) for r, l in zip(right, left, strict=True)],
    )
    simple.parts.append(part)
    return simple


def _melody(doc: ScoreDoc) -> list[_MelodyNote]:
    """The top line of all pitched parts: at each onset the highest note struck, unless a higher
    melody note is still sounding; each lasts until the next melody note at the latest."""
    starts = doc.measure_starts()
    struck: dict[Fraction, tuple[Note, Fraction]] = {}
    for part in doc.parts:
        if part.is_drum:
            continue
        tied: dict[tuple[int, int, int], tuple[Fraction, Note]] = {}
        for m, pm in enumerate(part.measures):
            for voice in pm.voices:
                for event in voice.events:
                    if event.grace:
                        continue
                    start = starts[m] + event.offset
                    for note in event.notes:
                        key = (voice.staff, voice.number, note.pitch)
                        head = tied.pop(key, None)
                        if head is not None and head[0] + 0 <= start:
                            head_start, head_note = head
                            struck[head_start] = (head_note, max(struck[head_start][1], start + event.duration))
                            if note.tie:
                                tied[key] = head
                            continue
                        end = start + event.duration
                        if start not in struck or note.pitch > struck[start][0].pitch:
                            struck[start] = (note, end)
                        if note.tie:
                            tied[key] = (start, note)
    line: list[_MelodyNote] = []
    for start in sorted(struck):
        note, end = struck[start]
        if line and line[-1].end > start:
            if line[-1].source.pitch >= note.pitch:
                continue  # an inner voice under a held melody note
            line[-1] = _MelodyNote(line[-1].start, start, line[-1].source)
        line.append(_MelodyNote(start, end, note))
    return line


def _left_hand(doc: ScoreDoc, symbol: str, length: Fraction) -> list[Note]:
    root_tpc, quality, bass_tpc = parse_chord_symbol(symbol)
    root_pc = (root_tpc * 7) % 12
    low_pc = (bass_tpc * 7) % 12 if bass_tpc is not None else root_pc
    low = _LEFT_HAND_LOWEST + (low_pc - _LEFT_HAND_LOWEST) % 12
    notes = [_new_note(doc, low, bass_tpc if bass_tpc is not None else root_tpc)]
    fifth = next((i for i in quality.intervals if i in (6, 7, 8)), None)
    if bass_tpc is None and fifth is not None and length >= _FIFTH_FROM:
        offset = quality.tpc_offsets[quality.intervals.index(fifth)]
        notes.append(_new_note(doc, low + fifth, root_tpc + offset))
    return notes


def _new_note(doc: ScoreDoc, pitch: int, tpc: int) -> Note:
    note = Note(doc.new_id("n"), pitch, "C", 0, 4, _DEFAULT_VELOCITY)
    spell_note(note, tpc)
    return note


def _write(doc: ScoreDoc, voices: list[Voice], starts: list[Fraction], start: Fraction, end: Fraction, notes: list[Note]) -> None:
    """Notes from ``start`` to ``end``, cut at bar lines into tied events."""
    ends = starts[1:] + [starts[-1] + doc.measures[-1].length]
    m = max(i for i, s in enumerate(starts) if s <= start)
    first = True
    while start < end and m < len(starts):
        piece_end = min(end, ends[m])
        pieces = notes if first else [copy.copy(n) for n in notes]
        for note in pieces:
            if not first:
                note.id = doc.new_id("n")
            note.tie = piece_end < end
        voices[m].events.append(Event(doc.new_id("e"), start - starts[m], piece_end - start, pieces))
        first = False
        start, m = piece_end, m + 1
