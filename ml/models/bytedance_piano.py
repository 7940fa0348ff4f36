"""ByteDance piano transcription (Kong et al. 2021, "High-resolution piano
transcription with pedals by regressing onset and offset times"), an optional
piano backend used when its checkpoint is in MODEL_DIR.

From the ``piano-transcription-inference`` package we take the note model's
class, its constants and its per-key note decoder (``piano_vad``); we never
create its ``PianoTranscription``, which downloads the checkpoint with wget
whenever the file it is given looks too small. Around them, our own code:

* the checkpoint is found in ``MODEL_DIR/bytedance_piano/`` and pinned by size
  and sha256 (the file ``python manage.py fetch_models`` downloads); only the
  note half of the note+pedal checkpoint is built and loaded;
* audio is cut into the package's 10 s segments overlapping by half, one
  segment at a time, and the middle half of each segment's frames is kept
  (the package's ``enframe``/``deframe``), so the device holds one segment;
* frame outputs are decoded to notes block by block, so memory stays flat for
  any recording length. A note lasts at most 600 frames (the decoder closes it
  there), so decoding a block with 6 s of lookahead gives exactly the notes a
  whole-recording pass gives (tests/ml/test_bytedance_piano.py checks this
  against the package's own post-processor).

Pedal events are not computed: the pedal model is not even built.
"""
from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soxr
import torch
from piano_transcription_inference import config as pti
from piano_transcription_inference.models import Regress_onset_offset_frame_velocity_CRNN
from piano_transcription_inference.piano_vad import note_detection_with_onset_offset_regress

from ml import constants as C
from ml import weights
from ml.registry import canonical_device
from ml.errors import ModelUnavailableError
from ml.notes import Note

logger = logging.getLogger(__name__)

SegmentProgress = Callable[[int, int], None]  # (segments_done, segments_total)

# --- The checkpoint ---------------------------------------------------------------------
# Catalogue name and MODEL_DIR sub-folder for ml.weights / fetch_models; the
# checkpoint (URL, size, checksum) is pinned in that catalogue.
MODEL_NAME = weights.BYTEDANCE_PIANO
FOLDER = weights.CATALOGUE[MODEL_NAME].folder
CHECKPOINT = weights.CATALOGUE[MODEL_NAME].files[0]
# The STFT kernels and mel filterbank: fixed, rebuilt by the model's constructor,
# so a checkpoint may leave them out. Every other weight must come from the file.
_FRONT_END_PREFIXES = ("spectrogram_extractor.", "logmel_extractor.")

# --- Geometry, from the package's own constants -----------------------------------------
SAMPLE_RATE = pti.sample_rate  # 16000 Hz mono, what the model hears
FRAMES_PER_SECOND = pti.frames_per_second  # 100
HOP_SAMPLES = SAMPLE_RATE // FRAMES_PER_SECOND  # 160, as the model computes it
SEGMENT_SECONDS = pti.segment_seconds  # 10 s: the length it was trained on, and PianoTranscription's default
INPUT_SAMPLE_RATE = C.TRANSKUN_SAMPLE_RATE  # what the pipeline hands every piano transcriber (44.1 kHz)

# --- Decoding: PianoTranscription's thresholds (inference.py) ---------------------------
ONSET_THRESHOLD = 0.3
OFFSET_THRESHOLD = 0.3
FRAME_THRESHOLD = 0.1
_ONSET_NEIGHBOUR = 2  # frames each side that must fall away from an onset peak
_OFFSET_NEIGHBOUR = 4
# piano_vad closes a note at most this many frames after its onset.
_MAX_NOTE_FRAMES = 600
# Frames of context before a block: an onset peak looks 2 frames back; more is harmless.
_LEFT_CONTEXT_FRAMES = 8
# Frames after a block: a note starting in its last frame is closed within 600 frames,
# and an offset peak there needs 4 frames beyond it.
_LOOKAHEAD_FRAMES = _MAX_NOTE_FRAMES + _OFFSET_NEIGHBOUR + 6
DECODE_BLOCK_FRAMES = 6000  # 60 s per decoder pass: ~10 MB of frame outputs held at once
_OUTPUT_KEYS = ("reg_onset_output", "reg_offset_output", "frame_output", "velocity_output")

_cache: dict[tuple[str, str], torch.nn.Module] = {}
_cache_lock = threading.Lock()


