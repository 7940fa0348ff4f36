"""Demucs 4 (htdemucs_6s) source separation, run through demucs's own loading and chunking code.

The weights come from ``ml.weights`` (MODEL_DIR first, then a download) and
are loaded with ``demucs.pretrained.get_model(name, repo=folder)``, which never
touches the network when given a folder. ``demucs.apply.apply_model`` runs the
model over the recording in overlapping chunks and blends them at the seams;
we count its per-chunk callbacks to report progress from 0 to 1.
"""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from demucs.apply import BagOfModels, apply_model
from demucs.pretrained import get_model

from ml import weights
from ml.registry import canonical_device
from ml.audio import load
from ml.errors import ModelUnavailableError

Progress = Callable[[float], None]  # fraction of the separation done, 0..1, never decreasing

# Share of each chunk that overlaps the next: demucs's default. Seams are
# cross-faded over a quarter chunk, at the price of a third more compute.
DEFAULT_OVERLAP = 0.25
# With shifts, apply_model pads the input by up to half a second for its random
# time shifts (demucs.apply, `max_shift`), which can add a chunk to each pass.
_SHIFT_PAD_SECONDS = 0.5

_cache: dict[tuple[str, str, str], BagOfModels] = {}
_cache_lock = threading.Lock()


class Separator:
    """A demucs model loaded once per process, with a ``separate`` call per recording.

    ``segment`` is the chunk length in seconds (default: the model's own, 7.8 s
    for htdemucs_6s, the longest its transformer accepts; shorter chunks use
    less memory but see less context). ``shifts`` > 0 averages that many runs
    on randomly time-shifted input: a little better and that many times slower,
    and no longer deterministic, so the default is 0.
    """

    def __init__(
        self,
        *,
        model_dir: str | os.PathLike[str],
        model: str = weights.HTDEMUCS_6S,
        device: str | torch.device | None = None,
        download: bool = True,
        segment: float | None = None,
        overlap: float = DEFAULT_OVERLAP,
        shifts: int = 0,
    ) -> None:
        self.device = canonical_device(device)
        self._model = load_model(model, model_dir=model_dir, device=self.device, download=download)
        longest = self._model.max_allowed_segment
        self.segment = float(longest) if segment is None else segment
        if not 0 < self.segment <= longest:
            raise ValueError(f"segment must be in (0, {float(longest)}] seconds for {model}, got {segment}")
        if not 0 <= overlap < 1:
            raise ValueError(f"overlap must be in [0, 1), got {overlap}")
        if shifts < 0:
            raise ValueError(f"shifts must be >= 0, got {shifts}")
        self.overlap = overlap
        self.shifts = shifts

    @property
    def sample_rate(self) -> int:
        return int(self._model.samplerate)

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(self._model.sources)

    def separate(
        self, audio: str | os.PathLike[str] | np.ndarray, *, progress: Progress | None = None
    ) -> dict[str, np.ndarray]:
        """Split a recording into the model's stems.

        ``audio`` is a file in any format ml.audio reads, or float samples at
        ``self.sample_rate`` shaped ``(samples,)`` or ``(samples, channels)``.
        Returns float32 ``(samples, 2)`` per stem, in the model's stem order,
        as long as the input.
        An exception raised by ``progress`` aborts the separation.
        """
        report = RisingProgress(progress)
        report(0.0)  # before a file is decoded, which takes a while
        if isinstance(audio, np.ndarray):
            samples = audio
        else:
            samples = load(audio, sample_rate=self.sample_rate, mono=False)  # the file's own channels
        mix = to_model_channels(samples, channels=self._model.audio_channels)

        # demucs models were trained on mixes scaled to unit variance; the same
        # scaling is undone on the output. The epsilon keeps digital silence finite.
        reference = mix.mean(dim=0)
        mean, std = reference.mean(), reference.std() + 1e-8

        out = apply_with_progress(
            self._applied_model(), (mix - mean) / std,
            segment=self.segment, overlap=self.overlap, shifts=self.shifts, device=self.device,
            progress=report, bag_size=len(self._model.models),
        )
        out.mul_(std).add_(mean)
        # One (stems, channels, samples) array; each stem is a transposed view of it.
        separated = out.numpy()
        return {name: separated[index].T for index, name in enumerate(self.stems)}

    def _applied_model(self) -> torch.nn.Module:
        """The model to hand to apply_model. A bag of one model at full weight (htdemucs_6s)
        gives the same samples as that model alone, but demucs would hold a second
        full-length copy of every stem to average the bag (1.8 GB for 15 minutes)."""
        bag = self._model
        if len(bag.models) == 1 and all(weight == 1 for weight in bag.weights[0]):
            return bag.models[0]
        return bag


