"""A held-out check of the "other" instrument's onset threshold: keyboard pieces on other timbres.

    .venv/bin/python -m bench.other_keyboard_check [--thresholds 0.5 0.6 0.7 0.8] [--seconds 30]

bench/basic_pitch_sweep.py tunes "other" on the single-line ensemble parts.
This scores the thresholds on material the sweep never saw: three keyboard
pieces (chords, several voices at once) played on the sweep's seven timbres.
Onset F1 per timbre and pooled over all notes; other settings as in
``ml.models.basic_pitch.INSTRUMENTS["other"]``.
"""
from __future__ import annotations

import argparse
from dataclasses import replace

from bench import corpus, render
from bench.basic_pitch_sweep import TIMBRES
from bench.metrics import NoteCounts, count_matches
from ml.audio import load
from ml.models import basic_pitch

PIECES = ("mozart-k545-1", "beethoven-op18no1-1", "joplin-maple-leaf")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    settings = basic_pitch.INSTRUMENTS["other"]
    cache = render.DEFAULT_CACHE / "timbres"
    pooled = {threshold: NoteCounts() for threshold in args.thresholds}
    print(f"{'timbre (onset F1)':<20}" + "".join(f"{t:>8g}" for t in args.thresholds))
    saved = render.PIANO_PROGRAM
    try:
        for name, program in TIMBRES[corpus.OTHER].items():
            render.PIANO_PROGRAM = program  # every part of the piece on this timbre
            recordings = []
            for piece in corpus.PIANO_PIECES:
                if piece.key in PIECES:
                    played = render.render_piano(piece, seconds=args.seconds, cache_dir=cache / f"gm{program:03d}")
                    samples = load(played.audio, sample_rate=basic_pitch.SAMPLE_RATE, mono=True)
                    recordings.append((samples, played.reference.notes))
            row = []
            for threshold in args.thresholds:
                candidate = replace(settings, onset_threshold=threshold)
                counts = sum(
                    (count_matches(truth, basic_pitch.clean_up(basic_pitch.decode(samples, settings=candidate),
                                                               settings=candidate))
                     for samples, truth in recordings),
                    NoteCounts(),
                )
                pooled[threshold] += counts
                row.append(counts.onset_f1)
            print(f"{name:<20}" + "".join(f"{f1:>8.3f}" for f1 in row), flush=True)
    finally:
        render.PIANO_PROGRAM = saved
    print(f"{'pooled':<20}" + "".join(f"{c.onset_f1:>8.3f}" for c in pooled.values()))


if __name__ == "__main__":
    main()
