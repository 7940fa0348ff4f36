"""Vocals first: a BS-RoFormer (Lu et al., 2023) splits a recording into vocals and the rest.

The strongest open separators take the voice out with a dedicated model and
let a multi-stem model work on what is left; here that is BS-RoFormer, then
htdemucs_6s on the instrumental. The model is optional: it is used when its
checkpoint is in MODEL_DIR (``python manage.py fetch_models bs_roformer_vocals``),
otherwise demucs separates alone.

The architecture comes from the ``BS-RoFormer`` package (lucidrains), pinned to
the release whose module layout matches the published checkpoints (0.4.1: later
releases add value-residual and hyper-connection weights those checkpoints do
not have). Its weights are loaded strictly, so a checkpoint of another shape is
refused, not half-loaded. With the same weights it computes exactly what
audio-separator's BSRoformer (which runs these checkpoints for UVR's users)
computes: tests/ml/separation/test_vocals_against_audio_separator.py. Long recordings go through demucs's own chunked apply
(overlapping chunks blended at the seams) via a thin adapter: one chunking code
for both separators.
"""
from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml import weights
from ml.errors import ModelUnavailableError
from ml.registry import canonical_device
from ml.separation.demucs import apply_with_progress, to_model_channels

Progress = Callable[[float], None]  # fraction of the split done, 0..1, never decreasing

SAMPLE_RATE = 44100

# The architecture of each catalogued checkpoint, as BSRoformer's keyword arguments:
# viperx's ep 317 model, from the "model" section of ZFTurbo's
# configs/viperx/model_bs_roformer_ep_317_sdr_12.9755.yaml. The loss settings
# there (multi_stft_*) do not change the weights and are left at their defaults.
VIPERX_EP317 = {
    "dim": 512,
    "depth": 12,
    "stereo": True,
    "num_stems": 1,
    "time_transformer_depth": 1,
    "freq_transformer_depth": 1,
    "freqs_per_bands": (2,) * 24 + (4,) * 12 + (12,) * 8 + (24,) * 8 + (48,) * 8 + (128, 129),
    "dim_head": 64,
    "heads": 8,
    "attn_dropout": 0.1,  # dropout is off in eval mode; kept as trained
    "ff_dropout": 0.1,
    "flash_attn": True,
    "dim_freqs_in": 1025,
    "stft_n_fft": 2048,
    "stft_hop_length": 441,
    "stft_win_length": 2048,
    "stft_normalized": False,
    "mask_estimator_depth": 2,
}

ARCHITECTURES: dict[str, Mapping[str, Any]] = {weights.BS_ROFORMER_VOCALS: VIPERX_EP317}
# Seconds of audio per chunk: the length the model was trained on (chunk_size
# 352800 samples in its config). The transformer attends over the whole chunk.
CHUNK_SECONDS: dict[str, float] = {weights.BS_ROFORMER_VOCALS: 8.0}
# A quarter of each chunk overlaps the next, as for demucs: 2 s cross-fades for
# a third more compute than none.
DEFAULT_OVERLAP = 0.25

_cache: dict[tuple[str, str, str], _ChunkableRoformer] = {}
_cache_lock = threading.Lock()


class _ChunkableRoformer(torch.nn.Module):
    """A BS-RoFormer with the attributes demucs.apply.apply_model reads from a model.

    Every chunk is padded to the trained length (``valid_length``; 8 s is exactly
    800 hops of the real model), so the model always sees what it was trained on,
    the recording's last chunk included.
    """

    def __init__(self, roformer: torch.nn.Module, *, segment: float) -> None:
        super().__init__()
        self.roformer = roformer
        self.sources = ["vocals"]
        self.samplerate = SAMPLE_RATE
        self.audio_channels = 2 if roformer.stereo else 1
        self.segment = segment

    def valid_length(self, length: int) -> int:
        # Whole STFT hops: the model's inverse STFT returns (frames - 1) x hop samples,
        # so anything past the last whole hop would be lost.
        hop = self.roformer.stft_kwargs["hop_length"]
        return math.ceil(int(self.segment * self.samplerate) / hop) * hop

    def forward(self, mix: torch.Tensor) -> torch.Tensor:
        with warnings.catch_warnings():
            # BS-RoFormer 0.4.1 picks its attention kernel with torch.backends.cuda.sdp_kernel,
            # which torch deprecates (it still works); one warning per chunk is noise.
            warnings.filterwarnings("ignore", message=r".*sdp_kernel\(\)` is deprecated", category=FutureWarning)
            return self.roformer(mix)[:, None]  # (batch, channels, samples) -> one stem


