"""Basic Pitch (Spotify, ICASSP 2022) for guitar, bass, vocals and everything else.

The ONNX export that the ``basic-pitch`` wheel ships runs on onnxruntime; no
TensorFlow. What we take from basic-pitch is the model file, its geometry
constants and its note decoder (``output_to_notes_polyphonic``). The windowing
around the model is our own, because basic-pitch's ``predict`` keeps every
window's output of the whole recording and decodes it all at once: its memory
grows by about 45 MB per minute of audio (measured: +460 MB for 10 minutes),
where chunks keep it flat.

Chunks are whole model windows with a margin of context on both sides; see
``_stitch`` for how their notes are joined so that none is lost or doubled at a
seam. Chunk cores start on the window grid a whole-file pass would use, so the
model sees the same windows either way.
"""
from __future__ import annotations

import importlib.resources
import logging
import math
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import onnxruntime

from ml import postprocess
from ml.audio import mono_at
from ml.constants import MIDI_VELOCITY_MAX, MIDI_VELOCITY_MIN
from ml.errors import ModelUnavailableError
from ml.notes import Note, Track
from ml.registry import verify_sha256

# basic_pitch/__init__.py logs a warning for each backend it cannot find
# (TensorFlow, CoreML, TFLite), and resampy, which its decoder module imports
# but our path never calls, warns about pkg_resources: noise for us.
_logging_floor = logging.root.manager.disable
logging.disable(logging.WARNING)
try:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        from basic_pitch import constants as bp
        from basic_pitch.note_creation import MIDI_OFFSET, output_to_notes_polyphonic
finally:
    logging.disable(_logging_floor)

Progress = Callable[[float], None]  # fraction of the recording done, 0..1

# --- The model file -------------------------------------------------------------------
MODEL_PACKAGE = "basic_pitch"
MODEL_RESOURCE = "saved_models/icassp_2022/nmp.onnx"
MODEL_SHA256 = "2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec"  # basic-pitch 0.4.0
_INPUT_NAME = "serving_default_input_2:0"
# The export's output names are TensorFlow's; which is which is fixed by the model.
_NOTE_OUTPUT = "StatefulPartitionedCall:1"  # frame-wise "a note sounds", (batch, frames, 88)
_ONSET_OUTPUT = "StatefulPartitionedCall:2"  # frame-wise "a note starts", (batch, frames, 88)

# --- Geometry, derived from basic-pitch's own constants ------------------------------
SAMPLE_RATE = bp.AUDIO_SAMPLE_RATE  # 22050 Hz
_FRAME_SAMPLES = bp.FFT_HOP  # 256 samples between output frames
_WINDOW_SAMPLES = bp.AUDIO_N_SAMPLES  # the model's fixed input length (~1.99 s)
# Frames whose receptive field reaches past a window's edge are unreliable, so
# windows overlap and each drops this many frames at both ends (basic-pitch uses 15).
_EDGE_FRAMES = 15
_WINDOW_FRAMES = bp.ANNOT_N_FRAMES  # 172 output frames per window
_KEPT_FRAMES = _WINDOW_FRAMES - 2 * _EDGE_FRAMES
_HOP_SAMPLES = _WINDOW_SAMPLES - 2 * _EDGE_FRAMES * _FRAME_SAMPLES  # 36164 samples (~1.64 s)
HOP_SECONDS = _HOP_SAMPLES / SAMPLE_RATE

# --- Chunks ---------------------------------------------------------------------------
# ~30 s of core per chunk keeps a chunk's activations at a few MB and its decoder
# pass short; ~5 s of margin on each side is far more than the decoder looks
# ahead (11 frames, 0.13 s) or the model's receptive field, so notes in the core
# come out as a whole-file pass would give them.
CHUNK_SECONDS = 18 * HOP_SECONDS
_MARGIN_WINDOWS = 3
_BATCH_WINDOWS = 8  # windows per onnxruntime call: fewer calls, bounded memory
# A note ending this close to its chunk's end may have been cut by it: the model
# hears silence past the end, so activations fade a little before it.
_CUT_SECONDS = 0.25
# Two chunks' notes of one pitch with onsets this close are one note; a voice
# cannot restrike a pitch faster (also mir_eval's onset tolerance).
_SAME_ONSET_SECONDS = 0.05
# basic-pitch's decoder: a note holds while its energy dips below the frame
# threshold for fewer than 11 frames.
_ENERGY_TOLERANCE_FRAMES = 11
# The decoder keeps notes longer than this many frames (so 58 ms and up).
# Instruments ask for longer minimums in clean_up, after fragments are merged:
# judged before merging, a sung note's vibrato pieces are dropped one by one
# (measured: vocals F1 0.97 -> 0.77 with a 0.1 s minimum in the decoder).
_DECODER_MIN_FRAMES = 4
_LOWEST_MODEL_PITCH = MIDI_OFFSET  # A0: the model's 88 outputs are the piano's keys
_HIGHEST_MODEL_PITCH = MIDI_OFFSET + bp.ANNOTATIONS_N_SEMITONES - 1  # C8


