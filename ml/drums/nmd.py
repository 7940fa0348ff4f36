"""Non-negative matrix factor deconvolution (NMD) with fixed drum templates.

The spectrogram V (bands x frames) is explained as a sum of drum templates, each
a short spectrogram patch W_k (frames x bands), struck at the times and
strengths its activation row H_k says:

    V[:, n] ~ sum_k sum_t W_k[t] * H_k[n - t]

(Smaragdis 2004; for drums with fixed templates e.g. Lindsay-Smith et al. 2012,
Roebel et al. 2015, Dittmar & Mueller 2016.) A spectro-temporal template carries
a hit's decay as well as its spectrum, which is what separates a closed hi-hat
from an open one and a tom from a snare far better than one spectrum each.

The templates stay fixed, so the divergence is convex in H and every update
only couples frames less than a template apart: a chunk with a margin of a few
templates on each side gets the activations a whole-file pass would give.
Multiplicative updates for the Kullback-Leibler divergence (Lee & Seung 2001),
written with the templates stacked into one matrix so each update is two
matrix products.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ml.drums.constants import TEMPLATE_LEAD

# The thresholds in ml.drums.events were tuned at this count. By then a hit's
# activation summed over a few frames is settled (within 2% of 300 iterations);
# single-frame peaks would keep sharpening, which is why velocities use the sums.
ITERATIONS = 30
_EPS = 1e-12


def _stacked(templates: np.ndarray) -> np.ndarray:
    """(T, F, K) templates as one (F, T*K) matrix, column t*K + k = template k at lag t."""
    n_lags, n_bands, n_classes = templates.shape
    return np.ascontiguousarray(templates.transpose(1, 0, 2).reshape(n_bands, n_lags * n_classes))


def _lagged(activations: np.ndarray, n_lags: int) -> np.ndarray:
    """(T*K, N): row t*K + k is activation k delayed by t frames (zeros before the start)."""
    n_classes, n = activations.shape
    out = np.zeros((n_lags * n_classes, n))
    for lag in range(n_lags):
        out[lag * n_classes : (lag + 1) * n_classes, lag:] = activations[:, : n - lag]
    return out


def _unlag_sum(stacked: np.ndarray, n_lags: int) -> np.ndarray:
    """Adjoint of ``_lagged``: (T*K, N) -> (K, N), summing row t*K + k advanced by t frames."""
    n_classes = stacked.shape[0] // n_lags
    n = stacked.shape[1]
    out = np.zeros((n_classes, n))
    for lag in range(n_lags):
        out[:, : n - lag] += stacked[lag * n_classes : (lag + 1) * n_classes, lag:]
    return out


def reconstruct(templates: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """The model spectrogram sum_k W_k * H_k, (F, N)."""
    return _stacked(templates) @ _lagged(activations, templates.shape[0])


def activations(spectrogram: np.ndarray, templates: np.ndarray, *, iterations: int = ITERATIONS) -> np.ndarray:
    """Activations H (K, N) that explain ``spectrogram`` (F, N) with ``templates`` (T, F, K).

    Each template should sum to 1, so an activation is the total magnitude its
    hit adds to the spectrogram. The start is local (each frame's own energy
    shared out evenly), which keeps chunked and whole-file results alike.
    """
    n_lags, _, n_classes = templates.shape
    stacked = _stacked(templates)
    # The KL update's denominator: each template's total over bands and over the
    # lags that still fall inside the spectrogram (fewer in the last frames).
    lag_sums = np.broadcast_to(stacked.sum(axis=0)[:, None], (stacked.shape[1], spectrogram.shape[1]))
    column_sums = _unlag_sum(np.ascontiguousarray(lag_sums), n_lags)
    h = np.repeat(spectrogram.sum(axis=0, keepdims=True) / n_classes, n_classes, axis=0) + _EPS
    for _ in range(iterations):
        model = stacked @ _lagged(h, n_lags) + _EPS
        h *= _unlag_sum(stacked.T @ (spectrogram / model), n_lags) / (column_sums + _EPS)
    return h


def onset_support(spectrogram: np.ndarray, templates: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(K, N) share, 0..1, of the rise in energy that activation H[k, n] implies which
    the spectrogram really shows.

    With fixed templates, a sound that rings longer than its template (an open
    hi-hat, a crash) is explained by fresh small activations every few frames,
    and those look like hits. A real hit makes energy rise; ringing does not.
    The observed rise is measured superflux-style (Boeck & Widmer 2013): against
    the frame two back and the louder of the neighbouring bands there, so a
    cymbal's shimmer does not count as a rise.
    """
    lag = 2
    previous = np.concatenate([np.repeat(spectrogram[:, :1], lag, axis=1), spectrogram[:, :-lag]], axis=1)
    previous = ndimage.maximum_filter1d(previous, 3, axis=0)
    rise_seen = np.maximum(spectrogram - previous, 0.0) / lag
    # over the frames in which a template's attack happens, aligned to its activation frame
    attack = TEMPLATE_LEAD + 2
    n = spectrogram.shape[1]
    seen = np.zeros_like(rise_seen)
    for t in range(1, attack + 1):
        seen[:, : n - t] += rise_seen[:, t:]
    rise_template = np.maximum(templates[1 : attack + 1] - templates[:attack], 0.0).sum(axis=0)  # (F, K)
    support = np.zeros_like(h)
    for k in range(h.shape[0]):
        implied = rise_template[:, k : k + 1] * h[k][None, :]
        support[k] = np.minimum(seen, implied).sum(axis=0) / (implied.sum(axis=0) + _EPS)
    return support