def build(checkpoint: Path, *, architecture: Mapping[str, Any]) -> torch.nn.Module:
    """A BSRoformer of ``architecture`` with the weights in ``checkpoint``, on CPU, in eval mode.

    Checkpoints are saved either as a bare state dict or as ``{"state_dict": ...}``.
    """
    from bs_roformer import BSRoformer  # imported here: it pulls librosa in, seconds of import

    with warnings.catch_warnings():
        # Its constructor runs one window-less STFT only to count frequency bins.
        warnings.filterwarnings("ignore", message="A window was not provided", category=UserWarning)
        model = BSRoformer(**architecture)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    model.load_state_dict(state, strict=True)
    _let_torch_choose_attention_kernels(model)
    return model.eval()


def _let_torch_choose_attention_kernels(model: torch.nn.Module) -> None:
    """Allow every scaled-dot-product kernel on CUDA; PyTorch picks the fastest that fits.

    BS-RoFormer 0.4.1 restricts attention to the flash kernel on an A100, and the
    flash kernel takes only half precision: our float32 split would stop there
    with "no available kernel". Elsewhere it disables flash, which is only ever
    chosen where it applies. (On CPU every kernel is allowed already.)
    """
    from bs_roformer.attend import Attend, FlashAttentionConfig

    for module in model.modules():
        if isinstance(module, Attend):
            module.cuda_config = FlashAttentionConfig(enable_flash=True, enable_math=True, enable_mem_efficient=True)


def files_in_place(*, model_dir: str | os.PathLike[str] | None, model: str = weights.BS_ROFORMER_VOCALS) -> bool:
    """Whether the vocals model's files are in ``model_dir`` (not hashed: loading verifies them)."""
    return model_dir is not None and weights.files_in_place(model, model_dir=model_dir)


class VocalSplitter:
    """A BS-RoFormer loaded once per process, with a ``split`` call per recording."""

    def __init__(
        self,
        *,
        model_dir: str | os.PathLike[str],
        model: str = weights.BS_ROFORMER_VOCALS,
        device: str | torch.device | None = None,
        overlap: float = DEFAULT_OVERLAP,
    ) -> None:
        if not 0 <= overlap < 1:
            raise ValueError(f"overlap must be in [0, 1), got {overlap}")
        self.device = canonical_device(device)
        self.overlap = overlap
        self._model = load_model(model, model_dir=model_dir, device=self.device)

    def split(self, audio: np.ndarray, *, progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``audio``: float samples at 44.1 kHz, ``(samples,)`` or ``(samples, channels)``.

        Returns ``(vocals, instrumental)``, float32 ``(samples, 2)`` each, where the
        instrumental is the recording minus the vocals: nothing but the voice is
        taken out, and the two add up to the (stereo) recording exactly.
        """
        mix = to_model_channels(np.asarray(audio, dtype=np.float32), channels=self._model.audio_channels)
        with torch.inference_mode():
            vocals = apply_with_progress(
                self._model, mix, segment=self._model.segment, overlap=self.overlap, device=self.device,
                progress=progress,
            )[0]
        instrumental = mix - vocals
        return np.ascontiguousarray(vocals.numpy().T), np.ascontiguousarray(instrumental.numpy().T)


def load_model(name: str, *, model_dir: str | os.PathLike[str], device: torch.device) -> _ChunkableRoformer:
    """The vocals model ``name`` from ``model_dir`` on ``device``, verified and loaded once per process.

    Never downloads (it is optional and large): a missing or damaged file is a
    ModelUnavailableError naming it and ``fetch_models``.
    """
    key = (str(Path(model_dir).resolve()), name, str(device))
    with _cache_lock:
        if key not in _cache:
            folder = weights.ensure(name, model_dir=model_dir, download=False)
            (checkpoint,) = weights.CATALOGUE[name].files
            try:
                roformer = build(folder / checkpoint.name, architecture=ARCHITECTURES[name])
            except Exception as error:
                # The bytes passed their checksum, so a failure here is an installed
                # BS-RoFormer whose layout differs from the checkpoint's.
                raise ModelUnavailableError(
                    f"The vocals model {name} in {folder} could not be loaded."
                ) from error
            _cache[key] = _ChunkableRoformer(roformer, segment=CHUNK_SECONDS[name]).to(device).eval()
        return _cache[key]