@dataclass(frozen=True, slots=True)
class InstrumentSettings:
    name: str  # track name the user sees
    program: int  # General MIDI program, 0-based
    lowest_pitch: int  # MIDI; notes outside lowest..highest are dropped
    highest_pitch: int
    onset_threshold: float  # peak onset activation that starts a note, 0..1
    frame_threshold: float  # frame activation that keeps a note sounding, 0..1
    min_note_seconds: float  # shorter notes are dropped (after merging fragments)
    min_velocity: int  # quieter notes are dropped (velocity = 127 x mean activation)
    merge_gap_seconds: float | None  # join same-pitch pieces this close; None: never
    monophonic: bool  # keep one note at a time (the strongest)


# Clean-ups are switched on only where bench/basic_pitch_eval.py measures a gain
# in onset F1 on synthesized material; run it after changing anything here.
INSTRUMENTS: dict[str, InstrumentSettings] = {
    "guitar": InstrumentSettings(
        name="Guitar", program=25,  # acoustic guitar (steel)
        lowest_pitch=40, highest_pitch=88,  # E2 .. E6 (24 frets on the high E string)
        # A plucked string's attack makes the model fire on re-strikes, octaves and
        # fifths of the sounding note; only a high onset threshold keeps them out.
        # Chosen by bench/basic_pitch_sweep.py as the best worst case over four
        # FluidR3 guitars (single lines and chords) and a synthesized one: onset F1
        # 0.857 at worst, 0.924 on average, where 0.5 / 0.3 / 0.058 s gave 0.441 / 0.706.
        onset_threshold=0.85, frame_threshold=0.45, min_note_seconds=0.1,
        min_velocity=1, merge_gap_seconds=None, monophonic=False,
    ),
    "bass": InstrumentSettings(
        name="Bass", program=33,  # electric bass (finger)
        lowest_pitch=28, highest_pitch=67,  # E1 .. G4 (20+ frets on the G string)
        onset_threshold=0.5, frame_threshold=0.3, min_note_seconds=0.1,
        # The model hears a bass note's upper partials as extra notes; bass
        # lines rarely hold two notes at once, so one at a time removes them.
        min_velocity=1, merge_gap_seconds=None, monophonic=True,
    ),
    "vocals": InstrumentSettings(
        name="Vocals", program=53,  # voice oohs: one voice, not a choir
        lowest_pitch=36, highest_pitch=84,  # C2 .. C6, bass to soprano
        onset_threshold=0.5, frame_threshold=0.3, min_note_seconds=0.058,
        # Vibrato makes the onset detector fire several times per sung note.
        min_velocity=1, merge_gap_seconds=0.03, monophonic=False,
    ),
    "other": InstrumentSettings(
        name="Other", program=0,  # acoustic grand piano: neutral for unknown sounds
        lowest_pitch=_LOWEST_MODEL_PITCH, highest_pitch=_HIGHEST_MODEL_PITCH,
        # A firmer onset threshold than basic-pitch's 0.5: bench/basic_pitch_sweep.py over
        # seven FluidR3 timbres (electric piano, brass, clarinet, strings, flute, pad,
        # synth lead) raised the mean onset F1 from 0.747 to 0.792 (no timbre lost more
        # than 0.03), and on held-out keyboard pieces in the same timbres from 0.540 to
        # 0.617, every timbre gaining (bench/other_keyboard_check.py).
        onset_threshold=0.7, frame_threshold=0.3, min_note_seconds=0.058,
        # Sustained harmonic-rich sounds give quiet ghost notes on their partials.
        min_velocity=60, merge_gap_seconds=None, monophonic=False,
    ),
}

# Notes whose onsets are this close count as simultaneous in monophonic reduction.
_CHORD_WINDOW_SECONDS = 0.05

_session: onnxruntime.InferenceSession | None = None
_session_lock = threading.Lock()


def get_session() -> onnxruntime.InferenceSession:
    """The Basic Pitch model, loaded once per process from the basic-pitch wheel."""
    global _session
    with _session_lock:
        if _session is None:
            _session = _load_session()
        return _session


def _load_session() -> onnxruntime.InferenceSession:
    try:
        root = importlib.resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError as error:
        raise ModelUnavailableError(
            f"The transcription model is not available: the {MODEL_PACKAGE} package is not installed."
        ) from error
    # as_file gives a real path even from a zipped package; onnxruntime reads
    # the whole file while building the session, so the path may go away after.
    with importlib.resources.as_file(root / MODEL_RESOURCE) as path:
        verify_sha256(path, MODEL_SHA256)
        try:
            return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ModelUnavailableError() from error


