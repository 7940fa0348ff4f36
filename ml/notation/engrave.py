"""Timed notes → the canonical score (``ScoreDoc``).

The engraver decides everything a musician reads: tempo, meter, key, the grid,
staves and voices, spelling. Analysis steps each fill in one aspect of the doc
and are kept in their own modules; this module only orders them.
"""
from __future__ import annotations

from fractions import Fraction

from ml.notation.quantize import BEATS_PER_BAR, QuantizedScore, quantize_transcription
from ml.notation.score import STEPS, Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice
from ml.notation.spelling import spell_chord
from ml.notes import Transcription

DEFAULT_VELOCITY = 80


def engrave(transcription: Transcription, *, title: str, tempo_bpm: float | None = None) -> ScoreDoc:
    """The score a musician reads for this transcription; the tempo is estimated when not given."""
    quantized = quantize_transcription(transcription, tempo_bpm=tempo_bpm)
    return from_quantized(quantized, transcription, title=title)


def from_quantized(quantized: QuantizedScore, transcription: Transcription, *, title: str) -> ScoreDoc:
    spq = quantized.steps_per_quarter
    bar_steps = quantized.bar_steps
    doc = ScoreDoc(
        title=title,
        measures=[
            Measure(time=(BEATS_PER_BAR, 4), key_fifths=0, mode="major", length=Fraction(BEATS_PER_BAR))
            for _ in range(quantized.bar_count)
        ],
        parts=[],
    )
    doc.measures[0].tempo = float(quantized.tempo_bpm)
    pitched = [t for t in transcription.tracks if not t.is_drum]
    for index, (qpart, track) in enumerate(zip(quantized.parts, pitched, strict=False)):
        part = Part(
            id=f"p{index + 1}",
            name=qpart.name,
            instrument=track.instrument,
            program=track.program,
            is_drum=False,
            staves=[Staff(clef=s.clef) for s in qpart.staves],
            measures=[PartMeasure(voices=[]) for _ in doc.measures],
        )
        for staff_index, staff in enumerate(qpart.staves):
            voices = [Voice(staff=staff_index, number=staff_index * 4 + 1) for _ in doc.measures]
            for chord in staff.chords:
                spelled = spell_chord(chord.pitches)
                start, end = chord.start, chord.end
                pieces = []
                while start < end:  # a chord across a bar line becomes tied events
                    bar, step = divmod(start, bar_steps)
                    piece_end = min(end, (bar + 1) * bar_steps)
                    pieces.append((bar, step, piece_end - start))
                    start = piece_end
                for i, (bar, step, length) in enumerate(pieces):
                    tied = i < len(pieces) - 1
                    notes = [
                        Note(
                            id=doc.new_id("n"),
                            pitch=s.midi,
                            step=STEPS[s.letter],
                            alter=s.alter,
                            octave=s.octave,
                            velocity=DEFAULT_VELOCITY,
                            tie=tied,
                        )
                        for s in spelled
                    ]
                    voices[bar].events.append(
                        Event(id=doc.new_id("e"), offset=Fraction(step, spq), duration=Fraction(length, spq), notes=notes)
                    )
            for bar, voice in enumerate(voices):
                part.measures[bar].voices.append(voice)
        doc.parts.append(part)
    return doc
