"""MIDI files keep what the score needs: pitches, timing, velocities, instruments."""
from __future__ import annotations

from pathlib import Path

import pytest

from ml.midi import read_midi, write_midi
from ml.notes import Note, Track, Transcription
from tests.synth import PIANO_PHRASE


def test_round_trip_keeps_notes_and_instruments(tmp_path: Path) -> None:
    # Times off the tick grid on purpose; 0.2284 s is half a tick off MIDI's common
    # 220 ticks per beat, which would move it by more than 1 ms.
    bass = [
        Note(pitch=40, onset=0.2284, offset=0.6111, velocity=33),
        Note(pitch=43, onset=0.7777, offset=1.5, velocity=127),
    ]
    drums = [Note(pitch=36, onset=0.0, offset=0.1, velocity=100), Note(pitch=42, onset=0.2503, offset=0.3, velocity=64)]
    original = Transcription(
        duration=9.5,
        tracks=[
            Track(name="Piano", instrument="piano", program=0, notes=list(PIANO_PHRASE)),
            Track(name="Bass", instrument="bass", program=33, notes=bass),
            Track(name="Drums", instrument="drums", program=0, is_drum=True, notes=drums),
        ],
    )
    path = tmp_path / "score.mid"
    write_midi(original, path)
    restored = read_midi(path)

    assert [(t.name, t.instrument, t.program, t.is_drum) for t in restored.tracks] == [
        ("Piano", "piano", 0, False),
        ("Bass", "bass", 33, False),
        ("Drums", "drums", 0, True),
    ]
    for before, after in zip(original.tracks, restored.tracks, strict=True):
        assert len(after.notes) == len(before.notes)
        for a, b in zip(sorted(before.notes, key=lambda n: (n.onset, n.pitch)), after.notes, strict=True):
            assert (b.pitch, b.velocity) == (a.pitch, a.velocity)
            assert b.onset == pytest.approx(a.onset, abs=0.001)
            assert b.offset == pytest.approx(a.offset, abs=0.001)
    assert restored.duration == pytest.approx(max(n.offset for n in PIANO_PHRASE), abs=0.001)
