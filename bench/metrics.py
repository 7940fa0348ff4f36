"""Scores for the benchmark: mir_eval note matching per instrument, speed and memory per stage.

Note scores follow mir_eval.transcription (MIREX conventions): a reference and
an estimated note match when their pitches are within a quarter tone (compared
in Hz, as mir_eval expects) and their onsets within 50 ms; for "onset+offset"
the offsets must also agree within 20% of the reference note's length or
50 ms, whichever is larger. Matching is one-to-one.

Scores are kept as counts (``NoteCounts``) so that pieces add up: a suite's
total is precision/recall/F1 over all its notes, not a mean of per-piece F1s.

No torch here: peak GPU memory is read only when the caller has imported torch.
"""
from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import mir_eval
import numpy as np

from ml.notes import Note, Track

ONSET_TOLERANCE = 0.05  # seconds
OFFSET_RATIO = 0.2  # of the reference note's duration
OFFSET_MIN_TOLERANCE = 0.05  # seconds
PITCH_TOLERANCE_CENTS = 50.0
A4_HZ = 440.0
A4_MIDI = 69


def midi_to_hz(pitches: Iterable[float]) -> np.ndarray:
    """MIDI note numbers to Hz (A4 = 69 = 440 Hz)."""
    return A4_HZ * 2.0 ** ((np.asarray(list(pitches), dtype=float) - A4_MIDI) / 12.0)


def note_arrays(notes: list[Note]) -> tuple[np.ndarray, np.ndarray]:
    """mir_eval's inputs: (n, 2) onset/offset intervals in seconds and (n,) pitches in Hz."""
    intervals = np.array([[n.onset, n.offset] for n in notes], dtype=float).reshape(-1, 2)
    return intervals, midi_to_hz(n.pitch for n in notes)


