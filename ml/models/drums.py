"""Drum transcription: a drum stem in, a Track of General MIDI drum hits out.

Method (all numpy/scipy/librosa on CPU, no neural network):

1. A mel magnitude spectrogram (48 bands, 10 ms frames).
2. Non-negative matrix factor deconvolution with fixed spectro-temporal
   templates, one per drum class (kick, snare, closed and open hi-hat, tom,
   crash, ride), learned from isolated hits of two GM soundfonts
   (``ml.drums.templates``, ``ml.drums.nmd``).
3. Peaks of each class's activation become hits when they are loud enough
   against the recording's loudest hits and backed by a real rise in energy
   (``ml.drums.events``). Hi-hats and ride are found together and told apart by
   decay and template share; toms are split into low/mid/high by pitch.
4. Velocities from activation strength, relative to each class's loud hits.

Long recordings go through in chunks with a margin on each side, so memory is
bounded by the chunk size; with fixed templates the activations of a chunk's
core match a whole-file pass (see ``ml.drums.nmd``).
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.audio import mono_at
from ml.drums import constants as c
from ml.drums import events, nmd, templates
from ml.drums.spectrogram import band_frequencies, mel_spectrogram, n_frames
from ml.notes import Note, Track

Progress = Callable[[float], None]  # fraction of the recording done, 0..1

SAMPLE_RATE = c.SAMPLE_RATE
TRACK_NAME = "Drums"
INSTRUMENT = "drums"

# ~30 s of core per chunk: its STFT is ~25 MB, its deconvolution well under a second.
CHUNK_SECONDS = 30.0
# Context each side of a core. Activations couple frames less than a template
# (160 ms) apart and the onset support looks 60 ms ahead; 1 s is ample.
MARGIN_SECONDS = 1.0
# Peak level (-60 dBFS) under which a recording counts as silence: scaling it
# up to look for hits would only find noise.
SILENCE_PEAK = 1e-3
# Bands whose energy decay tells an open hi-hat from a closed one: above the
# snare's body, where cymbals carry most of their energy.
HIGH_BAND_HZ = 4000.0


def transcribe(
    audio: str | os.PathLike[str] | np.ndarray,
    *,
    sample_rate: int | None = None,
    progress: Progress | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
    settings: events.Settings | None = None,
) -> Track:
    """Transcribe a drum recording (ideally a separated drum stem) into a drum Track.

    ``audio`` is a file path, or a waveform, (samples,) or (samples, channels), at
    ``sample_rate`` Hz (required with a waveform). ``progress(fraction)`` is called
    after each chunk. ``chunk_seconds`` bounds memory; the hits do not depend on it.
    ``settings`` overrides the decision thresholds (for evaluation).
    """
    settings = settings or events.Settings()
    samples = mono_at(audio, target_rate=SAMPLE_RATE, sample_rate=sample_rate)
    track = Track(name=TRACK_NAME, instrument=INSTRUMENT, program=0, is_drum=True)
    # max and -min rather than abs(): abs would make a whole-recording copy just for this.
    peak = max(float(samples.max()), -float(samples.min()))
    if peak < SILENCE_PEAK:
        if progress is not None:
            progress(1.0)
        return track
    # One scale for the whole recording, so every chunk sees the same levels. Scaled
    # in place where mono_at made a copy of its own: a second whole-recording copy
    # is 160 MB for 15 minutes (the caller's array is never changed).
    if isinstance(audio, np.ndarray) and np.shares_memory(samples, audio):
        samples = samples / peak
    else:
        samples /= peak
    track.notes = transcribe_samples(samples, settings=settings, chunk_seconds=chunk_seconds, progress=progress)
    return track


def transcribe_samples(
    samples: np.ndarray,
    *,
    settings: events.Settings,
    chunk_seconds: float = CHUNK_SECONDS,
    progress: Progress | None = None,
) -> list[Note]:
    """Drum notes of mono ``samples`` at SAMPLE_RATE, peak-normalised."""
    analysis = analyse(samples, patches=templates.load().patches, chunk_seconds=chunk_seconds, progress=progress)
    return notes_from_analysis(analysis, samples, settings=settings)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the decisions need, for the whole recording, frame by frame."""

    activity: np.ndarray  # (classes, frames) activation / class gain, by activation frame
    support: np.ndarray  # (classes, frames) onset support of each activation
    high_band: np.ndarray  # (frames,) spectrogram energy above HIGH_BAND_HZ, by spectrogram frame