def transcribe(
    audio: str | os.PathLike[str] | np.ndarray,
    *,
    instrument: str,
    sample_rate: int | None = None,
    progress: Progress | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
) -> Track:
    """Transcribe one instrument's audio into a Track of notes.

    ``audio`` is a file path, or a waveform, (samples,) or (samples, channels),
    at ``sample_rate`` Hz (required with a waveform). ``instrument`` is a key of
    ``INSTRUMENTS``. ``progress(fraction)`` is called after each chunk.
    ``chunk_seconds`` (rounded to whole model windows) bounds memory and time
    per chunk; the notes do not depend on it beyond rounding at the seams.
    """
    settings = INSTRUMENTS[instrument]
    samples = mono_at(audio, target_rate=SAMPLE_RATE, sample_rate=sample_rate)
    notes = decode(samples, settings=settings, chunk_seconds=chunk_seconds, progress=progress)
    notes = clean_up(notes, settings=settings)
    return Track(name=settings.name, instrument=instrument, program=settings.program, notes=notes)


def clean_up(notes: list[Note], *, settings: InstrumentSettings) -> list[Note]:
    """The post-processing an instrument's settings ask for, in an order where each
    step leaves nothing for an earlier one to redo."""
    notes = postprocess.drop_out_of_range(notes, lowest=settings.lowest_pitch, highest=settings.highest_pitch)
    notes = postprocess.drop_quiet_notes(notes, min_velocity=settings.min_velocity)
    if settings.merge_gap_seconds is not None:
        notes = postprocess.merge_fragments(notes, max_gap=settings.merge_gap_seconds)
    if settings.monophonic:
        notes = postprocess.reduce_to_monophonic(notes, chord_window=_CHORD_WINDOW_SECONDS)
    # Last: merging and monophonic cuts can leave splinters.
    return postprocess.drop_short_notes(notes, min_seconds=settings.min_note_seconds)



@dataclass(frozen=True, slots=True)
class _Chunk:
    start: int  # samples given to the model: [start, stop), core plus margins
    stop: int
    core_start: float  # seconds: notes with onsets in [core_start, core_end) belong here
    core_end: float


def _chunks(n_samples: int, *, chunk_seconds: float) -> list[_Chunk]:
    core = max(1, round(chunk_seconds / HOP_SECONDS)) * _HOP_SAMPLES
    margin = _MARGIN_WINDOWS * _HOP_SAMPLES
    n_chunks = max(1, math.ceil(n_samples / core))
    return [
        _Chunk(
            start=max(0, index * core - margin),
            stop=min(n_samples, (index + 1) * core + margin),
            core_start=index * core / SAMPLE_RATE if index > 0 else -math.inf,
            core_end=(index + 1) * core / SAMPLE_RATE if index < n_chunks - 1 else math.inf,
        )
        for index in range(n_chunks)
    ]


def decode(
    samples: np.ndarray,
    *,
    settings: InstrumentSettings,
    chunk_seconds: float = CHUNK_SECONDS,
    progress: Progress | None = None,
) -> list[Note]:
    """The model's notes for mono ``samples`` at ``SAMPLE_RATE``, before ``clean_up``.

    Decoded chunk by chunk (``chunk_seconds`` of core each, rounded to whole
    model windows); ``progress(fraction)`` is called after each chunk.
    """
    session = get_session()
    chunks = _chunks(samples.size, chunk_seconds=chunk_seconds)

    def heard() -> Iterator[tuple[_Chunk, list[Note]]]:
        for index, chunk in enumerate(chunks):
            offset = chunk.start / SAMPLE_RATE
            yield chunk, _decode(session, samples[chunk.start : chunk.stop], settings=settings, offset=offset)
            if progress is not None:
                progress((index + 1) / len(chunks))

    return _stitch(heard())


