"""The representation drum templates live in: a mel-band magnitude spectrogram.

Magnitude rather than power: the deconvolution in ``ml.drums.nmd`` uses the
Kullback-Leibler divergence, whose usual pairing is magnitudes, and magnitudes
add (roughly) where simultaneous hits overlap. Frame ``i`` of a segment that
starts at sample ``i0 * HOP`` is frame ``i0 + i`` of the whole recording, which
is what lets chunks line up exactly.
"""
from __future__ import annotations

import functools

import librosa
import numpy as np

from ml.drums.constants import F_MAX, F_MIN, HOP, N_BANDS, N_FFT, SAMPLE_RATE


@functools.cache
def mel_filterbank() -> np.ndarray:
    """(N_BANDS, N_FFT // 2 + 1) triangular filters, unnormalised so a band sums its bins."""
    bank = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_BANDS, fmin=F_MIN, fmax=F_MAX, htk=True, norm=None)
    bank.setflags(write=False)
    return bank


@functools.cache
def band_frequencies() -> np.ndarray:
    """Centre frequency in Hz of each mel band."""
    edges = librosa.mel_frequencies(n_mels=N_BANDS + 2, fmin=F_MIN, fmax=F_MAX, htk=True)
    centres = edges[1:-1]
    centres.setflags(write=False)
    return centres


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(N_BANDS, frames) magnitudes of mono ``samples`` at SAMPLE_RATE; frame i is centred on sample i * HOP."""
    spectrum = np.abs(librosa.stft(np.asarray(samples, dtype=np.float32), n_fft=N_FFT, hop_length=HOP, center=True))
    return (mel_filterbank() @ spectrum).astype(np.float64)


def n_frames(n_samples: int) -> int:
    """Frames librosa's centred STFT gives for ``n_samples`` samples."""
    return 1 + n_samples // HOP