def checkpoint_path(*, model_dir: str | os.PathLike[str], checkpoint: weights.WeightFile = CHECKPOINT) -> Path:
    """The verified checkpoint in ``model_dir``; ModelUnavailableError naming the file if missing or damaged."""
    folder = Path(model_dir) / FOLDER
    path = folder / checkpoint.name
    remedy = (
        f"Run `{weights.FETCH_COMMAND}` to download it (about {checkpoint.size / 1e6:.0f} MB), "
        "or copy the file into that folder."
    )
    if not path.is_file():
        raise ModelUnavailableError(f"The model file {checkpoint.name} is missing from {folder}. {remedy}")
    size = path.stat().st_size
    # The size is free to read and catches truncated copies before hashing 170 MB.
    digest = weights.file_sha256(path) if size == checkpoint.size else None
    if digest != checkpoint.sha256:
        raise ModelUnavailableError(
            f"The model file {checkpoint.name} is damaged or the wrong version in {folder}. {remedy}"
        ) from ValueError(f"{size} bytes, sha256 {digest}; expected {checkpoint.size}, {checkpoint.sha256}")
    return path


def available(*, model_dir: str | os.PathLike[str], checkpoint: weights.WeightFile = CHECKPOINT) -> bool:
    """Whether the checkpoint is in ``model_dir`` at its pinned size (cheap: no hashing)."""
    path = Path(model_dir) / FOLDER / checkpoint.name
    return path.is_file() and path.stat().st_size == checkpoint.size


def build(path: Path) -> torch.nn.Module:
    """The note model from a note+pedal checkpoint, on CPU in eval mode."""
    try:
        # The file is {"model": {"note_model": state_dict, "pedal_model": state_dict}}
        # (combine_note_and_pedal_models.py in bytedance/piano_transcription).
        state = torch.load(path, map_location="cpu", weights_only=True)["model"]["note_model"]
        model = Regress_onset_offset_frame_velocity_CRNN(
            frames_per_second=FRAMES_PER_SECOND, classes_num=pti.classes_num
        )
        missing, unexpected = model.load_state_dict(state, strict=False)
    except Exception as error:  # unpickling, layout and shape errors all mean "not this model"
        raise ModelUnavailableError(f"The model file {path.name} in {path.parent} could not be loaded.") from error
    missing_learned = [key for key in missing if not key.startswith(_FRONT_END_PREFIXES)]
    if missing_learned:
        raise ModelUnavailableError(
            f"The model file {path.name} in {path.parent} could not be loaded."
        ) from ValueError(f"{len(missing_learned)} weights missing from the checkpoint, e.g. {missing_learned[:5]}")
    if unexpected:
        logger.warning("%s: ignoring %d unexpected keys, e.g. %s", path.name, len(unexpected), unexpected[:5])
    return model.eval()


def load_model(
    *,
    model_dir: str | os.PathLike[str],
    device: str | torch.device | None = None,
    checkpoint: weights.WeightFile = CHECKPOINT,
) -> torch.nn.Module:
    """The note model from ``model_dir`` on ``device`` (default: CUDA when present), loaded once per process."""
    device = canonical_device(device)
    path = (Path(model_dir) / FOLDER / checkpoint.name).resolve()
    key = (str(path), str(device))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build(checkpoint_path(model_dir=model_dir, checkpoint=checkpoint)).to(device)
        return _cache[key]


