"""Model registry: weights resolved by name, verified by checksum, loaded once per process.

Checkpoints ship inside installed wheels and are found with importlib.resources,
so no download happens at run time. A checksum pins the exact file the rest of
the code (and ml.constants) was written against.
"""
from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import torch

from ml.errors import ModelUnavailableError
from ml.models import transkun
from ml.weights import file_sha256



@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    package: str  # importable package whose directory holds the files
    weights: str
    weights_sha256: str
    config: str
    config_sha256: str
    # Builds the model on CPU in eval mode from the verified (weights, config) paths.
    build: Callable[..., torch.nn.Module]


TRANSKUN = "transkun-2.0"

MODELS: dict[str, ModelSpec] = {
    TRANSKUN: ModelSpec(
        name=TRANSKUN,
        package="transkun.pretrained",
        weights="2.0.pt",
        weights_sha256="50a80010effc2a59ffcd068a95cd2b29bd7f23a27a3515bc3ccd209c89a3d44c",
        config="2.0.conf",
        config_sha256="d3d989214eb148230ee5df476d994dcde6af595904d3f968f1221d2e3bea5ac6",
        build=transkun.build,
    ),
}

_cache: dict[tuple[str, str], torch.nn.Module] = {}
_cache_lock = threading.Lock()


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def canonical_device(device: str | torch.device | None) -> torch.device:
    """``device``, or CUDA when present, in the one spelling every model cache keys on.

    A device this machine cannot use (a typo in ML_DEVICE, CUDA without a GPU) is
    a ModelUnavailableError saying so, not torch's own error from deep in a load.
    """
    asked = device
    try:
        device = torch.device(device) if device is not None else default_device()
    except (RuntimeError, TypeError) as error:
        raise ModelUnavailableError(
            f"“{asked}” is not a device the models can run on (the ML_DEVICE setting or --device): "
            "use cpu, cuda or cuda:N, or leave it empty to choose automatically."
        ) from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError(
            f"The models are set to run on “{asked}” (the ML_DEVICE setting or --device), but this machine "
            "has no usable CUDA GPU. Leave it empty to choose automatically."
        )
    if device.type == "cuda" and device.index is None:
        # "cuda" and "cuda:0" are the same GPU; one copy of the model is enough.
        device = torch.device("cuda", torch.cuda.current_device())
    return device


def get_model(name: str, *, device: str | torch.device | None = None) -> torch.nn.Module:
    """The named model on ``device`` (default: CUDA when present), loaded once per process."""
    device = canonical_device(device)
    key = (name, str(device))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load(MODELS[name]).to(device)
        return _cache[key]


def _load(spec: ModelSpec) -> torch.nn.Module:
    try:
        root = importlib.resources.files(spec.package)
    except ModuleNotFoundError as error:
        raise ModelUnavailableError() from error
    with ExitStack() as stack:
        # as_file gives a real path even if the package were zipped.
        weights = stack.enter_context(importlib.resources.as_file(root / spec.weights))
        config = stack.enter_context(importlib.resources.as_file(root / spec.config))
        verify_sha256(weights, spec.weights_sha256)
        verify_sha256(config, spec.config_sha256)
        return spec.build(weights=weights, config=config)


def verify_sha256(path: Path, expected: str) -> None:
    """Raise ModelUnavailableError naming the file when it is missing or not the pinned one."""
    if not path.is_file():
        raise ModelUnavailableError(
            f"The transcription model is not available: its file {path.name} is missing on the server."
        )
    digest = file_sha256(path)
    if digest != expected:
        raise ModelUnavailableError(
            f"The transcription model is not available: its file {path.name} is damaged or the wrong version."
        ) from ValueError(f"{path}: sha256 {digest}, expected {expected}")
