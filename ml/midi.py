"""Standard MIDI files from and to the note list (pretty_midi)."""
from __future__ import annotations

import os

import pretty_midi

from ml.constants import MIDI_TEMPO_BPM, MIDI_TICKS_PER_BEAT
from ml.notes import Note, Track, Transcription

DRUM_INSTRUMENT = "drums"


def write_midi(transcription: Transcription, path: str | os.PathLike[str]) -> None:
    """One MIDI track per Track, carrying its name, program and drum flag."""
    midi = pretty_midi.PrettyMIDI(resolution=MIDI_TICKS_PER_BEAT, initial_tempo=MIDI_TEMPO_BPM)
    for track in transcription.tracks:
        instrument = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=track.name)
        instrument.notes = [
            pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.onset, end=n.offset) for n in track.notes
        ]
        midi.instruments.append(instrument)
    midi.write(os.fspath(path))


def read_midi(path: str | os.PathLike[str]) -> Transcription:
    """Read any MIDI file; each instrument becomes a Track.

    A MIDI file has no slot for our instrument registry key, so it is derived:
    "drums" for drum tracks, otherwise the General MIDI family in lower case
    (program 0..7 gives "piano", the key our piano model uses). A MIDI file does
    not store the recording's length either: duration is the end of the last note.
    """
    midi = pretty_midi.PrettyMIDI(os.fspath(path))
    tracks = [
        Track(
            name=instrument.name,
            instrument=(
                DRUM_INSTRUMENT
                if instrument.is_drum
                else pretty_midi.program_to_instrument_class(instrument.program).lower()
            ),
            program=instrument.program,
            is_drum=instrument.is_drum,
            notes=sorted(
                (Note(pitch=n.pitch, onset=n.start, offset=n.end, velocity=n.velocity) for n in instrument.notes),
                key=lambda note: (note.onset, note.pitch),
            ),
        )
        for instrument in midi.instruments
    ]
    return Transcription(tracks=tracks, duration=midi.get_end_time())