def onset_f1(reference: list[Note], estimate: list[Note]) -> float:
    """mir_eval note-onset F1 of one note list against another: pitch equal, onset within 50 ms."""
    if not estimate:
        return 0.0  # mir_eval warns on an empty estimate; nothing found scores 0
    _, _, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
        *note_arrays(reference), *note_arrays(estimate), onset_tolerance=ONSET_TOLERANCE, offset_ratio=None
    )
    return float(f1)


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-distortion ratio in dB of ``estimate`` against ``reference``.

    The global SDR of the MDX challenges and MUSDB18-HQ leaderboards:
    10·log10(Σ reference² / Σ (reference − estimate)²) over every sample and
    channel, no projection, no permitted filtering; so a gain error counts as
    distortion. The shorter signal sets the length. A silent reference gives
    -inf unless the estimate is silent too (then +inf): no stem to find.
    """
    length = min(len(reference), len(estimate))
    reference = np.asarray(reference[:length], dtype=np.float64)
    error = reference - np.asarray(estimate[:length], dtype=np.float64)
    signal, noise = float(np.sum(reference**2)), float(np.sum(error**2))
    if noise == 0.0:
        return float("inf")
    if signal == 0.0:
        return float("-inf")
    return 10.0 * float(np.log10(signal / noise))


def _ratio(numerator: int, denominator: int) -> float:
    # Nothing to find (or nothing claimed) is vacuously perfect: silence
    # transcribed as silence scores 1.0.
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(slots=True)
class NoteCounts:
    reference: int = 0  # notes in the reference
    estimated: int = 0  # notes in the estimate
    onset_matches: int = 0  # pairs matched on pitch and onset
    offset_matches: int = 0  # pairs matched on pitch, onset and offset
    # Estimated minus reference onset of each onset-matched pair (seconds): a
    # constant lag shows up here before it costs F1.
    onset_errors: list[float] = field(default_factory=list)

    def __add__(self, other: NoteCounts) -> NoteCounts:
        return NoteCounts(
            self.reference + other.reference,
            self.estimated + other.estimated,
            self.onset_matches + other.onset_matches,
            self.offset_matches + other.offset_matches,
            self.onset_errors + other.onset_errors,
        )

    @property
    def onset_precision(self) -> float:
        return _ratio(self.onset_matches, self.estimated)

    @property
    def onset_recall(self) -> float:
        return _ratio(self.onset_matches, self.reference)

    @property
    def onset_f1(self) -> float:
        return _f1(self.onset_precision, self.onset_recall)

    @property
    def offset_precision(self) -> float:
        return _ratio(self.offset_matches, self.estimated)

    @property
    def offset_recall(self) -> float:
        return _ratio(self.offset_matches, self.reference)

    @property
    def offset_f1(self) -> float:
        """F1 of notes matched on onset and offset."""
        return _f1(self.offset_precision, self.offset_recall)

    @property
    def median_onset_error(self) -> float | None:
        return float(np.median(self.onset_errors)) if self.onset_errors else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "reference_notes": self.reference,
            "estimated_notes": self.estimated,
            "onset_matches": self.onset_matches,
            "onset_offset_matches": self.offset_matches,
            "onset_precision": self.onset_precision,
            "onset_recall": self.onset_recall,
            "onset_f1": self.onset_f1,
            "onset_offset_precision": self.offset_precision,
            "onset_offset_recall": self.offset_recall,
            "onset_offset_f1": self.offset_f1,
            "median_onset_error_s": self.median_onset_error,
        }


def count_matches(
    reference: list[Note],
    estimate: list[Note],
    *,
    onset_tolerance: float = ONSET_TOLERANCE,
    offset_ratio: float = OFFSET_RATIO,
    offset_min_tolerance: float = OFFSET_MIN_TOLERANCE,
) -> NoteCounts:
    """Match ``estimate`` against ``reference`` with mir_eval, twice: onsets only, and onsets with offsets."""
    counts = NoteCounts(reference=len(reference), estimated=len(estimate))
    if not reference or not estimate:
        return counts  # mir_eval warns and scores 0 on an empty side; the counts say it plainly
    ref_intervals, ref_hz = note_arrays(reference)
    est_intervals, est_hz = note_arrays(estimate)
    onset_pairs = mir_eval.transcription.match_notes(
        ref_intervals, ref_hz, est_intervals, est_hz,
        onset_tolerance=onset_tolerance, pitch_tolerance=PITCH_TOLERANCE_CENTS, offset_ratio=None,
    )
    offset_pairs = mir_eval.transcription.match_notes(
        ref_intervals, ref_hz, est_intervals, est_hz,
        onset_tolerance=onset_tolerance, pitch_tolerance=PITCH_TOLERANCE_CENTS,
        offset_ratio=offset_ratio, offset_min_tolerance=offset_min_tolerance,
    )
    counts.onset_matches = len(onset_pairs)
    counts.offset_matches = len(offset_pairs)
    counts.onset_errors = [float(est_intervals[e, 0] - ref_intervals[r, 0]) for r, e in onset_pairs]
    return counts


def count_by_instrument(reference: Iterable[Track], estimate: Iterable[Track]) -> dict[str, NoteCounts]:
    """Counts per instrument key (``Track.instrument``): notes are matched only
    within an instrument, and tracks sharing a key are pooled. Every key of either
    side gets an entry, so a missed or an invented instrument shows as such."""
    def pooled(tracks: Iterable[Track]) -> dict[str, list[Note]]:
        notes: dict[str, list[Note]] = {}
        for track in tracks:
            notes.setdefault(track.instrument, []).extend(track.notes)
        return notes

    ref, est = pooled(reference), pooled(estimate)
    return {key: count_matches(ref.get(key, []), est.get(key, [])) for key in dict.fromkeys([*ref, *est])}


# --- Speed and memory -------------------------------------------------------------------

@dataclass(slots=True)
class StageTiming:
    stage: str
    audio_seconds: float  # audio the stage processed (0 for one-off work such as loading a model)
    wall_seconds: float = 0.0
    # CPU time of this process (all threads, user + system) during the stage: on a
    # machine shared with other work, wall time grows but this does not.
    cpu_seconds: float | None = None
    peak_rss_mb: float = 0.0  # this process's peak resident memory so far (ru_maxrss)
    peak_cuda_mb: float | None = None  # torch.cuda.max_memory_allocated during the stage

    @property
    def real_time_factor(self) -> float | None:
        """Wall time per second of audio: below 1 is faster than real time."""
        return self.wall_seconds / self.audio_seconds if self.audio_seconds > 0 else None

    @property
    def cpu_time_factor(self) -> float | None:
        """CPU time per second of audio (all threads together)."""
        if self.cpu_seconds is None or self.audio_seconds <= 0:
            return None
        return self.cpu_seconds / self.audio_seconds

    def to_dict(self) -> dict[str, float | str | None]:
        return {
            "stage": self.stage,
            "audio_seconds": self.audio_seconds,
            "wall_seconds": self.wall_seconds,
            "real_time_factor": self.real_time_factor,
            "cpu_seconds": self.cpu_seconds,
            "cpu_time_factor": self.cpu_time_factor,
            "peak_rss_mb": self.peak_rss_mb,
            "peak_cuda_mb": self.peak_cuda_mb,
        }


def cpu_seconds() -> float:
    """CPU time this process has used so far, all threads, user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _cuda():
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda
    return None


@contextmanager
def measure(stage: str, *, audio_seconds: float) -> Iterator[StageTiming]:
    """Time the block and record peak memory; the timing is filled in when it ends.

    GPU work is waited for (``torch.cuda.synchronize``) so that asynchronous
    kernels are counted in the stage that launched them.
    """
    timing = StageTiming(stage=stage, audio_seconds=audio_seconds)
    cuda = _cuda()
    if cuda is not None:
        cuda.synchronize()
        cuda.reset_peak_memory_stats()
    began, cpu_began = time.perf_counter(), cpu_seconds()
    try:
        yield timing
    finally:
        cuda = cuda or _cuda()  # the block may have been the first to touch the GPU
        if cuda is not None:
            cuda.synchronize()
            timing.peak_cuda_mb = cuda.max_memory_allocated() / (1 << 20)
        timing.wall_seconds = time.perf_counter() - began
        timing.cpu_seconds = cpu_seconds() - cpu_began
        timing.peak_rss_mb = peak_rss_mb()
