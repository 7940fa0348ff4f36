"""Transkun 2.0 piano transcription (Yan & Duan), wrapped for Rescored.

We call the model's own ``transcribe`` (segmenting, decoding, stitching stay
Transkun's) and add three things around it: building the model without
torchaudio, progress per segment, and conversion of its events to ``ml.notes.Note``.
"""
from __future__ import annotations

import math
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import moduleconf
import numpy as np
import torch

from ml import constants as C
from ml.errors import ModelUnavailableError
from ml.notes import Note

SegmentProgress = Callable[[int, int], None]  # (segments_done, segments_total)

# Transkun keeps per-model state on the instance while it runs (we also swap a
# method on it for progress), so one process transcribes with it one call at a time.
_TRANSCRIBE_LOCK = threading.Lock()


class TranskunEvent(Protocol):
    """The fields we read from transkun.Data.Note (pedals have negative pitches)."""

    start: float
    end: float
    pitch: int
    velocity: int


def mel_filterbank(*, n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int) -> np.ndarray:
    """Triangular HTK-mel filterbank without area normalisation, shape (n_freqs, n_mels).

    Same definition as torchaudio.functional.melscale_fbanks with its defaults
    (norm=None, mel_scale="htk"): FFT bin centres spaced evenly over 0..sr//2,
    n_mels + 2 band edges spaced evenly in mel between f_min and f_max.
    """
    def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)

    def mel_to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    bin_hz = np.linspace(0.0, sample_rate // 2, n_freqs)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges_hz[:-2], edges_hz[1:-1], edges_hz[2:]
    rising = (bin_hz[:, None] - lower) / (centre - lower)
    falling = (upper - bin_hz[:, None]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


@contextmanager
def _torchaudio_standin() -> Iterator[None]:
    """Let transkun's MelSpectrum build without torchaudio.

    MelSpectrum.__init__ imports torchaudio only to fill the ``freq2mels`` buffer,
    which the checkpoint overwrites on load. While the model is constructed,
    ``import torchaudio`` finds this stand-in in sys.modules; afterwards the
    previous entry (a real torchaudio, or none) is put back untouched.
    """
    def melscale_fbanks(*, n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int) -> torch.Tensor:
        return torch.from_numpy(
            mel_filterbank(n_freqs=n_freqs, f_min=f_min, f_max=f_max, n_mels=n_mels, sample_rate=sample_rate)
        )

    standin = types.ModuleType("torchaudio", "Rescored stand-in: only functional.melscale_fbanks")
    standin.functional = types.SimpleNamespace(melscale_fbanks=melscale_fbanks)  # type: ignore[attr-defined]
    missing = object()
    previous = sys.modules.get("torchaudio", missing)
    sys.modules["torchaudio"] = standin
    try:
        yield
    finally:
        if previous is missing:
            del sys.modules["torchaudio"]
        else:
            sys.modules["torchaudio"] = previous  # type: ignore[assignment]


def build(*, weights: Path, config: Path) -> torch.nn.Module:
    """Construct TransKun from its conf, load the checkpoint on CPU, return it in eval mode."""
    model_conf = moduleconf.parseFromFile(str(config))["Model"]
    with _torchaudio_standin():
        model = model_conf.module.TransKun(conf=model_conf.config)
    checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
    # strict: every buffer, freq2mels included, must come from the checkpoint.
    model.load_state_dict(checkpoint["state_dict"], strict=True)
    expected = {
        "fs": C.TRANSKUN_SAMPLE_RATE,
        "hopSize": C.TRANSKUN_HOP_SIZE,
        "windowSize": C.TRANSKUN_WINDOW_SIZE,
        "segmentSizeInSecond": C.TRANSKUN_SEGMENT_SECONDS,
        "segmentHopSizeInSecond": C.TRANSKUN_SEGMENT_HOP_SECONDS,
    }
    actual = {name: getattr(model, name) for name in expected}
    if actual != expected:
        # ml.constants describe this checkpoint; a different one needs them updated.
        raise ModelUnavailableError() from ValueError(f"{config.name}: expected {expected}, got {actual}")
    # Gradient checkpointing only saves memory in training; at inference it wraps
    # every layer call in torch.utils.checkpoint, which warns on each call.
    model.backbone.useGradientCheckpoint = False
    return model.eval()


def segment_count(model: torch.nn.Module, n_samples: int) -> int:
    """How many times ``model.transcribe`` will call ``transcribeFrames`` for this many samples.

    Mirrors the arithmetic of TransKun.transcribe with default segment sizes: the
    audio is padded by (segment - hop) seconds at both ends, then walked in steps
    of the hop rounded up to whole frames.
    """
    pad_seconds = model.segmentSizeInSecond - model.segmentHopSizeInSecond
    padded = n_samples + 2 * math.ceil(pad_seconds * model.fs)
    step = math.ceil(model.segmentHopSizeInSecond * model.fs / model.hopSize) * model.hopSize
    return math.ceil(padded / step)


def notes_from_events(events: Iterable[TranskunEvent]) -> list[Note]:
    """Turn Transkun's events into piano notes: pedals dropped, values made valid MIDI."""
    notes = [
        Note(
            pitch=int(event.pitch),
            onset=max(float(event.start), 0.0),
            offset=max(float(event.end), max(float(event.start), 0.0) + C.MIN_NOTE_SECONDS),
            velocity=min(max(int(event.velocity), C.MIDI_VELOCITY_MIN), C.MIDI_VELOCITY_MAX),
        )
        for event in events
        if C.PIANO_LOWEST_PITCH <= event.pitch <= C.PIANO_HIGHEST_PITCH
    ]
    notes.sort(key=lambda note: (note.onset, note.pitch))
    return notes


class TranskunTranscriber:
    """Holds a loaded TransKun and turns audio at 44.1 kHz into piano notes."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def transcribe(self, audio: np.ndarray, *, progress: SegmentProgress | None = None) -> list[Note]:
        """``audio``: float32, (samples,) or (samples, channels) at TRANSKUN_SAMPLE_RATE.

        Any channel count works: the model averages the channels' power spectra.
        ``progress(done, total)`` is called after each segment the model decodes.
        """
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim == 1:
            audio = audio[:, None]
        model = self.model
        device = next(model.parameters()).device
        total = segment_count(model, audio.shape[0])
        done = 0
        transcribe_frames = model.transcribeFrames  # the class's method, bound to this instance

        def counting_transcribe_frames(*args: Any, **kwargs: Any) -> Any:
            nonlocal done
            result = transcribe_frames(*args, **kwargs)
            done += 1
            if progress is not None:
                progress(done, total)
            return result

        with _TRANSCRIBE_LOCK:
            # An instance attribute shadows the class method for this call only.
            model.transcribeFrames = counting_transcribe_frames
            try:
                with torch.inference_mode():
                    events = model.transcribe(torch.from_numpy(audio).to(device))
            finally:
                del model.transcribeFrames
        return notes_from_events(events)
