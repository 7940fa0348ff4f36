"""Timed notes → the canonical score (``ScoreDoc``).

The engraver decides everything a musician reads: beats and tempo, metre and
pickup, the grid, staves and voices, spelling. Each analysis lives in its own
module; this one orders them:

1. beats (``beats``): a beat grid from all onsets, drums included, with tempo changes;
2. metre (``meter``): how beats are divided and grouped, and where bar 1 starts;
3. rhythm (``rhythm``): every note at an exact position in beats, grace notes apart;
4. staves and voices (``voices``): hands of a piano, overlapping lines as voices;
5. bars: events cut at bar lines into tied pieces, a pickup bar as long as its notes;
6. keys, spelling, chord symbols and expression (``harmony``, ``expression``).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ml.notation.beats import BeatGrid, tempo_sections, track_beats
from ml.notation.expression import add_expression
from ml.notation.harmony import add_chord_symbols, apply_keys
from ml.notation.meter import Meter, detect_meter
from ml.notation.percussion import drum_position
from ml.notation.rhythm import PlacedNote, place_notes
from ml.notation.score import STEPS, Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice
from ml.notation.spelling import spell_chord
from ml.notation.voices import StaffVoices, VoiceEvent, assign_voices, split_hands
from ml.notes import Track, Transcription

PIANO_PROGRAMS = range(0, 8)  # General MIDI's piano family, 0-based
GUITAR_PROGRAMS = range(24, 32)
BASS_PROGRAMS = range(32, 40)
TREBLE_MEDIAN_FLOOR = 57  # a single-staff part whose median pitch is below A3 reads in bass clef
GRACE_VALUE = Fraction(1, 2)  # written as an eighth with a slash
VOICES_PER_STAFF_NUMBERING = 4  # staff 1 has voices 1-4, staff 2 voices 5-8 (as MusicXML programs count)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Beats of the tracked grid → quarter notes from the start of the score."""

    origin_beat: Fraction
    beat_quarters: Fraction

    def quarters(self, beat: Fraction) -> Fraction:
        return (beat - self.origin_beat) * self.beat_quarters


def engrave(
    transcription: Transcription,
    *,
    title: str,
    tempo_bpm: float | None = None,
    audio_beats: Sequence[float] | None = None,
) -> ScoreDoc:
    """The score a musician reads for this transcription.

    ``tempo_bpm`` (quarter notes per minute) fixes the beat and keeps the metre
    simple; ``audio_beats`` (seconds) are beats found in the recording, used
    instead of the ones the notes suggest.
    """
    tracks = [t for t in transcription.tracks if t.notes]
    pitched_notes = [n for t in tracks if not t.is_drum for n in t.notes]
    every_note = [n for t in tracks for n in t.notes]
    grid = track_beats(every_note, tempo_bpm=tempo_bpm, audio_beats=audio_beats)
    meter, grid, phase = detect_meter(pitched_notes or every_note, grid, allow_compound=tempo_bpm is None)
    placed = place_notes(
        [t.notes for t in tracks], grid, compound=meter.compound, detect_graces=[not t.is_drum for t in tracks]
    )
    starts = [n.start for notes in placed for n in notes]
    origin, pickup_beats = _bar_origin(min(starts, default=Fraction(0)), phase, meter.beats_per_bar)
    timeline = Timeline(origin_beat=origin, beat_quarters=meter.beat_quarters)
    quartered = [
        [PlacedNote(n.pitch, timeline.quarters(n.start), timeline.quarters(n.end), n.velocity, n.grace) for n in notes]
        for notes in placed
    ]
    last = max((n.end for notes in quartered for n in notes), default=Fraction(0))
    doc = ScoreDoc(
        title=title,
        measures=_measures(meter, pickup_beats * meter.beat_quarters, last),
        parts=[],
        audio_offset=round(float(grid.time(float(origin))[0]), 4),
    )
    _mark_tempi(doc, grid, timeline, meter)
    for index, (track, notes) in enumerate(zip(tracks, quartered)):
        doc.parts.append(_part(doc, f"p{index + 1}", track, notes))
    if not doc.parts:
        doc.parts.append(_part(doc, "p1", Track(name="", instrument="piano", program=0), []))
    apply_keys(doc)
    add_chord_symbols(doc)
    add_expression(doc, transcription)
    return doc


def _bar_origin(first: Fraction, phase: int, beats_per_bar: int) -> tuple[Fraction, int]:
    """(beat where the score starts, beats in the pickup bar; 0 for none).

    Music that starts in the first beat of a bar starts with a full bar (a rest
    before the first note); music that starts later has a pickup bar of whole
    beats, from the beat of its first note to the next downbeat.
    """
    downbeat = first + (phase - first) % beats_per_bar  # the first downbeat at or after the first note
    lead = downbeat - first
    if lead == 0:
        return first, 0
    if lead > beats_per_bar - 1:
        return downbeat - beats_per_bar, 0
    pickup = math.ceil(lead)
    return downbeat - pickup, pickup


def _measures(meter: Meter, pickup: Fraction, last: Fraction) -> list[Measure]:
    beats, beat_type = meter.time_signature
    lengths = [pickup] if pickup > 0 else []
    full_bars = max(1, math.ceil((last - pickup) / meter.bar_quarters))
    lengths += [meter.bar_quarters] * full_bars
    return [Measure(time=(beats, beat_type), key_fifths=0, mode="major", length=length) for length in lengths]


