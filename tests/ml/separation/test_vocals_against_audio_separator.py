"""Our BS-RoFormer computes what audio-separator's does with the published checkpoints.

The vocals checkpoint cannot be downloaded here, so these tests pin the next
best thing: audio-separator (the UVR project's library, which loads and runs
viperx's checkpoint for its users) is the oracle. Same weights in, same state
dict names and shapes, and the same output to the last bit. A release of
BS-RoFormer or rotary-embedding-torch that changed the layout or the maths
would fail here instead of silently separating badly with the real weights.

audio-separator is installed for these tests only (scripts/setup, without its
declared dependencies, which include compiled ones our path never needs).
"""
from __future__ import annotations

import warnings

import pytest
import torch
from audio_separator.separator.uvr_lib_v5.roformer import bs_roformer as reference
from bs_roformer import BSRoformer

from ml.separation import vocals

# Constructor arguments audio-separator's RoformerLoader passes from a checkpoint's
# YAML "model" section, taken from our architecture (the rest are its defaults).
_REFERENCE_ARGUMENTS = (
    "dim", "depth", "stereo", "num_stems", "time_transformer_depth", "freq_transformer_depth",
    "freqs_per_bands", "dim_head", "heads", "attn_dropout", "ff_dropout", "flash_attn",
    "dim_freqs_in", "stft_n_fft", "stft_hop_length", "stft_win_length", "stft_normalized",
    "mask_estimator_depth",
)


def build_both(architecture: dict, *, device: str = "cpu") -> tuple[torch.nn.Module, torch.nn.Module]:
    with warnings.catch_warnings(), torch.device(device):
        warnings.filterwarnings("ignore", message="A window was not provided")
        ours = BSRoformer(**architecture).eval()
        theirs = reference.BSRoformer(**{k: architecture[k] for k in _REFERENCE_ARGUMENTS}).eval()
    return ours, theirs


def test_the_real_architecture_has_exactly_the_weights_audio_separator_loads() -> None:
    # Built on the meta device: names and shapes without 2 x 640 MB of weights.
    ours, theirs = build_both(vocals.VIPERX_EP317, device="meta")
    ours_shapes = {name: tuple(t.shape) for name, t in ours.state_dict().items()}
    theirs_shapes = {name: tuple(t.shape) for name, t in theirs.state_dict().items()}
    assert ours_shapes == theirs_shapes
    assert sum(map(torch.Size.numel, map(torch.Size, ours_shapes.values()))) == pytest.approx(159.8e6, rel=1e-3)


def test_with_the_same_weights_both_give_the_same_vocals() -> None:
    # The real band layout, STFT and depth of each transformer; narrower and one layer
    # deep so it runs in a second. Every module kind of the real model is exercised.
    architecture = dict(vocals.VIPERX_EP317, dim=32, depth=1, dim_head=16, heads=2)
    torch.manual_seed(0)
    ours, theirs = build_both(architecture)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    for module in theirs.modules():
        # audio-separator reads the rotary cache the way rotary-embedding-torch 0.6
        # kept it (None until filled); 0.7+ preallocates it with zeros, which its
        # reader would take as "no rotation". Fresh angles on its side, as with 0.6.
        if hasattr(module, "cache_if_possible"):
            module.cache_if_possible = False
    audio = torch.randn(1, 2, 22050, generator=torch.Generator().manual_seed(1)) * 0.1
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        ours_vocals, theirs_vocals = ours(audio), theirs(audio)
    assert ours_vocals.abs().max() > 1e-4  # a real signal, not two silences agreeing
    torch.testing.assert_close(ours_vocals, theirs_vocals.reshape(ours_vocals.shape), rtol=1e-5, atol=1e-7)
