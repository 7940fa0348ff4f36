"""Transkun 2.0 piano transcription (Yan & Duan), wrapped for Rescored.

We call the model's own ``transcribe`` (segmenting, decoding, stitching stay
Transkun's) and add four things around it: building the model without
torchaudio, the network pass of several segments in one batch, progress per
segment, and conversion of its events to ``ml.notes.Note``.

Why batching works without changing a note: Transkun walks the recording in
16 s segments and, per segment, runs the network (features, backbone, pairwise
scores: nearly all the compute) and then a CRF decode that starts where the
previous segment's decode ended. Only the decode is sequential. The network
sees each segment on its own (its gain normalisation is per segment too), so
we run it for ``batch_segments`` segments at once and hand each segment's
output to Transkun's own decode when its loop asks for it.
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

# Segments per network pass when the caller does not say. On a GPU one pass of
# many segments keeps it busy (a 4-minute song is 32 segments; each takes about
# 0.3 GB of scores and activations); on a CPU the threads are busy already with
# one segment, and batches only add memory.
DEFAULT_BATCH_SEGMENTS = {"cuda": 16, "cpu": 1}

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


def default_batch_segments(device: torch.device) -> int:
    return DEFAULT_BATCH_SEGMENTS.get(device.type, 1)


class _BatchedNetworkPass:
    """Stands in for ``model.processFramesBatch`` during one ``model.transcribe`` call.

    Transkun asks for one segment's network output at a time, in order. On the
    first request of a batch we cut that segment and the next ones from the
    padded recording the way ``TransKun.transcribe`` does, run the network on
    all of them at once, and answer the following requests from that batch.
    Each request's frames are compared with the ones we cut; if they ever
    differ (a transkun release that segments differently), that segment is run
    on its own, so the notes never depend on our copy of the arithmetic.
    """

    def __init__(self, model: torch.nn.Module, audio: torch.Tensor, *, batch_segments: int) -> None:
        from transkun.Util import makeFrame  # transkun's own framing, as its transcribe uses

        self._make_frame = makeFrame
        self._network = model.processFramesBatch  # the class's method, bound to this instance
        self._model = model
        pad = math.ceil((model.segmentSizeInSecond - model.segmentHopSizeInSecond) * model.fs)
        self._padded = torch.nn.functional.pad(audio.T, (pad, pad))  # (channels, samples)
        self._step = math.ceil(model.segmentHopSizeInSecond * model.fs / model.hopSize) * model.hopSize
        self._segment = math.ceil(model.segmentSizeInSecond * model.fs)
        self._batch_segments = batch_segments
        self._next_index = 0
        self._batch_start = 0
        self._batch: tuple[torch.Tensor, Any, torch.Tensor] | None = None  # frames, crf, ctx
        self.passes = 0  # network passes run, batched or not
        self.unbatched_calls = 0  # requests whose frames did not match ours (should stay 0)

    def __call__(self, frames: torch.Tensor) -> tuple[Any, torch.Tensor]:
        index = self._next_index
        self._next_index += 1
        if frames.shape[0] != 1:
            return self._run_alone(frames)
        if self._batch is None or not self._batch_start <= index < self._batch_start + self._batch[0].shape[0]:
            self._batch = None  # let the previous batch's scores go before making the next
            self._batch_start = index
            self._batch = self._run_batch(index)
        batch_frames, crf, ctx = self._batch
        position = index - self._batch_start
        if not torch.equal(frames[0], batch_frames[position]):
            return self._run_alone(frames)
        n_symbols = ctx.shape[1]
        # The CRF's last axis is (segment, symbol) flattened: this segment's symbols are one run of it.
        symbols = slice(position * n_symbols, (position + 1) * n_symbols)
        return type(crf)(crf.score[..., symbols], crf.noiseScore[..., symbols]), ctx[position : position + 1]

    def _run_alone(self, frames: torch.Tensor) -> tuple[Any, torch.Tensor]:
        self.unbatched_calls += 1
        self.passes += 1
        return self._network(frames)

    def _run_batch(self, first: int) -> tuple[torch.Tensor, Any, torch.Tensor]:
        n_samples = self._padded.shape[-1]
        starts = range(first * self._step, n_samples, self._step)[: self._batch_segments]
        segments = []
        for start in starts:
            piece = self._padded[:, start : start + self._segment]
            piece = torch.nn.functional.pad(piece, (0, self._segment - piece.shape[-1]))
            segments.append(self._make_frame(piece, self._model.hopSize, self._model.windowSize))
        frames = torch.stack(segments)
        self.passes += 1
        crf, ctx = self._network(frames)
        return frames, crf, ctx


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

    def __init__(self, model: torch.nn.Module, *, batch_segments: int | None = None) -> None:
        """``batch_segments``: segments per network pass (default: by device, DEFAULT_BATCH_SEGMENTS).
        Larger batches are faster on a GPU and take more memory; the notes are the same."""
        self.model = model
        if batch_segments is not None and batch_segments < 1:
            raise ValueError(f"batch_segments must be at least 1, got {batch_segments}")
        self.batch_segments = batch_segments
        # Network passes of the last call (segments when unbatched): how tests see batching happen.
        self.last_network_passes = 0

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

        batch_segments = self.batch_segments or default_batch_segments(device)
        with _TRANSCRIBE_LOCK, torch.inference_mode():
            samples = torch.from_numpy(audio).to(device)
            # Instance attributes shadow the class methods for this call only.
            model.transcribeFrames = counting_transcribe_frames
            batched = _BatchedNetworkPass(model, samples, batch_segments=batch_segments) if batch_segments > 1 else None
            if batched is not None:
                model.processFramesBatch = batched
            try:
                events = model.transcribe(samples)
            finally:
                del model.transcribeFrames
                model.__dict__.pop("processFramesBatch", None)
        self.last_network_passes = batched.passes if batched is not None else done
        return notes_from_events(events)