class ByteDancePianoTranscriber:
    """Holds a loaded note model and turns audio into piano notes.

    ``segment_seconds`` is how much audio the model sees at once; segments
    overlap by half. It must be a whole number of 4-frame steps (0.04 s);
    shorter segments need less memory but give the model less context than
    the 10 s it was trained on.
    """

    def __init__(self, model: torch.nn.Module, *, segment_seconds: float = SEGMENT_SECONDS) -> None:
        segment_samples = round(segment_seconds * SAMPLE_RATE)
        if segment_samples <= 0 or segment_samples % (4 * HOP_SAMPLES):
            raise ValueError(f"segment_seconds must be a positive multiple of 0.04, got {segment_seconds}")
        self.model = model
        self.segment_samples = segment_samples

    @classmethod
    def from_model_dir(
        cls,
        *,
        model_dir: str | os.PathLike[str],
        device: str | torch.device | None = None,
        segment_seconds: float = SEGMENT_SECONDS,
    ) -> "ByteDancePianoTranscriber":
        return cls(load_model(model_dir=model_dir, device=device), segment_seconds=segment_seconds)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        progress: SegmentProgress | None = None,
        sample_rate: int = INPUT_SAMPLE_RATE,
    ) -> list[Note]:
        """``audio``: float, (samples,) or (samples, channels) at ``sample_rate`` (44.1 kHz by default).

        The channels are averaged and resampled to 16 kHz. ``progress(done, total)``
        is called after each segment the model has run; an exception it raises
        stops the transcription.
        """
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim == 1:
            audio = audio[:, None]
        if audio.ndim != 2:
            raise ValueError(f"expected (samples,) or (samples, channels) audio, got shape {audio.shape}")
        if audio.shape[0] == 0:
            return []
        mono = audio.mean(axis=1, dtype=np.float32)
        if sample_rate != SAMPLE_RATE:
            mono = soxr.resample(mono, sample_rate, SAMPLE_RATE, quality="HQ").astype(np.float32, copy=False)

        # Frames whose centre lies inside the recording; the package also decodes
        # the zero padding after it, we stop at the end of the audio.
        frames_wanted = mono.size // HOP_SAMPLES + 1
        decoder = StreamingNoteDecoder()
        produced = 0
        for frames in model_frames(self.model, mono, segment_samples=self.segment_samples, progress=progress):
            take = min(next(iter(frames.values())).shape[0], frames_wanted - produced)
            if take > 0:
                decoder.push({key: value[:take] for key, value in frames.items()})
                produced += take
        return decoder.finish()


