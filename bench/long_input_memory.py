"""Peak memory of one stage on a long recording: does it grow with the audio or stay flat?

    python -m bench.long_input_memory STAGE MINUTES     # STAGE: basic-pitch, drums, separation, transkun

One stage per process, so ``ru_maxrss`` is that stage's alone. The recording is
a synthesized phrase (tests/synth.py; a drum groove for drums) repeated to
MINUTES, stereo float32 at 44.1 kHz as the pipeline hands stems over. A short
warm-up loads the model first; the line printed gives the RSS before the long
run and the peak during it. Separation uses the tests' tiny untrained HTDemucs:
its weights are noise, but loading, chunked apply and the full-length buffers are
demucs's own, which is what decides memory on a long input.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLE_RATE = 44100
STAGES = ("basic-pitch", "drums", "separation", "transkun")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _recording(stage: str, minutes: float) -> np.ndarray:
    from tests import drum_synth
    from tests.synth import PIANO_PHRASE, render_notes

    phrase = drum_synth.render(drum_synth.groove(bars=8, bpm=120)) if stage == "drums" else render_notes(PIANO_PHRASE)
    phrase = np.concatenate([phrase, np.zeros(SAMPLE_RATE // 10)]).astype(np.float32)
    length = int(minutes * 60 * SAMPLE_RATE)
    mono = np.tile(phrase, -(-length // phrase.size))[:length]
    return np.stack([mono, mono], axis=1)


def _runner(stage: str):
    if stage == "basic-pitch":
        from ml.models import basic_pitch

        return lambda audio: basic_pitch.transcribe(audio, instrument="bass", sample_rate=SAMPLE_RATE)
    if stage == "drums":
        from ml.models import drums

        return lambda audio: drums.transcribe(audio, sample_rate=SAMPLE_RATE)
    if stage == "transkun":
        from ml import pipeline

        transcriber = pipeline._piano_transcriber(None)
        return lambda audio: transcriber.transcribe(audio)
    import torch

    from ml import separation, weights
    from tests.ml.separation.test_demucs import TINY, save_tiny_model

    # The tiny model's operations are too small for threads; waiting ones only slow it down.
    torch.set_num_threads(1)

    model_dir = Path(tempfile.mkdtemp())
    weights.CATALOGUE[TINY] = save_tiny_model(model_dir)
    return lambda audio: separation.separate(audio, sample_rate=SAMPLE_RATE, model_dir=model_dir, model=TINY)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in STAGES:
        sys.exit(f"usage: python -m bench.long_input_memory {{{','.join(STAGES)}}} MINUTES")
    stage, minutes = argv[0], float(argv[1])
    audio = _recording(stage, minutes)
    run = _runner(stage)
    run(audio[: 3 * SAMPLE_RATE])  # load the model
    before = max(_rss_mb(), _peak_mb())
    start = time.monotonic()
    run(audio)
    wall = time.monotonic() - start
    peak = _peak_mb()
    print(f"{stage} {minutes:g} min: input {audio.nbytes / 2**20:.0f} MB, before {before:.0f} MB, "
          f"peak {peak:.0f} MB (+{peak - before:.0f} MB), {wall:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
