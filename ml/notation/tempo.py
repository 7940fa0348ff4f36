"""Beat tempo from note onsets alone (no audio needed).

The onsets become a synthetic onset-strength envelope whose autocorrelation peaks
at the beat period and its multiples; a log-normal preference around 120 BPM picks
among those (librosa's tempo estimator works the same way on audio). A running
stream of equal notes peaks at every multiple of its spacing, and picking three
notes as the beat would put the music on triplets, which a sixteenth grid cannot
hold; so a candidate beat also scores the periodicity at its half and quarter,
which binary metre (all this engine writes) has and a three-note "beat" lacks,
and loses the periodicity at its third, which only a three-note beat has.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ml.notes import Note

MIN_BPM = 50.0
MAX_BPM = 200.0
DEFAULT_BPM = 120.0  # when the notes carry no rhythm at all (fewer than two onsets)

_FRAMES_PER_SECOND = 100
_SMOOTHING_SECONDS = 0.02  # played onsets wander by a few tens of ms around the beat
_SEARCH_BPM = (30.0, 300.0)  # wider than the result range so octave folding has peaks to fold
_PRIOR_CENTER_BPM = 120.0
_PRIOR_OCTAVES = 1.0  # std of the preference, in octaves
_SUBDIVISION_WEIGHTS = {2: 0.5, 4: 0.25, 3: -0.5}  # beat divisor -> weight of that lag
# Below this lag the smoothing kernel overlaps itself, which looks like periodicity.
_MIN_SUBDIVISION_LAG = 4 * _SMOOTHING_SECONDS * _FRAMES_PER_SECOND


def estimate_tempo(notes: Iterable[Note]) -> float:
    """Quarter-note tempo in BPM, folded by octaves into [MIN_BPM, MAX_BPM]."""
    envelope = _onset_envelope(list(notes))
    if envelope is None:
        return DEFAULT_BPM
    return fold_tempo(_autocorrelation_tempo(envelope))


def fold_tempo(bpm: float) -> float:
    """Double or halve into [MIN_BPM, MAX_BPM]: a tempo and its octaves notate the
    same rhythm. The bounds apply to the tempo as written, a whole number, so
    49.9999 stays as it is rather than doubling."""
    while round(bpm) < MIN_BPM:
        bpm *= 2
    while round(bpm) > MAX_BPM:
        bpm /= 2
    return bpm


def _onset_envelope(notes: list[Note]) -> np.ndarray | None:
    if len({round(n.onset * _FRAMES_PER_SECOND) for n in notes}) < 2:
        return None
    onsets = np.array([n.onset for n in notes])
    frames = np.round((onsets - onsets.min()) * _FRAMES_PER_SECOND).astype(int)
    # Louder notes and fuller chords mark beats more strongly.
    weights = np.array([n.velocity for n in notes], dtype=float) / 127.0
    impulses = np.bincount(frames, weights=weights)
    sigma = _SMOOTHING_SECONDS * _FRAMES_PER_SECOND
    kernel_x = np.arange(-int(4 * sigma), int(4 * sigma) + 1)
    kernel = np.exp(-0.5 * (kernel_x / sigma) ** 2)
    return np.convolve(impulses, kernel, mode="full")


def _autocorrelation_tempo(envelope: np.ndarray) -> float:
    n = len(envelope)
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(envelope, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    # Unbiased: long lags overlap fewer frames and would otherwise always lose.
    autocorrelation /= n - np.arange(n)
    min_lag = int(np.floor(60 * _FRAMES_PER_SECOND / _SEARCH_BPM[1]))
    max_lag = min(_usable_lags(n), int(np.ceil(60 * _FRAMES_PER_SECOND / _SEARCH_BPM[0])))
    if max_lag <= min_lag:
        return DEFAULT_BPM
    lags = np.arange(min_lag, max_lag + 1)
    strength = autocorrelation[lags].copy()
    for divisor, weight in _SUBDIVISION_WEIGHTS.items():
        sub_lags = lags / divisor
        sub_strength = np.interp(sub_lags, np.arange(n), autocorrelation)
        strength += weight * np.where(sub_lags >= _MIN_SUBDIVISION_LAG, sub_strength, 0.0)
    bpms = 60 * _FRAMES_PER_SECOND / lags
    prior = np.exp(-0.5 * (np.log2(bpms / _PRIOR_CENTER_BPM) / _PRIOR_OCTAVES) ** 2)
    score = strength * prior
    beat_lag = _refine_peak(autocorrelation, float(lags[int(np.argmax(score))]))
    return 60 * _FRAMES_PER_SECOND / beat_lag


def _refine_peak(autocorrelation: np.ndarray, lag: float) -> float:
    """Sharpen a beat lag on the plain autocorrelation (the preference and the
    subdivision terms only choose the peak, they would bias its position), then on
    its peaks at 2, 4 and 8 beats, where a frame of error is a smaller fraction."""
    for multiple in (1, 2, 4, 8):
        centre = round(lag * multiple)
        reach = multiple + 1  # the error of lag, scaled up, plus a frame
        if centre + reach >= _usable_lags(len(autocorrelation)):
            break
        window = autocorrelation[centre - reach : centre + reach + 1]
        peak = int(np.argmax(window))
        if peak in (0, len(window) - 1):
            break  # no peak inside the window: this multiple has no clear beat
        lag = (centre - reach + peak + _parabolic_offset(window, peak)) / multiple
    return lag


def _usable_lags(frames: int) -> int:
    """The longest lag to trust: beyond half the envelope too few frames overlap."""
    return frames // 2


def _parabolic_offset(values: np.ndarray, peak: int) -> float:
    """Sub-frame position of a peak from its two neighbours."""
    left, centre, right = values[peak - 1], values[peak], values[peak + 1]
    denominator = left - 2 * centre + right
    return 0.0 if denominator == 0 else 0.5 * (left - right) / denominator