def model_frames(
    model: torch.nn.Module,
    samples: np.ndarray,
    *,
    segment_samples: int,
    progress: SegmentProgress | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """The model's frame outputs for 16 kHz mono ``samples``, yielded in order, segment by segment.

    PianoTranscription.enframe/deframe without holding them all: the audio is
    zero-padded to whole segments and walked in steps of half a segment; each
    segment contributes the middle half of its frames (the first and the last
    segment also their outer quarter). Each value is (frames, 88) float32.
    """
    segment_frames = segment_samples // HOP_SAMPLES
    quarter, half = segment_frames // 4, segment_samples // 2
    total = 2 * math.ceil(samples.size / segment_samples) - 1
    device = next(model.parameters()).device
    for index in range(total):
        segment = np.zeros(segment_samples, dtype=np.float32)
        piece = samples[index * half : index * half + segment_samples]
        segment[: piece.size] = piece
        with torch.inference_mode():
            output = model(torch.from_numpy(segment)[None].to(device))
        frames = {key: output[key][0].float().cpu().numpy() for key in _OUTPUT_KEYS}
        if total > 1:
            # The last frame of a segment (from the centred STFT) is the next one's first.
            start = 0 if index == 0 else quarter
            stop = segment_frames if index == total - 1 else 3 * quarter
            frames = {key: value[start:stop] for key, value in frames.items()}
        if progress is not None:
            progress(index + 1, total)
        yield frames


def binarize_peaks(reg_output: np.ndarray, *, threshold: float, neighbour: int) -> tuple[np.ndarray, np.ndarray]:
    """RegressionPostProcessor.get_binarized_output_from_regression, vectorised.

    A frame is an onset (offset) when its regressed value exceeds ``threshold``
    and falls away monotonically over ``neighbour`` frames each side; its shift
    (-0.5..0.5 frames) places the true time between frames. Returns (peaks, shifts)
    shaped like ``reg_output``. Where the package divides 0 by 0 on a flat top
    and gets NaN, the shift here is 0.
    """
    x = np.asarray(reg_output, dtype=np.float32)
    frames = x.shape[0]
    peaks = np.zeros_like(x)
    shifts = np.zeros_like(x)
    if frames <= 2 * neighbour:
        return peaks, shifts
    k, end = neighbour, frames - neighbour
    centre, before, after = x[k:end], x[k - 1 : end - 1], x[k + 1 : end + 1]
    is_peak = centre > threshold
    for i in range(neighbour):
        is_peak &= x[k - i : end - i] >= x[k - i - 1 : end - i - 1]
        is_peak &= x[k + i : end + i] >= x[k + i + 1 : end + i + 1]
    denominator = np.where(before > after, centre - after, centre - before)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = (after - before) / denominator / np.float32(2)
    peaks[k:end] = is_peak
    shifts[k:end] = np.where(is_peak & (denominator != 0), shift, np.float32(0))
    return peaks, shifts


def detect_notes(frames: dict[str, np.ndarray]) -> list[tuple[int, int, int, float, float, float]]:
    """Note rows (key, onset frame, offset frame, onset shift, offset shift, velocity 0..1), in frame units.

    The package's decoding (RegressionPostProcessor with PianoTranscription's
    thresholds, then piano_vad per key) on (frames, 88) outputs.
    """
    onsets, onset_shifts = binarize_peaks(
        frames["reg_onset_output"], threshold=ONSET_THRESHOLD, neighbour=_ONSET_NEIGHBOUR
    )
    offsets, offset_shifts = binarize_peaks(
        frames["reg_offset_output"], threshold=OFFSET_THRESHOLD, neighbour=_OFFSET_NEIGHBOUR
    )
    rows = []
    for key in range(onsets.shape[1]):
        if not onsets[:, key].any():
            continue  # no onset, no note: skip the per-frame loop
        for begin, end, onset_shift, offset_shift, velocity in note_detection_with_onset_offset_regress(
            frame_output=frames["frame_output"][:, key],
            onset_output=onsets[:, key],
            onset_shift_output=onset_shifts[:, key],
            offset_output=offsets[:, key],
            offset_shift_output=offset_shifts[:, key],
            velocity_output=frames["velocity_output"][:, key],
            frame_threshold=FRAME_THRESHOLD,
        ):
            rows.append((key, int(begin), int(end), float(onset_shift), float(offset_shift), float(velocity)))
    return rows


class StreamingNoteDecoder:
    """Decodes frame outputs pushed in order into notes, ``block_frames`` at a time.

    Each note belongs to the block holding its onset frame and is decoded with
    the frames that follow it up to its longest possible length, so the notes
    are those of one pass over the whole recording, with bounded memory.
    """

    def __init__(self, *, block_frames: int = DECODE_BLOCK_FRAMES) -> None:
        if block_frames <= 0:
            raise ValueError(f"block_frames must be positive, got {block_frames}")
        self.block_frames = block_frames
        self._buffer: dict[str, np.ndarray] | None = None
        self._buffer_start = 0  # global index of the buffer's first frame
        self._decoded = 0  # notes starting before this global frame have been emitted
        self._notes: list[Note] = []

    def push(self, frames: dict[str, np.ndarray]) -> None:
        if self._buffer is None:
            self._buffer = {key: np.asarray(frames[key], dtype=np.float32) for key in _OUTPUT_KEYS}
        else:
            self._buffer = {key: np.concatenate([self._buffer[key], frames[key]]) for key in _OUTPUT_KEYS}
        while self._buffer_end() - self._decoded >= self.block_frames + _LOOKAHEAD_FRAMES:
            self._decode(core_end=self._decoded + self.block_frames)

    def finish(self) -> list[Note]:
        """All notes, sorted by onset then pitch; the recording ends after the last frame pushed."""
        if self._buffer is not None and self._buffer_end() > self._decoded:
            self._decode(core_end=self._buffer_end())
        notes, self._notes = self._notes, []
        notes.sort(key=lambda note: (note.onset, note.pitch))
        return notes

    def _buffer_end(self) -> int:
        assert self._buffer is not None
        return self._buffer_start + self._buffer["frame_output"].shape[0]

    def _decode(self, *, core_end: int) -> None:
        assert self._buffer is not None
        # The window runs to the end of the buffer: at least the lookahead for a
        # middle block, exactly the end of the recording for the last one.
        first = self._buffer_start
        for key, begin, end, onset_shift, offset_shift, velocity in detect_notes(self._buffer):
            if self._decoded <= first + begin < core_end:
                self._notes.append(_note(key, first + begin, first + end, onset_shift, offset_shift, velocity))
        self._decoded = core_end
        drop = max(core_end - _LEFT_CONTEXT_FRAMES - self._buffer_start, 0)
        self._buffer = {key: value[drop:] for key, value in self._buffer.items()}
        self._buffer_start += drop


def _note(key: int, begin: int, end: int, onset_shift: float, offset_shift: float, velocity: float) -> Note:
    """One decoded row as a valid MIDI note (as the package's detected_notes_to_events, clamped)."""
    onset = max((begin + onset_shift) / FRAMES_PER_SECOND, 0.0)
    offset = max((end + offset_shift) / FRAMES_PER_SECOND, onset + C.MIN_NOTE_SECONDS)
    return Note(
        pitch=key + pti.begin_note,
        onset=onset,
        offset=offset,
        velocity=min(max(int(velocity * pti.velocity_scale), C.MIDI_VELOCITY_MIN), C.MIDI_VELOCITY_MAX),
    )
