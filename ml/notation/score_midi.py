"""The canonical score (``ScoreDoc``) → a Standard MIDI File of what is written.

Unlike the raw performance MIDI (``ml.midi.write_midi`` on the note list), this
plays the notation: quantised onsets, tied notes as one note, the tempo map of
the measures, one track per part with its program, drums on channel 10.
"""
from __future__ import annotations

import io
from fractions import Fraction

import pretty_midi

from ml.constants import MIDI_TICKS_PER_BEAT
from ml.notation.score import Event, ScoreDoc

GRACE_QUARTERS = Fraction(1, 8)  # a grace note sounds a 32nd before its beat


def score_to_midi(doc: ScoreDoc) -> bytes:
    starts = doc.measure_starts()
    seconds = _clock(doc, starts)
    midi = pretty_midi.PrettyMIDI(resolution=MIDI_TICKS_PER_BEAT, initial_tempo=doc.tempo_at(0))
    _tempo_map(midi, doc, starts)
    for part in doc.parts:
        instrument = pretty_midi.Instrument(
            program=max(0, min(127, part.program)), is_drum=part.is_drum, name=part.name or part.instrument
        )
        for staff in range(len(part.staves)):
            numbers = sorted({v.number for pm in part.measures for v in pm.voices if v.staff == staff})
            for number in numbers:
                instrument.notes += _voice_notes(part, staff, number, starts, seconds)
        instrument.notes.sort(key=lambda n: (n.start, n.pitch))
        midi.instruments.append(instrument)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def _voice_notes(part, staff: int, number: int, starts: list[Fraction], seconds) -> list[pretty_midi.Note]:
    """One voice's notes; a tie extends the note it continues instead of striking again."""
    sounding: dict[int, list] = {}  # pitch → [start quarters, end quarters, velocity] of a note still tied on
    notes: list[pretty_midi.Note] = []

    def finish(entry) -> None:
        start, end, velocity, pitch = entry
        if end > start:
            notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch, start=seconds(start), end=seconds(end)))

    events: list[tuple[Fraction, Event]] = [
        (starts[m] + e.offset, e)
        for m, pm in enumerate(part.measures)
        for v in pm.voices
        if v.staff == staff and v.number == number
        for e in v.events
    ]
    events.sort(key=lambda item: (item[0], not item[1].grace))
    for onset, event in events:
        if event.grace:
            for note in event.notes:
                start = max(Fraction(0), onset - GRACE_QUARTERS)
                finish((start, start + GRACE_QUARTERS, _velocity(note.velocity), _pitch(note.pitch)))
            continue
        end = onset + event.duration
        continuing = {}
        for note in event.notes:
            pitch = _pitch(note.pitch)
            entry = sounding.pop(pitch, None)
            if entry is not None and entry[1] == onset:
                entry[1] = end
            else:
                if entry is not None:
                    finish(entry)
                entry = [onset, end, _velocity(note.velocity), pitch]
            if note.tie:
                continuing[pitch] = entry
            else:
                finish(entry)
        for pitch, entry in sounding.items():  # ties that found nothing to continue
            finish(entry)
        sounding = continuing
    for entry in sounding.values():
        finish(entry)
    return notes


def _clock(doc: ScoreDoc, starts: list[Fraction]):
    """Quarters from the start → seconds, through each measure's tempo."""
    marks: list[tuple[Fraction, float, float]] = []  # (start quarters, start seconds, quarters per second)
    elapsed = 0.0
    for m, start in enumerate(starts):
        rate = doc.tempo_at(m) / 60.0
        if marks:
            previous_start, previous_seconds, previous_rate = marks[-1]
            elapsed = previous_seconds + float(start - previous_start) / previous_rate
        marks.append((start, elapsed, rate))
    if not marks:
        marks.append((Fraction(0), 0.0, 2.0))

    def seconds(quarters: Fraction) -> float:
        start, at, rate = next(m for m in reversed(marks) if m[0] <= quarters) if quarters >= 0 else marks[0]
        return at + float(quarters - start) / rate

    return seconds


def _tempo_map(midi: pretty_midi.PrettyMIDI, doc: ScoreDoc, starts: list[Fraction]) -> None:
    """Every tempo change as a tempo event at its bar. pretty_midi has no public way
    to add one: its tick-scale table is what ``write`` turns into tempo events and
    what it converts note times to ticks with, so the table is set whole."""
    scales = [(0, 60.0 / (doc.tempo_at(0) * MIDI_TICKS_PER_BEAT))]
    for m, start in enumerate(starts):
        if m and doc.tempo_at(m) != doc.tempo_at(m - 1):
            scales.append((int(start * MIDI_TICKS_PER_BEAT), 60.0 / (doc.tempo_at(m) * MIDI_TICKS_PER_BEAT)))
    if len(scales) == 1:
        return
    midi._tick_scales = scales  # noqa: SLF001
    end_tick = int((starts[-1] + doc.measures[-1].length) * MIDI_TICKS_PER_BEAT) + 1
    midi._update_tick_to_time(end_tick)  # noqa: SLF001


def _pitch(pitch: int) -> int:
    return max(0, min(127, pitch))


def _velocity(velocity: int) -> int:
    return max(1, min(127, velocity))