def _mark_tempi(doc: ScoreDoc, grid: BeatGrid, timeline: Timeline, meter: Meter) -> None:
    """A tempo mark (quarters per minute) at the bar where each steady section starts."""
    starts = doc.measure_starts()
    marked: dict[int, float] = {}
    for beat, beat_bpm in tempo_sections(grid):
        position = timeline.quarters(Fraction(beat))
        measure = min(range(len(starts)), key=lambda m: (abs(starts[m] - position), m))
        quarter_bpm = round(beat_bpm * float(meter.beat_quarters), 2)
        marked.setdefault(0 if not marked else measure, quarter_bpm)
    previous = None
    for measure, bpm in sorted(marked.items()):
        if previous is None or abs(bpm / previous - 1) > 0.02:
            doc.measures[measure].tempo = bpm
            previous = bpm


def _part(doc: ScoreDoc, part_id: str, track: Track, notes: list[PlacedNote]) -> Part:
    if track.is_drum:
        staves = [Staff(clef="percussion")]
        hands = [n for n in notes if not drum_position(n.pitch).foot]
        feet = [n for n in notes if drum_position(n.pitch).foot]
        layouts = [_drum_voices(hands, feet)]
    elif track.program in PIANO_PROGRAMS or track.instrument == "piano":
        staves = [Staff(clef="treble"), Staff(clef="bass")]
        right, left = split_hands(notes)
        layouts = [assign_voices(right), assign_voices(left)]
    else:
        staves = [_single_staff(track, notes)]
        layouts = [assign_voices(notes)]
    part = Part(
        id=part_id,
        name=track.name,
        instrument=track.instrument,
        program=track.program,
        is_drum=track.is_drum,
        staves=staves,
        measures=[PartMeasure(voices=[]) for _ in doc.measures],
    )
    starts = doc.measure_starts()
    for staff_index, layout in enumerate(layouts):
        for voice_index, events in enumerate(layout.voices):
            number = staff_index * VOICES_PER_STAFF_NUMBERING + voice_index + 1
            per_measure = _bar_events(doc, events, starts, drum=track.is_drum)
            for measure, measure_events in enumerate(per_measure):
                if measure_events or voice_index == 0:
                    part.measures[measure].voices.append(Voice(staff=staff_index, number=number, events=measure_events))
    return part


def _single_staff(track: Track, notes: list[PlacedNote]) -> Staff:
    if track.instrument == "guitar" or track.program in GUITAR_PROGRAMS:
        return Staff(clef="treble-8vb", tablature=True)
    if track.instrument == "bass" or track.program in BASS_PROGRAMS:
        return Staff(clef="bass")
    if notes and statistics.median(n.pitch for n in notes) < TREBLE_MEDIAN_FLOOR:
        return Staff(clef="bass")
    return Staff(clef="treble")


def _drum_voices(hands: list[PlacedNote], feet: list[PlacedNote]) -> StaffVoices:
    """Hands above, feet below; a drum's written length is up to the next stroke in its voice."""
    voices = []
    for notes in (hands, feet):
        if not notes and voices:
            continue
        by_start: dict[Fraction, list[PlacedNote]] = {}
        for n in notes:
            by_start.setdefault(n.start, []).append(n)
        starts = sorted(by_start)
        events = []
        for i, start in enumerate(starts):
            longest = max(n.end for n in by_start[start])
            end = min(longest, starts[i + 1]) if i + 1 < len(starts) else longest
            grace = all(n.grace for n in by_start[start])
            events.append(VoiceEvent(start, start if grace else max(end, start + Fraction(1, 4)), by_start[start], grace))
        # A stroke lasting into the next one is cut there.
        for a, b in zip(events, events[1:]):
            if not a.grace and a.end > b.start:
                a.end = b.start
        voices.append([e for e in events if e.grace or e.end > e.start])
    return StaffVoices(voices or [[]])


def _bar_events(doc: ScoreDoc, events: list[VoiceEvent], starts: list[Fraction], *, drum: bool) -> list[list[Event]]:
    """A voice's events as Events per measure: anything crossing a bar line is cut into tied pieces."""
    ends = starts[1:] + [starts[-1] + doc.measures[-1].length]
    out: list[list[Event]] = [[] for _ in starts]
    measure = 0
    for event in events:
        while measure + 1 < len(starts) and event.start >= ends[measure]:
            measure += 1
        if event.grace:
            out[measure].append(
                Event(
                    id=doc.new_id("e"),
                    offset=event.start - starts[measure],
                    duration=GRACE_VALUE,
                    notes=_notes(doc, event.notes, tie=False, drum=drum),
                    grace=True,
                )
            )
            continue
        position, bar = event.start, measure
        while position < event.end and bar < len(starts):
            piece_end = min(event.end, ends[bar])
            tied = piece_end < event.end and bar + 1 < len(starts)
            out[bar].append(
                Event(
                    id=doc.new_id("e"),
                    offset=position - starts[bar],
                    duration=piece_end - position,
                    notes=_notes(doc, event.notes, tie=tied, drum=drum),
                )
            )
            position = piece_end
            bar += 1
    return out


def _notes(doc: ScoreDoc, placed: list[PlacedNote], *, tie: bool, drum: bool) -> list[Note]:
    unique = sorted({n.pitch: n for n in placed}.values(), key=lambda n: n.pitch)
    if drum:
        notes = []
        for n in unique:
            position = drum_position(n.pitch)
            notes.append(Note(doc.new_id("n"), n.pitch, position.step, 0, position.octave, n.velocity, False))
        return notes
    spelled = spell_chord(tuple(n.pitch for n in unique))
    velocity = {n.pitch: n.velocity for n in unique}
    return [
        Note(
            id=doc.new_id("n"),
            pitch=s.midi,
            step=STEPS[s.letter],
            alter=s.alter,
            octave=s.octave,
            velocity=velocity[s.midi],
            tie=tie,
        )
        for s in spelled
    ]
