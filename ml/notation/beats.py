"""Where the beats fall: a beat grid from note onsets (or from audio beats when given).

The onsets become a synthetic onset-strength envelope (loud, long and bass
notes mark beats more strongly), and librosa's dynamic-programming beat
tracker (Ellis 2007) follows it with a tempo that may change over time: the
local tempo comes from windowed autocorrelations kept near the piece's main
tempo (so it never jumps an octave) and smoothed, so a ritardando or a new
section at another tempo bends the grid instead of breaking it. Each beat is
then moved onto the notes struck with it, and the tempo of each steady
section is fitted to all its beats, exact enough to play the score back in
time with the recording.

Positions are then measured in beats by interpolating between beat times, so
rubato costs nothing when quantising: an onset halfway between two beats is
an off-beat eighth whatever the seconds say.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.notes import Note

FRAMES_PER_SECOND = 100
DEFAULT_BEAT_SECONDS = 0.5  # 120 BPM, when the notes carry no rhythm at all
_SMOOTHING_SECONDS = 0.02  # played onsets wander by a few tens of ms around the beat
_TIGHTNESS = 400  # librosa's default (100) lets syncopated accents pull the beat off by half
_SNAP_REACH = 0.1  # of a beat: onsets this close to a tracked beat are on it
_LONG_SECONDS = 1.0  # notes this long or longer carry the most accent
_BASS_BELOW_MEDIAN = 7  # semitones
_BASS_ACCENT = 1.5
_PRIOR_BPM = 120.0  # the tactus people tap lies around here (van Noorden & Moelants)
_PRIOR_OCTAVES = 0.7
_LOCAL_RANGE = 1.5  # a local tempo may differ this much (either way) from the main one
_LOCAL_OCTAVES = 0.3
_LOCAL_TEMPO_WINDOW_SECONDS = 6.0  # tempogram window: several beats even when slow
_TEMPO_SMOOTHING_SECONDS = 4.0
_MIN_BPM, _MAX_BPM = 40.0, 220.0
# A new tempo section starts where the beat period differs this much from the
# section's, for at least this many beats (smaller drifts are rubato).
TEMPO_CHANGE_RATIO = 0.06
TEMPO_CHANGE_MIN_BEATS = 6


@dataclass(frozen=True, slots=True)
class BeatGrid:
    """Beat times in seconds, ascending, at least two, covering every note."""

    times: np.ndarray

    def position(self, seconds: float | np.ndarray) -> np.ndarray:
        """Seconds → beats from the first beat (fractional); linear beyond the ends."""
        t = np.atleast_1d(np.asarray(seconds, dtype=float))
        beats = np.interp(t, self.times, np.arange(len(self.times), dtype=float))
        first_period = self.times[1] - self.times[0]
        last_period = self.times[-1] - self.times[-2]
        beats = np.where(t < self.times[0], (t - self.times[0]) / first_period, beats)
        return np.where(t > self.times[-1], len(self.times) - 1 + (t - self.times[-1]) / last_period, beats)

    def time(self, beats: float | np.ndarray) -> np.ndarray:
        """Beats → seconds, the inverse of ``position``."""
        b = np.atleast_1d(np.asarray(beats, dtype=float))
        seconds = np.interp(b, np.arange(len(self.times), dtype=float), self.times)
        first_period = self.times[1] - self.times[0]
        last_period = self.times[-1] - self.times[-2]
        seconds = np.where(b < 0, self.times[0] + b * first_period, seconds)
        return np.where(b > len(self.times) - 1, self.times[-1] + (b - len(self.times) + 1) * last_period, seconds)

    @property
    def periods(self) -> np.ndarray:
        return np.diff(self.times)


def accent(note: Note) -> float:
    """How much a note marks its moment as a beat: loud and long notes more."""
    return note.velocity / 127.0 * (0.5 + min(note.duration, _LONG_SECONDS) / _LONG_SECONDS)


def _bass_weights(notes: Sequence[Note]) -> np.ndarray:
    """Bass notes (well below the music's middle) mark beats and bars more than the rest."""
    pitches = np.array([n.pitch for n in notes], dtype=float)
    return np.where(pitches <= np.median(pitches) - _BASS_BELOW_MEDIAN, _BASS_ACCENT, 1.0)


def onset_envelope(notes: Sequence[Note]) -> np.ndarray:
    """Onset strength per frame from time 0: a smoothed impulse per onset, weighted by its accent."""
    if not notes:
        return np.zeros(1)
    onsets = np.array([n.onset for n in notes])
    frames = np.maximum(0, np.round(onsets * FRAMES_PER_SECOND).astype(int))
    weights = np.array([accent(n) for n in notes]) * _bass_weights(notes)
    impulses = np.bincount(frames, weights=weights, minlength=frames.max() + 1)
    sigma = _SMOOTHING_SECONDS * FRAMES_PER_SECOND
    kernel_x = np.arange(-int(4 * sigma), int(4 * sigma) + 1)
    kernel = np.exp(-0.5 * (kernel_x / sigma) ** 2)
    envelope = np.convolve(impulses, kernel, mode="same")
    tail = int(2 * FRAMES_PER_SECOND)  # room for the tracker to place a beat after the last onset
    return np.concatenate([envelope, np.zeros(tail)])


def track_beats(
    notes: Sequence[Note], *, tempo_bpm: float | None = None, audio_beats: Sequence[float] | None = None
) -> BeatGrid:
    """The beat grid of these notes.

    ``tempo_bpm`` fixes the beat rate (no tempo changes then); ``audio_beats``
    (seconds, e.g. from ``librosa.beat.beat_track`` on the recording) is used as
    it is when it has at least two beats. Either way the grid is extended at
    both ends to cover every note.
    """
    onsets = sorted(n.onset for n in notes)
    last_time = max((n.offset for n in notes), default=0.0)
    if audio_beats is not None and len(audio_beats) >= 2:
        return _cover(np.sort(np.asarray(audio_beats, dtype=float)), onsets, last_time)
    if len({round(t * FRAMES_PER_SECOND) for t in onsets}) < 2:
        period = 60.0 / tempo_bpm if tempo_bpm else DEFAULT_BEAT_SECONDS
        start = onsets[0] if onsets else 0.0
        return _cover(np.array([start, start + period]), onsets, last_time)

    import librosa

    envelope = onset_envelope(notes)
    if tempo_bpm is not None:
        bpm: float | np.ndarray = float(tempo_bpm)
    else:
        bpm = local_tempo(envelope)
    _, frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=FRAMES_PER_SECOND, hop_length=1, bpm=bpm, trim=False, units="frames",
        tightness=_TIGHTNESS,
    )
    times = np.asarray(frames, dtype=float) / FRAMES_PER_SECOND
    if len(times) < 2:
        period = 60.0 / float(np.median(bpm))
        times = np.array([onsets[0], onsets[0] + period])
    return _cover(_snap_to_onsets(times, notes), onsets, last_time)