def _stitch(heard: Iterable[tuple[_Chunk, list[Note]]]) -> list[Note]:
    """One note list from the chunks' notes, in chunk order.

    - A note whose onset lies in a chunk's margin is dropped: the neighbour whose
      core holds the onset keeps it, having heard it with context on both sides.
    - A kept note that ran into its chunk's end is lengthened by the same pitch,
      sounding at that moment, in the next chunk.
    - A note the previous chunk already kept (same pitch, onset a hair apart,
      as at a core boundary) is not kept twice.
    """
    kept: list[Note] = []
    running: dict[int, int] = {}  # pitch -> index in kept of a note the last chunk's end cut
    previous: dict[int, list[int]] = {}  # pitch -> indices in kept of the last chunk's notes
    for chunk, notes in heard:
        touched: list[int] = []
        for note in notes:
            at = running.get(note.pitch)
            if at is not None and _overlap(kept[at], note):
                kept[at] = replace(kept[at], offset=max(kept[at].offset, note.offset))
                touched.append(at)
            elif any(abs(kept[i].onset - note.onset) <= _SAME_ONSET_SECONDS for i in previous.get(note.pitch, ())):
                continue
            elif chunk.core_start <= note.onset < chunk.core_end:
                kept.append(note)
                touched.append(len(kept) - 1)
        cut_at = chunk.stop / SAMPLE_RATE - _CUT_SECONDS
        running = {kept[i].pitch: i for i in touched if kept[i].offset >= cut_at}
        previous = {}
        for i in touched:
            previous.setdefault(kept[i].pitch, []).append(i)
    return postprocess.sort_notes(kept)


def _overlap(a: Note, b: Note) -> bool:
    return a.onset < b.offset and b.onset < a.offset


def _decode(
    session: onnxruntime.InferenceSession, samples: np.ndarray, *, settings: InstrumentSettings, offset: float
) -> list[Note]:
    """Notes in ``samples`` (one chunk), with times shifted by ``offset`` seconds."""
    frames, onsets, times = _activations(session, samples)
    # The decoder rescales by the largest frame-to-frame rise, which is 0 for a
    # clip too short to rise at all; the NaNs that follow simply find no onset.
    with np.errstate(divide="ignore", invalid="ignore"):
        events = output_to_notes_polyphonic(
            frames,
            onsets,
            onset_thresh=settings.onset_threshold,
            frame_thresh=settings.frame_threshold,
            min_note_len=_DECODER_MIN_FRAMES,
            infer_onsets=True,
            # The pitch range is applied in clean_up: measured, it scores the same
            # as limiting the decoder, and keeps every instrument rule in one place.
            min_freq=None,
            max_freq=None,
            melodia_trick=True,
            energy_tol=_ENERGY_TOLERANCE_FRAMES,
        )
    return [
        Note(
            pitch=int(pitch),
            onset=offset + float(times[start]),
            offset=offset + float(times[end]),
            velocity=min(max(round(MIDI_VELOCITY_MAX * float(amplitude)), MIDI_VELOCITY_MIN), MIDI_VELOCITY_MAX),
        )
        for start, end, pitch, amplitude in events
    ]


def _activations(
    session: onnxruntime.InferenceSession, samples: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame and onset activations (frames, 88) of a whole chunk, and each frame's time.

    The chunk is padded in front by the frames a window drops at its start, so
    the first kept frame of window ``w`` sits at sample ``w * hop`` of the chunk.
    Kept frames of neighbouring windows overlap by a fraction of a frame, so
    times are computed per window rather than as ``frame * hop``.
    """
    lead = _EDGE_FRAMES * _FRAME_SAMPLES
    padded = np.concatenate([np.zeros(lead, dtype=np.float32), samples.astype(np.float32, copy=False)])
    n_windows = max(1, math.ceil(samples.size / _HOP_SAMPLES))
    frames, onsets = [], []
    for batch in _batches(padded, n_windows=n_windows):
        note_out, onset_out = session.run([_NOTE_OUTPUT, _ONSET_OUTPUT], {_INPUT_NAME: batch})
        frames.append(note_out[:, _EDGE_FRAMES:-_EDGE_FRAMES].reshape(-1, note_out.shape[-1]))
        onsets.append(onset_out[:, _EDGE_FRAMES:-_EDGE_FRAMES].reshape(-1, onset_out.shape[-1]))
    window_starts = np.arange(n_windows)[:, None] * _HOP_SAMPLES
    times = ((window_starts + np.arange(_KEPT_FRAMES) * _FRAME_SAMPLES).ravel()) / SAMPLE_RATE
    # Frames past the end of the audio are padding.
    n_frames = int(np.searchsorted(times, samples.size / SAMPLE_RATE, side="right"))
    return np.concatenate(frames)[:n_frames], np.concatenate(onsets)[:n_frames], times[:n_frames]


def _batches(padded: np.ndarray, *, n_windows: int) -> Iterator[np.ndarray]:
    for first in range(0, n_windows, _BATCH_WINDOWS):
        count = min(_BATCH_WINDOWS, n_windows - first)
        batch = np.zeros((count, _WINDOW_SAMPLES, 1), dtype=np.float32)
        for row in range(count):
            window = padded[(first + row) * _HOP_SAMPLES : (first + row) * _HOP_SAMPLES + _WINDOW_SAMPLES]
            batch[row, : window.size, 0] = window
        yield batch

