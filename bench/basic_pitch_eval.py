"""Onset F1 of the Basic Pitch backend per instrument, with and without each clean-up.

    .venv/bin/python -m bench.basic_pitch_eval

Material is synthesized here, so every played note is known: a plucked bass
line, a plucked guitar part with chords, a sung-like legato melody with
vibrato, and sustained organ-like chords under a melody. A clean-up earns its
place in ``ml.models.basic_pitch.INSTRUMENTS`` only when it raises F1 here.

Scores are mir_eval's note-onset F1: a note is found when its pitch matches
within a quarter tone and its onset within 50 ms; offsets are ignored.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bench.metrics import ONSET_TOLERANCE, onset_f1
from ml import postprocess
from ml.models.basic_pitch import INSTRUMENTS, SAMPLE_RATE, InstrumentSettings, clean_up, decode
from ml.notes import Note


@dataclass(frozen=True, slots=True)
class Timbre:
    partials: int
    rolloff: float  # partial k has amplitude k ** -rolloff
    decay: float  # seconds, time constant of the fundamental; 0 means sustained
    attack: float  # seconds
    release: float  # seconds, time constant after note-off
    vibrato_cents: float = 0.0
    vibrato_hz: float = 5.5
    pluck_noise: float = 0.0  # level of a short noise burst at the onset


PLUCKED_BASS = Timbre(partials=10, rolloff=1.3, decay=1.5, attack=0.004, release=0.03, pluck_noise=0.05)
PLUCKED_GUITAR = Timbre(partials=24, rolloff=1.0, decay=1.0, attack=0.002, release=0.03, pluck_noise=0.1)
SUNG = Timbre(partials=16, rolloff=1.6, decay=0.0, attack=0.06, release=0.05, vibrato_cents=35.0)
ORGAN = Timbre(partials=8, rolloff=1.1, decay=0.0, attack=0.02, release=0.04)


def render(notes: list[Note], *, timbre: Timbre, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """Mono float32 audio of ``notes`` by additive synthesis, peak 0.8. Deterministic."""
    rng = np.random.default_rng(seed)
    end = max((n.offset for n in notes), default=0.0) + 10 * timbre.release + 0.5
    audio = np.zeros(int(np.ceil(end * sample_rate)))
    for note in notes:
        sound = _render_note(note, timbre=timbre, sample_rate=sample_rate, rng=rng)
        start = round(note.onset * sample_rate)
        audio[start : start + sound.size] += sound[: audio.size - start]
    peak = np.abs(audio).max()
    return (audio * (0.8 / peak if peak > 0 else 1.0)).astype(np.float32)


def _render_note(note: Note, *, timbre: Timbre, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int((note.duration + 10 * timbre.release) * sample_rate)) / sample_rate
    f0 = 440.0 * 2.0 ** ((note.pitch - 69) / 12)
    # Vibrato as a phase: the integral of a frequency that swings by +-cents.
    swing = 2.0 ** (timbre.vibrato_cents / 1200 * np.sin(2 * np.pi * timbre.vibrato_hz * t + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * f0 * np.cumsum(swing) / sample_rate
    sound = np.zeros_like(t)
    for k in range(1, timbre.partials + 1):
        if k * f0 >= 0.45 * sample_rate:
            break
        partial = k ** -timbre.rolloff * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
        if timbre.decay > 0:
            # A plucked string: upper partials die away faster than the fundamental.
            partial *= np.exp(-t * (1 + 0.3 * (k - 1)) / timbre.decay)
        sound += partial
    if timbre.pluck_noise > 0:
        sound += timbre.pluck_noise * rng.standard_normal(t.size) * np.exp(-t / 0.005)
    envelope = np.minimum(t / timbre.attack, 1.0)
    released = t > note.duration
    envelope[released] *= np.exp(-(t[released] - note.duration) / timbre.release)
    return (note.velocity / 127) * envelope * sound


def _notes(rows: list[tuple[float, float, list[int]]], *, beat: float, gate: float, velocity: int = 90) -> list[Note]:
    """(start beat, length in beats, pitches) rows to notes held for ``gate`` of their length."""
    return postprocess.sort_notes(
        Note(pitch=p, onset=start * beat, offset=(start + length * gate) * beat, velocity=velocity)
        for start, length, pitches in rows
        for p in pitches
    )


def _bass_line() -> list[Note]:
    """Two bars repeated with a turnaround: E1 to D3, eighths with repeated notes."""
    bar = [(0, 1, [28]), (1, 0.5, [28]), (1.5, 0.5, [40]), (2, 1, [31]), (3, 0.5, [33]), (3.5, 0.5, [35]),
           (4, 1, [36]), (5, 0.5, [36]), (5.5, 0.5, [43]), (6, 1, [38]), (7, 1, [45])]
    turn = [(8, 1, [40]), (9, 1, [47]), (10, 0.5, [50]), (10.5, 0.5, [48]), (11, 1, [45]),
            (12, 2, [33]), (14, 1, [35]), (15, 1, [28])]
    rows = bar + [(b + 16, n, p) for b, n, p in bar] + [(b + 16, n, p) for b, n, p in turn]
    return _notes(rows, beat=0.6, gate=0.85)


def _guitar_part() -> list[Note]:
    """A melody G3..E5 with open-position chords (E minor, C, G, D) between phrases."""
    rows = [(0, 2, [40, 47, 52, 55, 59, 64]), (2, 0.5, [67]), (2.5, 0.5, [69]), (3, 1, [71]), (4, 1, [74]),
            (5, 0.5, [72]), (5.5, 0.5, [71]), (6, 2, [48, 52, 55, 60, 64]), (8, 1, [67]), (9, 1, [64]),
            (10, 0.5, [62]), (10.5, 0.5, [64]), (11, 1, [67]), (12, 2, [43, 47, 50, 55, 59, 67]),
            (14, 1, [76]), (15, 1, [74]), (16, 2, [50, 57, 62, 66]), (18, 1, [69]), (19, 1, [66])]
    return _notes(rows, beat=0.55, gate=0.95)


def _sung_melody() -> list[Note]:
    """A legato tune A2..E4, notes joined as a singer would join them."""
    rows = [(0, 1, [57]), (1, 1, [60]), (2, 2, [64]), (4, 1, [62]), (5, 1, [60]), (6, 2, [59]),
            (8, 1, [57]), (9, 0.5, [55]), (9.5, 0.5, [57]), (10, 2, [60]), (12, 1, [52]), (13, 1, [55]),
            (14, 3, [57]), (17, 1, [45]), (18, 1, [48]), (19, 1, [52])]
    return _notes(rows, beat=0.5, gate=0.97)


def _organ_chords() -> list[Note]:
    """Sustained triads C3..G4 under a melody up to C7."""
    chords = [(0, 4, [48, 52, 55]), (4, 4, [53, 57, 60]), (8, 4, [55, 59, 62]), (12, 4, [48, 52, 55, 60])]
    melody = [(0, 1, [72]), (1, 1, [76]), (2, 2, [79]), (4, 1, [81]), (5, 1, [84]), (6, 2, [89]),
              (8, 1, [86]), (9, 1, [83]), (10, 2, [79]), (12, 1, [96]), (13, 1, [91]), (14, 2, [84])]
    return _notes(chords + melody, beat=0.5, gate=0.9)


MATERIAL: dict[str, tuple[list[Note], Timbre]] = {
    "bass": (_bass_line(), PLUCKED_BASS),
    "guitar": (_guitar_part(), PLUCKED_GUITAR),
    "vocals": (_sung_melody(), SUNG),
    "other": (_organ_chords(), ORGAN),
}


# Decoder thresholds to try instead of the table's, one at a time.
DECODER_VARIANTS: dict[str, Callable[[InstrumentSettings], InstrumentSettings]] = {
    "onset threshold 0.4": lambda s: replace(s, onset_threshold=0.4),
    "onset threshold 0.6": lambda s: replace(s, onset_threshold=0.6),
    "frame threshold 0.4": lambda s: replace(s, frame_threshold=0.4),
}

# Every clean-up the backend can apply, each alone on the raw decoder output.
FILTERS: dict[str, Callable[[list[Note], InstrumentSettings], list[Note]]] = {
    "instrument's pitch range": lambda notes, s: postprocess.drop_out_of_range(
        notes, lowest=s.lowest_pitch, highest=s.highest_pitch
    ),
    "min length 0.08 s": lambda notes, s: postprocess.drop_short_notes(notes, min_seconds=0.08),
    "min length 0.1 s": lambda notes, s: postprocess.drop_short_notes(notes, min_seconds=0.1),
    "min length 0.12 s": lambda notes, s: postprocess.drop_short_notes(notes, min_seconds=0.12),
    "min velocity 40": lambda notes, s: postprocess.drop_quiet_notes(notes, min_velocity=40),
    "min velocity 50": lambda notes, s: postprocess.drop_quiet_notes(notes, min_velocity=50),
    "min velocity 60": lambda notes, s: postprocess.drop_quiet_notes(notes, min_velocity=60),
    "merge gap 0.03 s": lambda notes, s: postprocess.merge_fragments(notes, max_gap=0.03),
    "merge gap 0.1 s": lambda notes, s: postprocess.merge_fragments(notes, max_gap=0.1),
    "monophonic": lambda notes, s: postprocess.reduce_to_monophonic(notes, chord_window=0.05),
}


# The chosen configuration with one of its clean-ups switched off: each should cost F1.
ABLATIONS: dict[str, Callable[[InstrumentSettings], InstrumentSettings]] = {
    "chosen, full pitch range": lambda s: replace(s, lowest_pitch=21, highest_pitch=108),
    "chosen, no min length": lambda s: replace(s, min_note_seconds=0.0),
    "chosen, no min velocity": lambda s: replace(s, min_velocity=1),
    "chosen, no merging": lambda s: replace(s, merge_gap_seconds=None),
    "chosen, not monophonic": lambda s: replace(s, monophonic=False),
}


def _raw_settings(settings: InstrumentSettings) -> InstrumentSettings:
    """The instrument's decoder thresholds with every clean-up switched off."""
    return replace(settings, min_velocity=1, merge_gap_seconds=None, monophonic=False)


