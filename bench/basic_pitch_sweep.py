"""Grid search of one instrument's basic-pitch settings over several timbres at once.

    .venv/bin/python -m bench.basic_pitch_sweep --instrument guitar [--pieces 6] [--seconds 30] [--top 15]

Settings tuned on one soundfont preset learn that preset. So the material is
the instrument's part of every ensemble piece (bench.corpus) rendered by
FluidSynth with several General MIDI programs of that instrument family, plus
the synthesized part of bench/basic_pitch_eval.py. Each candidate is scored by
onset F1 on every timbre; candidates are ranked by their *worst* timbre, then
by the mean, so a change only wins when it helps across timbres (``--rank mean``
ranks by the mean alone, for when one timbre is poor whatever the settings).

The model runs once per recording (its activations are cached), the note
decoder once per recording and pair of thresholds; each candidate then only
re-runs the clean-ups.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench import basic_pitch_eval, corpus, render
from bench.metrics import count_matches
from ml.audio import load
from ml.models import basic_pitch
from ml.notes import Note

# General MIDI programs per role (0-based): the family a user's recording may sound like.
TIMBRES = {
    corpus.GUITAR: {"steel": 25, "nylon": 24, "jazz": 26, "clean electric": 27},
    corpus.BASS: {"finger": 33, "pick": 34, "fretless": 35, "acoustic": 32},
    corpus.VOCALS: {"voice oohs": 53, "choir aahs": 52},
    # "Other" is whatever a band has besides the named stems: keys, brass, reeds,
    # strings, pads, synth leads. (The drawbar organ is left out: FluidR3's sounds
    # its 16-foot stop an octave under the written note.)
    corpus.OTHER: {
        "electric piano": 4, "brass": 61, "clarinet": 71, "strings": 48, "flute": 73, "warm pad": 89,
        "square lead": 80,
    },
}

# Ensemble parts are single lines; an instrument that plays chords also gets
# keyboard pieces (every part) played on it: (piece key, programs).
CHORDAL = {
    corpus.GUITAR: (("bach-bwv846", "bach-bwv66.6"), (25, 27)),
}

GRID = {
    "onset_threshold": (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95),
    "frame_threshold": (0.3, 0.4, 0.45, 0.5, 0.55),
    "min_note_seconds": (0.058, 0.08, 0.1, 0.12),
    "min_velocity": (1,),
    "merge_gap_seconds": (None,),
}


# Per instrument, grids that also try the clean-ups that instrument uses.
GRIDS = {
    corpus.OTHER: {**GRID, "min_velocity": (1, 40, 60), "merge_gap_seconds": (None, 0.03)},
    corpus.VOCALS: {**GRID, "merge_gap_seconds": (None, 0.03)},
}

_SHORT = {
    "onset_threshold": "onset", "frame_threshold": "frame", "min_note_seconds": "min s",
    "min_velocity": "min vel", "merge_gap_seconds": "merge",
}


def _cached_activations() -> None:
    """Memoise the model's activations by the samples' bytes: the grid re-decodes, never re-runs the model."""
    compute = basic_pitch._activations
    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def cached(session, samples: np.ndarray):
        key = hashlib.sha1(np.ascontiguousarray(samples).tobytes()).hexdigest()
        if key not in cache:
            cache[key] = compute(session, samples)
        return cache[key]

    basic_pitch._activations = cached


def material(role: str, *, pieces: int, seconds: float, cache: Path) -> dict[str, list[tuple[np.ndarray, list[Note]]]]:
    """Timbre name -> [(mono samples at basic-pitch's rate, reference notes)]."""
    out: dict[str, list[tuple[np.ndarray, list[Note]]]] = {}
    saved, saved_piano = dict(render.ROLE_PROGRAMS), render.PIANO_PROGRAM
    try:
        for name, program in TIMBRES[role].items():
            render.ROLE_PROGRAMS[role] = program
            rendered = []
            for piece in corpus.select(corpus.ENSEMBLE_PIECES, pieces):
                # A cache folder per program: the render cache is keyed by piece, not by sound.
                stem = render.render_ensemble(piece, seconds=seconds, cache_dir=cache / f"gm{program:03d}").stems.get(role)
                if stem is not None:
                    samples = load(stem.audio, sample_rate=basic_pitch.SAMPLE_RATE, mono=True)
                    rendered.append((samples, stem.reference.notes))
            out[f"GM {program} {name}"] = rendered
        keys, programs = CHORDAL.get(role, ((), ()))
        for program in programs:
            render.PIANO_PROGRAM = program
            rendered = []
            for piece in corpus.PIANO_PIECES:
                if piece.key in keys:
                    played = render.render_piano(piece, seconds=seconds, cache_dir=cache / f"gm{program:03d}")
                    samples = load(played.audio, sample_rate=basic_pitch.SAMPLE_RATE, mono=True)
                    rendered.append((samples, played.reference.notes))
            out[f"GM {program} chords"] = rendered
    finally:
        render.ROLE_PROGRAMS.clear()
        render.ROLE_PROGRAMS.update(saved)
        render.PIANO_PROGRAM = saved_piano
    notes, timbre = basic_pitch_eval.MATERIAL[role]
    out["synthesized"] = [(basic_pitch_eval.render(notes, timbre=timbre), notes)]
    return out


_decoded: dict[tuple[int, float, float], list[Note]] = {}


def _decode(samples: np.ndarray, settings: basic_pitch.InstrumentSettings) -> list[Note]:
    key = (id(samples), settings.onset_threshold, settings.frame_threshold)
    if key not in _decoded:
        _decoded[key] = basic_pitch.decode(samples, settings=settings)
    return _decoded[key]


def pooled_f1(recordings: list[tuple[np.ndarray, list[Note]]], settings: basic_pitch.InstrumentSettings) -> float:
    """Onset F1 over all notes of the recordings together (not a mean of per-piece F1s)."""
    matched = reference = estimated = 0
    for samples, truth in recordings:
        notes = basic_pitch.clean_up(_decode(samples, settings), settings=settings)
        counts = count_matches(truth, notes)
        matched, reference, estimated = (
            matched + counts.onset_matches, reference + counts.reference, estimated + counts.estimated
        )
    return 2 * matched / (reference + estimated) if reference + estimated else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", choices=list(TIMBRES), required=True)
    parser.add_argument("--pieces", type=int, default=None, help="first N ensemble pieces (default: all)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--rank", choices=("worst", "mean"), default="worst",
                        help="rank by the worst timbre, then the mean (default), or by the mean alone")
    parser.add_argument("--cache", type=Path, default=render.DEFAULT_CACHE / "timbres")
    args = parser.parse_args()

    began = time.perf_counter()
    _cached_activations()
    recordings = material(args.instrument, pieces=args.pieces, seconds=args.seconds, cache=args.cache)
    current = basic_pitch.INSTRUMENTS[args.instrument]
    timbres = list(recordings)

    def scores(settings: basic_pitch.InstrumentSettings) -> list[float]:
        return [pooled_f1(recordings[name], settings) for name in timbres]

    rows = [("current", current, scores(current))]
    grid = GRIDS.get(args.instrument, GRID)
    keys = list(grid)
    for values in itertools.product(*grid.values()):
        candidate = replace(current, **dict(zip(keys, values)))
        label = " ".join(f"{_SHORT[k]} {v}" for k, v in zip(keys, values) if len(grid[k]) > 1)
        rows.append((label, candidate, scores(candidate)))
    if args.rank == "worst":
        rows.sort(key=lambda row: (min(row[2]), float(np.mean(row[2]))), reverse=True)
    else:
        rows.sort(key=lambda row: float(np.mean(row[2])), reverse=True)

    ranked_by = "worst timbre then mean" if args.rank == "worst" else "mean over timbres"
    print(f"{args.instrument}: onset F1 per timbre (pooled over pieces), ranked by {ranked_by}")
    print(f"{'':<34}" + "".join(f"{name[:14]:>15}" for name in timbres) + f"{'worst':>8}{'mean':>8}")
    shown = rows[: args.top] + [row for row in rows[args.top :] if row[0] == "current"]
    for label, _, f1s in shown:
        print(f"{label:<34}" + "".join(f"{f1:>15.3f}" for f1 in f1s) + f"{min(f1s):>8.3f}{np.mean(f1s):>8.3f}")
    print(f"({len(rows)} candidates, {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
