"""How long saving separated stems for listening takes: one encoder at a time vs all at once.

    .venv/bin/python -m bench.stem_encoding [--seconds 240] [--stems 6]

A separated song is six stereo stems; each becomes an MP3 the player streams
(``ml.separation.write_stems``). LAME encodes on one core, so on a machine with
cores to spare the stems are encoded side by side, and the pipeline does that
while the models transcribe. This prints both ways on this machine.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ml.separation import stems as stem_files

SAMPLE_RATE = 44100


def synthetic_stem(seconds: float, seed: int) -> np.ndarray:
    """A chord with noise: enough for the encoder to do real work (silence encodes in no time)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(0.1 * np.sin(2 * np.pi * f * t) for f in rng.uniform(80, 1200, size=4))
    left = tone + 0.02 * rng.standard_normal(t.size)
    return np.stack([left, np.roll(left, 441)], axis=1).astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--stems", type=int, default=6)
    args = parser.parse_args(argv)
    stems = {f"stem{i}": synthetic_stem(args.seconds, i) for i in range(args.stems)}
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        for name, audio in stems.items():
            stem_files._encode_mp3(audio, path=Path(folder) / f"{name}-serial.mp3", sample_rate=SAMPLE_RATE)
        serial = time.perf_counter() - began
        began = time.perf_counter()
        stem_files.write_stems(stems, folder, sample_rate=SAMPLE_RATE)
        parallel = time.perf_counter() - began
    print(f"{args.stems} stems x {args.seconds:g} s, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"one at a time: {serial:6.2f} s")
    print(f"side by side:  {parallel:6.2f} s  ({serial / parallel:.1f}x)")


if __name__ == "__main__":
    main()