def to_model_channels(samples: np.ndarray, *, channels: int) -> torch.Tensor:
    """(samples,) or (samples, channels) floats -> (``channels``, samples) float32 tensor."""
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(f"expected (samples,) or (samples, channels) audio, got shape {samples.shape}")
    if samples.shape[1] == 1:
        samples = np.repeat(samples, channels, axis=1)
    else:
        # More channels than the model takes (5.1 and the like): keep the first
        # ones, front left and right in every standard layout, as demucs does.
        samples = samples[:, :channels]
    return torch.from_numpy(np.ascontiguousarray(samples.T, dtype=np.float32))


class RisingProgress:
    """A progress callback that passes each fraction on once, and only when it rises."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._reported = -1.0

    def __call__(self, fraction: float) -> None:
        if self._progress is not None and fraction > self._reported:
            self._reported = fraction
            self._progress(fraction)


def apply_with_progress(
    model: torch.nn.Module,
    mix: torch.Tensor,
    *,
    segment: float,
    overlap: float,
    device: torch.device,
    progress: Progress | None,
    shifts: int = 0,
    bag_size: int = 1,
) -> torch.Tensor:
    """``demucs.apply.apply_model`` over one (channels, samples) mix in overlapping
    chunks; returns (sources, channels, samples). Any model with the attributes
    apply_model reads works: demucs's own, or the vocals model's adapter.

    ``progress`` hears 0, the share of chunks done after each chunk, then 1: each
    value once, always rising. An exception it raises aborts the run.
    """
    report = progress if isinstance(progress, RisingProgress) else RisingProgress(progress)
    # How many chunks apply_model will run, from its own stride arithmetic; with
    # shifts it pads the input for its random time shifts, which can add a chunk.
    stride = int((1 - overlap) * int(model.samplerate * segment))
    padded = mix.shape[-1] + (int(_SHIFT_PAD_SECONDS * model.samplerate) if shifts else 0)
    total = math.ceil(padded / stride) * max(shifts, 1) * bag_size
    done = 0

    def chunk_event(event: dict) -> None:
        nonlocal done
        if event["state"] == "end":
            done += 1
            # min(): the count with shifts is an upper bound, never let it overshoot.
            report(min(done / total, 1.0))

    report(0.0)
    out = apply_model(
        model, mix[None], shifts=shifts, split=True, overlap=overlap, segment=segment,
        device=device,  # the mix stays on the CPU; only chunks move to the device
        callback=chunk_event,
    )[0]
    report(1.0)
    return out


def separate(
    audio: np.ndarray,
    *,
    sample_rate: int,
    model_dir: str | os.PathLike[str] | None,
    model: str = weights.HTDEMUCS_6S,
    device: str | torch.device | None = None,
    download: bool = True,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Separate samples shaped ``(samples,)`` or ``(samples, channels)`` with ``model``.

    The pipeline's entry point: the model is loaded on first use and kept.
    ``sample_rate`` states the rate of ``audio``, which must be the model's
    (44.1 kHz for htdemucs_6s).
    """
    if model_dir is None:
        # The pipeline's options leave it unset outside Django; say what is missing.
        raise ModelUnavailableError("No folder for separation model files was given (the MODEL_DIR setting).")
    separator = Separator(model_dir=model_dir, model=model, device=device, download=download)
    if sample_rate != separator.sample_rate:
        raise ValueError(f"audio at {sample_rate} Hz; the separation model needs {separator.sample_rate} Hz")
    return separator.separate(audio, progress=progress)


def load_model(
    name: str, *, model_dir: str | os.PathLike[str], device: torch.device, download: bool
) -> BagOfModels:
    """The demucs model ``name`` from ``model_dir`` on ``device``, loaded once per process.

    Raises ModelUnavailableError when its files are missing, damaged or unreadable.
    """
    key = (str(Path(model_dir).resolve()), name, str(device))
    with _cache_lock:
        if key not in _cache:
            folder = weights.ensure(name, model_dir=model_dir, download=download)
            try:
                # The catalogue names bags (a .yaml beside the .th files), so this is a BagOfModels.
                model = get_model(name, repo=folder)
            except Exception as error:
                # The bytes passed their checksum, so whatever fails here is an
                # installed demucs or torch that reads them differently: for the
                # user the model is unavailable; the cause stays chained for the logs.
                raise ModelUnavailableError(
                    f"The separation model {name} in {folder} could not be loaded."
                ) from error
            _cache[key] = model.to(device).eval()
        return _cache[key]