def analyse(
    samples: np.ndarray, *, patches: np.ndarray, chunk_seconds: float = CHUNK_SECONDS, progress: Progress | None = None
) -> Analysis:
    """Activations, onset support and high-band energy of mono ``samples`` at SAMPLE_RATE, chunk by chunk."""
    shipped = templates.load()
    total = n_frames(samples.size)
    core = max(1, round(chunk_seconds / c.FRAME_SECONDS))
    margin = math.ceil(MARGIN_SECONDS / c.FRAME_SECONDS)
    high = band_frequencies() >= HIGH_BAND_HZ
    activity = np.zeros((patches.shape[2], total))
    support = np.zeros_like(activity)
    high_band = np.zeros(total)
    n_chunks = max(1, math.ceil(total / core))
    for index in range(n_chunks):
        first, last = index * core, min((index + 1) * core, total)  # core frames [first, last)
        context_first = max(first - margin, 0)
        context_last = min(last + margin, total)
        # Frame j of audio starting at sample context_first * HOP is frame context_first + j.
        piece = samples[context_first * c.HOP : (context_last - 1) * c.HOP + 1]
        spectrogram = mel_spectrogram(piece)[:, : context_last - context_first]
        # Silence on both sides, a template long: a sound already ringing when the
        # recording starts, or cut off by its end, is then explained by a hit just
        # outside it. Without it the first and last frames carry huge activations,
        # since only a template's quiet lead-in would be there to explain them.
        # (Between chunks the padding sits in the margins, which are discarded.)
        pad = np.zeros((spectrogram.shape[0], c.TEMPLATE_FRAMES))
        spectrogram = np.concatenate([pad, spectrogram, pad], axis=1)
        h = nmd.activations(spectrogram, patches)
        keep = slice(c.TEMPLATE_FRAMES + first - context_first, c.TEMPLATE_FRAMES + last - context_first)
        activity[:, first:last] = h[:, keep] / shipped.gains[:, None]
        support[:, first:last] = nmd.onset_support(spectrogram, patches, h)[:, keep]
        high_band[first:last] = spectrogram[high, keep].sum(axis=0)
        if progress is not None:
            progress((index + 1) / n_chunks)
    return Analysis(activity=activity, support=support, high_band=high_band)


def notes_from_analysis(analysis: Analysis, samples: np.ndarray, *, settings: events.Settings) -> list[Note]:
    """The drum notes an analysis holds, in time order."""
    hits = events.find_hits(
        analysis.activity, analysis.support, analysis.high_band, gains=templates.load().gains, settings=settings
    )
    onsets = [hit.frame * c.FRAME_SECONDS for hit in hits]
    tom_indices = [i for i, hit in enumerate(hits) if hit.name == c.TOM]
    tom_keys = events.tom_keys(samples, [onsets[i] for i in tom_indices], sample_rate=SAMPLE_RATE)
    pitches = [c.OUTPUT_PITCH.get(hit.name, 0) for hit in hits]
    for i, key in zip(tom_indices, tom_keys):
        pitches[i] = key
    notes = [
        Note(pitch=pitch, onset=onset, offset=onset + c.NOTE_SECONDS, velocity=velocity)
        for pitch, onset, velocity in zip(pitches, onsets, events.velocities(hits, settings=settings))
    ]
    return sorted(notes, key=lambda n: (n.onset, n.pitch))
