"""From template activations to drum hits: peak picking, onset gating, labels, velocities.

Pure numpy on arrays for the whole recording (activations are a few numbers per
10 ms frame, so even an hour fits in a few MB); no audio I/O. Every number in
``Settings`` was chosen by ``bench/drums_eval.py`` on grooves rendered from the
training soundfonts and checked on kits the templates never saw.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ml.constants import MIDI_VELOCITY_MAX, MIDI_VELOCITY_MIN
from ml.drums import constants as c


@dataclass(frozen=True, slots=True)
class Settings:
    # A class's activation peak must reach this share of the recording's
    # reference level (see ``reference_level``) to count as a hit. The kick's and
    # the toms' are high because every low sound leaks into them (a floor tom into
    # the kick, a snare's body into the toms); the snare's is low because ghost
    # notes sit 20 dB under the backbeat; the hi-hats' is tiny because the onset
    # support, not the level, is what tells their hits from their ringing.
    thresholds: dict[str, float] = field(default_factory=lambda: {
        c.KICK: 0.15, c.SNARE: 0.05, c.TOM: 0.25, c.CRASH: 0.05, "metal": 0.006,
    })
    # Share of the rise in energy an activation implies that the spectrogram must
    # show (``ml.drums.nmd.onset_support``): rejects "hits" inside ringing cymbals.
    min_support: float = 0.35
    # Peaks closer than this many frames are one hit (30 ms: faster than any
    # single drum is played, slower than a flam's two strokes are heard apart).
    min_gap_frames: int = 3
    # An open hi-hat still rings at 80 ms; a closed one has dropped well over this.
    open_hat_drop_db: float = -2.5
    # A cymbal hit is a ride when the ride template carries this share of the metal activation.
    ride_share: float = 0.8
    # Velocity: MIDI velocity 100 for the class's typical loud hit (this percentile
    # of its hit strengths), scaled as strength ** exponent. GM synthesizers play
    # velocity v at roughly (v/127)**2 amplitude, hence a square root.
    velocity_reference_percentile: float = 90.0
    velocity_exponent: float = 0.5


# Classes detected together and then told apart: hi-hats and ride share most of
# their spectrum, so the sum of their activations finds the hit and their decay
# and template shares name it.
METAL: tuple[str, ...] = (c.HIHAT_CLOSED, c.HIHAT_OPEN, c.RIDE)
_METAL_DECAY_FRAMES = 8  # 80 ms: where open and closed hi-hats differ most
_MIN_DECAY_FRAMES = 3  # fewer frames before the next hit: too few to judge, call it closed


@dataclass(frozen=True, slots=True)
class Hit:
    frame: int  # onset frame (activation frame + TEMPLATE_LEAD)
    name: str  # a drum class, see ml.drums.constants.CLASSES
    strength: float  # activation over class gain, summed over the hit's frames (see ``hit_mass``)


def hit_mass(activity: np.ndarray, *, gap: int) -> np.ndarray:
    """Activation summed over ``gap`` frames each side of every frame.

    A hit's activation spreads over a few frames when its template's timing
    differs a little from the real sound, and how it spreads depends on the
    neighbouring hits. The sum does not: measured on kick strokes, the peak value
    put a soft stroke above a louder one, the sum ordered them as played.
    """
    window = 2 * gap + 1
    return ndimage.uniform_filter1d(activity, window, axis=-1, mode="constant") * window


def reference_level(activity: np.ndarray, gains: np.ndarray) -> float:
    """The recording's loud-hit level: the largest total activation of a frame, in
    units of the mean class gain.

    Thresholds are shares of it, so a quiet stem and a loud one give the same
    hits. Measured against the alternative, the largest single class-normalised
    activation, this one is not thrown by leakage into a class with a small gain
    (a snare's wires read as a quiet ride are a big number after dividing by the
    ride's gain): train-set mean F1 0.858 against 0.848.
    """
    total = (activity * gains[:, None]).sum(axis=0)
    return float(total.max(initial=0.0))


def _peaks(envelope: np.ndarray, *, threshold: float, support: np.ndarray, min_support: float, gap: int) -> np.ndarray:
    """Frames where ``envelope`` is the largest within ``gap`` frames each side, reaches
    ``threshold`` and is backed by a real rise in energy."""
    local_max = ndimage.maximum_filter1d(envelope, 2 * gap + 1)
    return np.flatnonzero((envelope == local_max) & (envelope >= threshold) & (envelope > 0) & (support >= min_support))


def find_hits(
    activity: np.ndarray, support: np.ndarray, high_band: np.ndarray, *, gains: np.ndarray, settings: Settings
) -> list[Hit]:
    """All hits in a recording, in time order.

    ``activity`` (classes, frames) is activation over class gain, ``support``
    (classes, frames) its onset support, both indexed by activation frame;
    ``high_band`` (frames) the spectrogram's energy above 4 kHz, by spectrogram frame.
    """
    gap = settings.min_gap_frames
    reference = reference_level(activity, gains)
    if reference <= 0:
        return []
    # Peaks and thresholds on the activation itself (measured: thresholds on the
    # hit mass find fewer toms in kits unlike the training ones, FluidR3 tom F1
    # 0.68 -> 0.20); the strength that sets velocities is the mass.
    mass = hit_mass(activity, gap=gap)
    index = {name: k for k, name in enumerate(c.CLASSES)}
    hits: list[Hit] = []
    for name in (c.KICK, c.SNARE, c.TOM, c.CRASH):
        k = index[name]
        for frame in _peaks(activity[k], threshold=settings.thresholds[name] * reference, support=support[k],
                            min_support=settings.min_support, gap=gap):
            hits.append(Hit(frame=int(frame) + c.TEMPLATE_LEAD, name=name, strength=float(mass[k, frame])))

    metal = [index[name] for name in METAL]
    metal_activity = activity[metal].sum(axis=0)
    # The group's support: its members' supports weighted by how much each is active.
    metal_support = (support[metal] * activity[metal]).sum(axis=0) / np.maximum(metal_activity, 1e-12)
    metal_frames = _peaks(metal_activity, threshold=settings.thresholds["metal"] * reference, support=metal_support,
                          min_support=settings.min_support, gap=gap)
    # Hits whose high-frequency energy would hide a hi-hat's decay behind it.
    bright = {h.frame for h in hits if h.name in (c.SNARE, c.CRASH)} | set(metal_frames + c.TEMPLATE_LEAD)
    bright = np.array(sorted(bright))
    for frame in metal_frames:
        onset = int(frame) + c.TEMPLATE_LEAD
        shares = activity[metal, frame] / max(metal_activity[frame], 1e-12)
        later = bright[bright > onset + 1]
        name = _metal_name(high_band, onset=onset, next_onset=int(later[0]) if later.size else None,
                           ride_share=float(shares[METAL.index(c.RIDE)]), settings=settings)
        hits.append(Hit(frame=onset, name=name, strength=float(mass[metal, frame].sum())))
    return sorted(hits, key=lambda h: (h.frame, c.CLASSES.index(h.name)))


def _metal_name(
    high_band: np.ndarray, *, onset: int, next_onset: int | None, ride_share: float, settings: Settings
) -> str:
    """Closed hi-hat, open hi-hat or ride, from how the high band decays after the onset."""
    start = max(onset - 1, 0)
    peak_frame = start + int(np.argmax(high_band[start : onset + 3]))
    peak = high_band[peak_frame]
    span = _METAL_DECAY_FRAMES
    if next_onset is not None:
        span = min(span, next_onset - 1 - peak_frame)
    if span < _MIN_DECAY_FRAMES or peak_frame + span >= high_band.size or peak <= 0:
        drop = -np.inf
    else:
        # dB lost over ``span`` frames, scaled to the 80 ms the threshold is set for.
        drop = 10 * np.log10(max(high_band[peak_frame + span], 1e-20) / peak) * _METAL_DECAY_FRAMES / span
    if drop >= settings.open_hat_drop_db:
        return c.HIHAT_OPEN
    if ride_share >= settings.ride_share:
        return c.RIDE
    return c.HIHAT_CLOSED


def velocities(hits: list[Hit], *, settings: Settings) -> list[int]:
    """MIDI velocity of each hit, relative to the loud hits of its own class."""
    strengths: dict[str, list[float]] = {}
    for hit in hits:
        strengths.setdefault(hit.name, []).append(hit.strength)
    reference = {
        name: float(np.percentile(values, settings.velocity_reference_percentile)) for name, values in strengths.items()
    }
    return [
        int(np.clip(round(100 * (hit.strength / reference[hit.name]) ** settings.velocity_exponent),
                    MIDI_VELOCITY_MIN, MIDI_VELOCITY_MAX))
        for hit in hits
    ]


# --- Toms -----------------------------------------------------------------------------
_TOM_PITCH_WINDOW = 2048  # samples (46 ms): two periods of a floor tom, before the next hit of a fast fill
_TOM_PITCH_DELAY = 0.005  # seconds after the onset: past the stick's click
_TOM_LOWEST_HZ, _TOM_HIGHEST_HZ = 50.0, 400.0  # floor tom to small rack tom fundamentals
# Two toms of a kit are tuned several semitones apart; hits of one tom scatter by
# a semitone or two in measured pitch (the pitch sags as it decays, other drums add partials).
_MIN_TOM_SEPARATION = 2.5  # semitones between the centres of two tom groups
_MIN_TOM_GROUP_SHARE = 0.05  # of all tom hits; smaller groups are stray measurements
# GM keys for 1, 2 or 3 distinct toms, low to high. More toms are merged into three.
_TOM_KEYS = {1: (c.GM_TOM_MID,), 2: (c.GM_TOM_LOW, c.GM_TOM_HIGH), 3: (c.GM_TOM_LOW, c.GM_TOM_MID, c.GM_TOM_HIGH)}


def tom_keys(samples: np.ndarray, onsets: list[float], *, sample_rate: int) -> list[int]:
    """A GM tom key (low, mid or high tom) for each tom hit at ``onsets`` seconds.

    Each hit's pitch is the strongest spectral peak between 50 and 400 Hz just
    after the onset. The recording's hits are clustered by pitch (k-means in
    one dimension), taking the most groups, up to three, that stay clearly
    apart; the groups, low to high, become low/mid/high tom. What a score needs
    is which tom is higher, not the tuning, which no two kits share.
    """
    if not onsets:
        return []
    pitches = np.array([_tom_pitch(samples, onset, sample_rate=sample_rate) for onset in onsets])
    for n_groups in sorted(_TOM_KEYS, reverse=True):
        labels, centres = _kmeans_1d(pitches, n_groups)
        sizes = np.bincount(labels, minlength=n_groups)
        if n_groups == 1 or (
            np.diff(centres).min() >= _MIN_TOM_SEPARATION and sizes.min() >= max(1, _MIN_TOM_GROUP_SHARE * pitches.size)
        ):
            keys = _TOM_KEYS[n_groups]
            return [keys[label] for label in labels]
    raise AssertionError("one group is always accepted")


def _kmeans_1d(values: np.ndarray, n_groups: int, *, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Labels (0 = lowest group) and ascending centres of a 1-D k-means, started at quantiles."""
    centres = np.quantile(values, (np.arange(n_groups) + 0.5) / n_groups)
    for _ in range(iterations):
        labels = np.argmin(np.abs(values[:, None] - centres[None, :]), axis=1)
        updated = np.array([values[labels == g].mean() if np.any(labels == g) else centres[g] for g in range(n_groups)])
        if np.allclose(updated, centres):
            break
        centres = updated
    order = np.argsort(centres)
    rank = np.empty_like(order)
    rank[order] = np.arange(n_groups)
    labels = np.argmin(np.abs(values[:, None] - centres[None, :]), axis=1)
    return rank[labels], centres[order]


def _tom_pitch(samples: np.ndarray, onset: float, *, sample_rate: int) -> float:
    """Fractional MIDI pitch of the strongest 50..400 Hz peak just after ``onset``."""
    start = int(round((onset + _TOM_PITCH_DELAY) * sample_rate))
    frame = np.zeros(_TOM_PITCH_WINDOW)
    piece = samples[max(start, 0) : start + _TOM_PITCH_WINDOW]
    frame[: piece.size] = piece
    n_fft = 8 * _TOM_PITCH_WINDOW  # zero padding: finer peak positions
    spectrum = np.abs(np.fft.rfft(frame * np.hanning(_TOM_PITCH_WINDOW), n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    band = np.flatnonzero((freqs >= _TOM_LOWEST_HZ) & (freqs <= _TOM_HIGHEST_HZ))
    peak = band[int(np.argmax(spectrum[band]))]
    return float(69 + 12 * np.log2(freqs[peak] / 440.0))