def evaluate() -> dict[str, dict[str, float]]:
    """F1 per variant per instrument: {variant: {instrument: f1}}."""
    scores: dict[str, dict[str, float]] = {}
    for instrument, (reference, timbre) in MATERIAL.items():
        settings = INSTRUMENTS[instrument]
        samples = render(reference, timbre=timbre)
        raw = decode(samples, settings=_raw_settings(settings))
        results = {"raw decoder output": onset_f1(reference, raw)}
        for name, change in DECODER_VARIANTS.items():
            results[name] = onset_f1(reference, decode(samples, settings=change(_raw_settings(settings))))
        for name, apply in FILTERS.items():
            results[name] = onset_f1(reference, apply(raw, settings))
        results["chosen (INSTRUMENTS table)"] = onset_f1(reference, clean_up(raw, settings=settings))
        for name, change in ABLATIONS.items():
            results[name] = onset_f1(reference, clean_up(raw, settings=change(settings)))
        for name, f1 in results.items():
            scores.setdefault(name, {})[instrument] = f1
    return scores


def main() -> None:
    began = time.perf_counter()
    scores = evaluate()
    instruments = list(MATERIAL)
    print(f"Onset F1 (pitch and onset within {ONSET_TOLERANCE * 1000:.0f} ms) on synthesized material.")
    print("Decoder variants change one threshold; filters run alone on the raw decoder output;")
    print("'chosen' rows apply the INSTRUMENTS table, then the table less one clean-up.")
    print(f"{'variant':<28}" + "".join(f"{name:>9}" for name in instruments))
    print(f"{'(reference notes)':<28}" + "".join(f"{len(MATERIAL[name][0]):>9}" for name in instruments))
    for variant, row in scores.items():
        print(f"{variant:<28}" + "".join(f"{row[name]:>9.3f}" for name in instruments))
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
