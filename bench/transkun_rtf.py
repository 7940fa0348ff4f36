"""Transkun 2.0 speed: model load time and real-time factor, first call and warm.

    .venv/bin/python -m bench.transkun_rtf [--seconds 60] [--device cpu] [--batch 1 16]

The clip is PIANO_PHRASE (tests/synth.py) repeated back to back, so its notes
are known and the onset F1 printed alongside shows the speed is not bought
with accuracy. Real-time factor = processing seconds / audio seconds (below 1
is faster than real time). Load time is registry.get_model in this fresh
process after torch is imported: importing transkun's model code, hashing the
56 MB checkpoint, building the model and loading its weights. ``--batch``
runs the clip once per batch size (16 s segments per network pass) and checks
that every size gives the notes of the first.
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch

from bench.metrics import onset_f1
from ml import registry
from ml.constants import TRANSKUN_SAMPLE_RATE
from ml.models.transkun import TranskunTranscriber, segment_count
from ml.notes import Note
from tests.synth import PIANO_PHRASE, render_notes

PHRASE_SECONDS = 10.0  # PIANO_PHRASE lasts 9 s; a second's gap before each repeat


def repeated_phrase(seconds: float) -> list[Note]:
    copies = int(seconds // PHRASE_SECONDS)
    return [
        Note(n.pitch, n.onset + i * PHRASE_SECONDS, n.offset + i * PHRASE_SECONDS, n.velocity)
        for i in range(copies)
        for n in PIANO_PHRASE
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length, a multiple of 10 s")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--batch", type=int, nargs="+", default=[None],
                        help="segments per network pass, one run each (default: the device's default)")
    args = parser.parse_args()

    device = torch.device(args.device) if args.device else registry.default_device()
    notes = repeated_phrase(args.seconds)
    n_samples = int(args.seconds * TRANSKUN_SAMPLE_RATE)
    audio = render_notes(notes, sample_rate=TRANSKUN_SAMPLE_RATE)
    audio = np.pad(audio, (0, max(0, n_samples - audio.size)))[:n_samples]  # exactly --seconds long
    seconds = audio.size / TRANSKUN_SAMPLE_RATE

    start = time.perf_counter()
    model = registry.get_model(registry.TRANSKUN, device=device)
    load_seconds = time.perf_counter() - start

    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"clip {seconds:.1f} s, {len(notes)} notes, {segment_count(model, audio.size)} segments")
    print(f"model load  {load_seconds:6.2f} s")
    first_estimate = None
    for batch in args.batch:
        transcriber = TranskunTranscriber(model, batch_segments=batch)
        for label in ("first call", "warm call"):
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            estimate = transcriber.transcribe(audio)
            if device.type == "cuda":
                torch.cuda.synchronize()
            elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
            memory = f", peak CUDA {torch.cuda.max_memory_allocated() / (1 << 20):.0f} MB" if device.type == "cuda" else ""
            print(
                f"batch {batch or 'default':>7}  {label:10}  {elapsed:6.2f} s  RTF {elapsed / seconds:.3f}"
                f"  CPU {cpu:6.1f} s  {transcriber.last_network_passes} network passes{memory}"
                f"  ({len(estimate)} notes, onset F1 {onset_f1(notes, estimate):.3f})"
            )
        if first_estimate is None:
            first_estimate = estimate
        same = [(n.pitch, n.velocity) for n in estimate] == [(n.pitch, n.velocity) for n in first_estimate] and all(
            abs(a.onset - b.onset) < 1e-4 and abs(a.offset - b.offset) < 1e-4 for a, b in zip(estimate, first_estimate)
        )
        print(f"batch {batch or 'default':>7}  notes {'identical to' if same else 'DIFFERENT from'} the first run's")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