def _snap_to_onsets(times: np.ndarray, notes: Sequence[Note]) -> np.ndarray:
    """Each beat moved onto the notes struck with it (their accent-weighted mean time):
    the tracker works in 10 ms frames and leans on smoothed peaks, the notes are exact."""
    if len(times) < 2:
        return times
    onsets = np.array([n.onset for n in notes])
    weights = np.array([accent(n) for n in notes])
    order = np.argsort(onsets)
    onsets, weights = onsets[order], weights[order]
    periods = np.diff(times)
    reach = _SNAP_REACH * np.concatenate([periods[:1], np.minimum(periods[:-1], periods[1:]), periods[-1:]])
    low = np.searchsorted(onsets, times - reach)
    high = np.searchsorted(onsets, times + reach, side="right")
    snapped = times.copy()
    for i, (a, b) in enumerate(zip(low, high)):
        if b > a:
            snapped[i] = np.average(onsets[a:b], weights=weights[a:b])
    # Never reorder beats (two beats snapping to one chord would make a zero-length beat).
    if np.any(np.diff(snapped) <= 0.25 * np.median(periods)):
        return times
    return snapped


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Unbiased (long lags overlap fewer frames), normalised to 1 at lag 0."""
    n = len(envelope)
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(envelope, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    autocorrelation /= n - np.arange(n)
    return autocorrelation / autocorrelation[0] if autocorrelation[0] > 0 else autocorrelation


def _best_bpm(autocorrelation: np.ndarray, centre_bpm: float, octaves: float, low: float, high: float) -> float | None:
    n = len(autocorrelation)
    min_lag = int(60 * FRAMES_PER_SECOND / high)
    max_lag = min(n // 2, int(np.ceil(60 * FRAMES_PER_SECOND / low)))
    if max_lag <= min_lag or autocorrelation[0] <= 0:
        return None
    lags = np.arange(min_lag, max_lag + 1, dtype=float)
    strength = autocorrelation[lags.astype(int)]
    bpms = 60 * FRAMES_PER_SECOND / lags
    preference = np.exp(-0.5 * (np.log2(bpms / centre_bpm) / octaves) ** 2)
    best = int(np.argmax(strength * preference))
    # Sub-frame refinement on the plain autocorrelation: a frame is 2% of a 0.5 s beat.
    lag = lags[best]
    i = int(lag)
    if 0 < i < n - 1:
        left, centre, right = autocorrelation[i - 1], autocorrelation[i], autocorrelation[i + 1]
        denominator = left - 2 * centre + right
        if denominator < 0:
            lag = i + float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))
    return 60 * FRAMES_PER_SECOND / lag


def main_tempo(envelope: np.ndarray) -> float:
    """The beat rate of the whole piece (BPM), from the envelope's autocorrelation.

    Every multiple of the beat correlates as well as the beat does, so a
    preference around _PRIOR_BPM picks the level people tap. The envelope is
    weighted by accent (long, loud and bass notes), which is what makes the
    beat correlate more than its subdivisions.
    """
    bpm = _best_bpm(_autocorrelation(envelope), _PRIOR_BPM, _PRIOR_OCTAVES, _MIN_BPM, _MAX_BPM)
    return 60.0 / DEFAULT_BEAT_SECONDS if bpm is None else bpm


def local_tempo(envelope: np.ndarray) -> np.ndarray:
    """The beat rate per frame (BPM), from windowed autocorrelations near the main tempo, smoothed.

    Only tempi within _LOCAL_RANGE of the main tempo are considered: a local
    tempo an octave away is the same music counted differently, which would
    halve or double the beats mid-piece.
    """
    import scipy.ndimage

    main = main_tempo(envelope)
    n = len(envelope)
    window = int(_LOCAL_TEMPO_WINDOW_SECONDS * FRAMES_PER_SECOND)
    if n < 2 * window:
        return np.full(n, main)
    hop = FRAMES_PER_SECOND // 2
    centres = np.arange(window // 2, n - window // 2 + 1, hop)
    values = []
    for centre in centres:
        segment = envelope[centre - window // 2 : centre + window // 2]
        bpm = _best_bpm(_autocorrelation(segment), main, _LOCAL_OCTAVES, main / _LOCAL_RANGE, main * _LOCAL_RANGE)
        values.append(main if bpm is None else bpm)
    size = max(1, int(_TEMPO_SMOOTHING_SECONDS * FRAMES_PER_SECOND / hop)) | 1
    smoothed = scipy.ndimage.median_filter(np.array(values), size=size, mode="nearest")
    return np.interp(np.arange(n), centres, smoothed)


def _cover(times: np.ndarray, onsets: Sequence[float], last_time: float) -> BeatGrid:
    """Extend beat times by their edge periods until every onset and note end lies inside."""
    times = np.unique(times)
    first_onset = onsets[0] if onsets else times[0]
    head = times[1] - times[0]
    earlier = []
    start = times[0]
    # A quarter beat of slack: an onset a little before the first beat belongs to it.
    while start > first_onset + 0.25 * head:
        start -= head
        earlier.append(start)
    tail = times[-1] - times[-2]
    later = []
    end = times[-1]
    while end < last_time + tail:
        end += tail
        later.append(end)
    return BeatGrid(np.concatenate([np.array(earlier[::-1]), times, np.array(later)]))


def tempo_sections(grid: BeatGrid) -> list[tuple[int, float]]:
    """(first beat index, BPM of the beat) for each stretch of steady tempo, first at beat 0.

    A section's tempo is the median beat period inside it; a new section starts
    where the running median leaves the section's tempo by TEMPO_CHANGE_RATIO
    for TEMPO_CHANGE_MIN_BEATS beats in a row.
    """
    periods = grid.periods
    if len(periods) == 0:
        return [(0, 60.0 / DEFAULT_BEAT_SECONDS)]
    half = TEMPO_CHANGE_MIN_BEATS // 2
    running = np.array([np.median(periods[max(0, i - half) : i + half + 1]) for i in range(len(periods))])
    sections: list[tuple[int, float]] = []
    start = 0
    reference = float(np.median(periods[: TEMPO_CHANGE_MIN_BEATS]))
    i = 0
    while i < len(periods):
        run_end = i
        while run_end < len(periods) and abs(running[run_end] / reference - 1) > TEMPO_CHANGE_RATIO:
            run_end += 1
        if run_end - i >= TEMPO_CHANGE_MIN_BEATS:
            sections.append((start, float(np.median(periods[start:i]))))
            start = i
            reference = float(np.median(periods[i : i + TEMPO_CHANGE_MIN_BEATS]))
            i = run_end
        else:
            i = max(run_end, i + 1)
    sections.append((start, float(np.median(periods[start:]))))
    bounds = [index for index, _ in sections[1:]] + [len(periods)]
    return [(index, 60.0 / _steady_period(grid.times[index : end + 1])) for (index, _), end in zip(sections, bounds)]


def _steady_period(times: np.ndarray) -> float:
    """The beat period that best fits a run of beat times (a robust line fit): far more
    exact than any one beat, so a score played back at it stays with the music."""
    if len(times) < 3:
        return float(np.diff(times).mean()) if len(times) == 2 else DEFAULT_BEAT_SECONDS
    import scipy.stats

    # Theil-Sen: a few beats of another tempo at a section's edge do not bend it.
    slope = scipy.stats.theilslopes(times, np.arange(len(times), dtype=float)).slope
    return float(slope)
