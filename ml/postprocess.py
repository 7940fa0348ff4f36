"""Clean-ups on note lists: pure functions of ``list[Note]``, no model, no torch.

Each function returns a new list sorted by (onset, pitch) and leaves its input
alone. Which of them a transcription backend applies, and with which numbers,
is decided by measurement (``bench/basic_pitch_eval.py``), not by taste.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ml.notes import Note


def sort_notes(notes: Iterable[Note]) -> list[Note]:
    """Time order; ties by pitch so the order never depends on the input's order."""
    return sorted(notes, key=lambda note: (note.onset, note.pitch, note.offset))


def drop_short_notes(notes: Iterable[Note], *, min_seconds: float) -> list[Note]:
    """Remove notes shorter than ``min_seconds``: clicks and splinters, not music."""
    return sort_notes(note for note in notes if note.duration >= min_seconds)


def drop_quiet_notes(notes: Iterable[Note], *, min_velocity: int) -> list[Note]:
    """Remove notes below ``min_velocity``: the model's weak guesses are mostly ghosts."""
    return sort_notes(note for note in notes if note.velocity >= min_velocity)


def drop_out_of_range(notes: Iterable[Note], *, lowest: int, highest: int) -> list[Note]:
    """Keep the notes an instrument can play (``lowest``..``highest`` MIDI, inclusive)."""
    return sort_notes(note for note in notes if lowest <= note.pitch <= highest)


def merge_fragments(notes: Iterable[Note], *, max_gap: float) -> list[Note]:
    """Join same-pitch notes separated by at most ``max_gap`` seconds into one.

    A held note whose loudness wobbles (vibrato, tremolo) comes out of a
    transcription model as several pieces with tiny gaps between them. The joined
    note spans from the first piece's onset to the last piece's offset and takes
    the loudest piece's velocity. Overlapping same-pitch notes are joined too,
    since one voice cannot sound the same pitch twice at once.
    """
    by_pitch: dict[int, list[Note]] = {}
    for note in sort_notes(notes):
        pieces = by_pitch.setdefault(note.pitch, [])
        if pieces and note.onset - pieces[-1].offset <= max_gap:
            last = pieces[-1]
            pieces[-1] = replace(last, offset=max(last.offset, note.offset), velocity=max(last.velocity, note.velocity))
        else:
            pieces.append(note)
    return sort_notes(note for pieces in by_pitch.values() for note in pieces)


def reduce_to_monophonic(notes: Iterable[Note], *, chord_window: float) -> list[Note]:
    """One note at a time, for a voice that cannot sing two.

    Walking in onset order against the note held so far:
    - notes starting within ``chord_window`` seconds of it count as simultaneous
      (a harmonic or a doubled detection): only the loudest survives;
    - a later note that is quieter and ends before it is a ghost inside the held
      note and is dropped;
    - any other later note is the next note of the melody: it cuts the held one off.
    """
    kept: list[Note] = []
    # Loudest first among equal onsets, so a ghost never becomes the held note.
    for note in sorted(notes, key=lambda n: (n.onset, -n.velocity, n.pitch)):
        if not kept or note.onset >= kept[-1].offset:
            kept.append(note)
            continue
        held = kept[-1]
        if note.onset - held.onset <= chord_window:
            if note.velocity > held.velocity:
                kept[-1] = note
        elif note.velocity <= held.velocity and note.offset <= held.offset:
            continue
        else:
            kept[-1] = replace(held, offset=note.onset)
            kept.append(note)
    return kept
