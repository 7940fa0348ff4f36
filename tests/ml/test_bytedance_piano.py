"""ByteDance piano transcription: the checkpoint from MODEL_DIR, segment-wise inference, block-wise decoding.

Wiring runs on an untrained model of the real architecture saved the way the
released checkpoint is ({"model": {"note_model": ..., "pedal_model": ...}}),
so its notes are noise and only their validity is asserted. Segmenting and
decoding are checked against the package's own enframe/deframe and
RegressionPostProcessor. Accuracy needs the real checkpoint in MODEL_DIR.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from django.conf import settings
from piano_transcription_inference.inference import PianoTranscription
from piano_transcription_inference.models import Regress_onset_offset_frame_velocity_CRNN, Regress_pedal_CRNN
from piano_transcription_inference.pytorch_utils import forward as package_forward
from piano_transcription_inference.utilities import RegressionPostProcessor

from ml import constants as C
from ml import weights
from ml.errors import ModelUnavailableError
from ml.models import bytedance_piano as bd
from ml.notes import Note
from bench.metrics import onset_f1
from tests.synth import PIANO_PHRASE, SAMPLE_RATE, render_notes

# 1 s segments (the model was trained on 10 s) keep each CPU forward pass short;
# 2 s of audio then takes three segments.
TEST_SEGMENT_SECONDS = 1.0
KEYS = 88


@dataclass(frozen=True)
class Released:
    model_dir: Path
    checkpoint: weights.WeightFile  # pinned to the saved file
    frame_fc_weight: torch.Tensor  # one of the saved note-model weights


def save_like_the_release(model_dir: Path) -> Released:
    """An untrained note+pedal checkpoint in the released layout under the real file name."""
    torch.manual_seed(0)
    note = Regress_onset_offset_frame_velocity_CRNN(frames_per_second=bd.FRAMES_PER_SECOND, classes_num=KEYS)
    pedal = Regress_pedal_CRNN(frames_per_second=bd.FRAMES_PER_SECOND, classes_num=KEYS)
    path = model_dir / bd.FOLDER / bd.CHECKPOINT.name
    path.parent.mkdir(parents=True, exist_ok=True)
    # The release was written by PyTorch 1.4 (its README's version), before the zip format.
    torch.save(
        {"model": {"note_model": note.state_dict(), "pedal_model": pedal.state_dict()}},
        path,
        _use_new_zipfile_serialization=False,
    )
    return Released(model_dir=model_dir, checkpoint=pin(path), frame_fc_weight=note.frame_fc.weight.detach().clone())


def pin(path: Path) -> weights.WeightFile:
    return replace(bd.CHECKPOINT, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), size=path.stat().st_size)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Released]:
    """A MODEL_DIR holding an untrained checkpoint of the real size (~170 MB), removed afterwards."""
    saved = save_like_the_release(tmp_path_factory.mktemp("models"))
    yield saved
    (saved.model_dir / bd.FOLDER / bd.CHECKPOINT.name).unlink()


@pytest.fixture(scope="module")
def transcriber(released: Released) -> bd.ByteDancePianoTranscriber:
    model = bd.load_model(model_dir=released.model_dir, device="cpu", checkpoint=released.checkpoint)
    return bd.ByteDancePianoTranscriber(model, segment_seconds=TEST_SEGMENT_SECONDS)


@pytest.fixture(autouse=True)
def home_stays_clean(tmp_path: Path, monkeypatch) -> Iterator[None]:
    """Wherever HOME is, the package's own download target must never appear there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    yield
    assert not (home / "piano_transcription_inference_data").exists()


# --- Loading ----------------------------------------------------------------------------


def test_loads_the_note_model_from_the_released_layout(released: Released, transcriber) -> None:
    model = transcriber.model
    assert isinstance(model, Regress_onset_offset_frame_velocity_CRNN)
    assert not model.training
    assert torch.equal(model.frame_fc.weight, released.frame_fc_weight)
    assert bd.available(model_dir=released.model_dir, checkpoint=released.checkpoint)


def test_model_is_loaded_once_per_process_and_device(released: Released, transcriber) -> None:
    again = bd.load_model(model_dir=released.model_dir, device=torch.device("cpu"), checkpoint=released.checkpoint)
    assert again is transcriber.model


def test_missing_checkpoint_names_the_file_and_the_command(tmp_path: Path) -> None:
    assert not bd.available(model_dir=tmp_path)
    with pytest.raises(ModelUnavailableError) as raised:
        bd.load_model(model_dir=tmp_path, device="cpu")
    message = str(raised.value)
    assert f"{bd.CHECKPOINT.name} is missing from {tmp_path / bd.FOLDER}" in message
    assert "python manage.py fetch_models" in message
    assert not (tmp_path / bd.FOLDER).exists()  # nothing downloaded, nothing created


def test_damaged_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / bd.FOLDER / bd.CHECKPOINT.name
    path.parent.mkdir()
    path.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(ModelUnavailableError, match=re.escape(f"{bd.CHECKPOINT.name} is damaged")):
        bd.load_model(model_dir=tmp_path, device="cpu")


def test_checkpoint_without_the_note_weights_is_refused(tmp_path: Path) -> None:
    path = tmp_path / bd.FOLDER / bd.CHECKPOINT.name
    path.parent.mkdir()
    torch.save({"model": {"note_model": {"bn0.weight": torch.ones(229)}, "pedal_model": {}}}, path)
    with pytest.raises(ModelUnavailableError, match="could not be loaded") as raised:
        bd.load_model(model_dir=tmp_path, device="cpu", checkpoint=pin(path))
    assert "weights missing from the checkpoint, e.g. ['bn0.bias'" in str(raised.value.__cause__)


def test_checkpoint_of_another_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / bd.FOLDER / bd.CHECKPOINT.name
    path.parent.mkdir()
    torch.save({"state_dict": {}}, path)
    with pytest.raises(ModelUnavailableError, match="could not be loaded"):
        bd.load_model(model_dir=tmp_path, device="cpu", checkpoint=pin(path))


def test_catalogue_entry_pins_the_same_file() -> None:
    entry = weights.CATALOGUE.get(bd.MODEL_NAME)
    if entry is None:
        pytest.skip(f"ml.weights.CATALOGUE has no {bd.MODEL_NAME!r} entry yet")
    assert entry.folder == bd.FOLDER
    assert entry.files == (bd.CHECKPOINT,)


# --- Transcribing -----------------------------------------------------------------------


def two_seconds_of_piano() -> np.ndarray:
    notes = [Note(60, 0.2, 0.9, 90), Note(64, 0.2, 0.9, 80), Note(67, 1.0, 1.4, 100)]
    mono = render_notes(notes)[: 2 * SAMPLE_RATE]
    return np.stack([mono, 0.5 * mono], axis=1)  # (samples, 2) at 44.1 kHz, like the pipeline's


def test_transcribes_stereo_audio_into_valid_notes_with_progress_per_segment(transcriber) -> None:
    calls: list[tuple[int, int]] = []
    notes = transcriber.transcribe(two_seconds_of_piano(), progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert all(isinstance(note, Note) for note in notes)
    for note in notes:
        assert C.PIANO_LOWEST_PITCH <= note.pitch <= C.PIANO_HIGHEST_PITCH
        assert 0.0 <= note.onset < note.offset
        assert C.MIDI_VELOCITY_MIN <= note.velocity <= C.MIDI_VELOCITY_MAX
    assert notes == sorted(notes, key=lambda note: (note.onset, note.pitch))


def test_a_failing_progress_callback_stops_transcription(transcriber) -> None:
    calls: list[tuple[int, int]] = []

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        calls.append((done, total))
        raise Cancelled

    with pytest.raises(Cancelled):
        transcriber.transcribe(two_seconds_of_piano(), progress=cancel)
    assert calls == [(1, 3)]


def test_segment_length_must_be_whole_frame_quarters(transcriber) -> None:
    with pytest.raises(ValueError, match="multiple of 0.04"):
        bd.ByteDancePianoTranscriber(transcriber.model, segment_seconds=1.01)


class FrameProbe(torch.nn.Module):
    """Stands in for the note model: each frame's outputs identify the segment and the frame."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(()))  # so the model has a device

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        running = torch.cat([torch.zeros(x.shape[0], 1), torch.cumsum(x.double(), dim=1)], dim=1)
        per_frame = running[:, :: bd.HOP_SAMPLES].float()  # samples // hop + 1 frames, as the STFT gives
        keyed = per_frame[:, :, None] + torch.arange(KEYS)[None, None, :]
        return {name: keyed + offset for offset, name in enumerate(bd._OUTPUT_KEYS)}


@pytest.mark.parametrize("seconds", [0.5, 2.5, 3.0])
def test_segments_and_kept_frames_match_the_package(seconds: float) -> None:
    model, segment_samples = FrameProbe(), round(TEST_SEGMENT_SECONDS * bd.SAMPLE_RATE)
    samples = np.random.default_rng(1).uniform(-1, 1, round(seconds * bd.SAMPLE_RATE)).astype(np.float32)

    ours = list(bd.model_frames(model, samples, segment_samples=segment_samples))

    # PianoTranscription.transcribe's steps, without constructing it (its __init__ downloads).
    package = PianoTranscription.__new__(PianoTranscription)
    package.segment_samples = segment_samples
    padded = np.concatenate([samples, np.zeros(-samples.size % segment_samples, np.float32)])[None]
    theirs = package_forward(model, package.enframe(padded, segment_samples), batch_size=1)
    assert len(ours) == theirs["frame_output"].shape[0]
    for key in bd._OUTPUT_KEYS:
        np.testing.assert_array_equal(np.concatenate([frames[key] for frames in ours]), package.deframe(theirs[key]))


# --- Decoding ---------------------------------------------------------------------------


def package_events(frames: dict[str, np.ndarray]) -> list[tuple[int, float, float, int]]:
    """Notes from the package's post-processor with PianoTranscription's thresholds, clamped as ours are."""
    processor = RegressionPostProcessor(
        bd.FRAMES_PER_SECOND, classes_num=KEYS, onset_threshold=bd.ONSET_THRESHOLD,
        offset_threshold=bd.OFFSET_THRESHOLD, frame_threshold=bd.FRAME_THRESHOLD, pedal_offset_threshold=0.2,
    )
    events, _ = processor.output_dict_to_midi_events({key: value.copy() for key, value in frames.items()})
    rows = []
    for event in events:
        onset = max(float(event["onset_time"]), 0.0)
        offset = max(float(event["offset_time"]), onset + C.MIN_NOTE_SECONDS)
        rows.append((event["midi_note"], onset, offset, min(max(event["velocity"], 1), 127)))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def assert_same_notes(ours: list[Note], theirs: list[tuple[int, float, float, int]]) -> None:
    assert len(ours) == len(theirs)
    # The package rounds times to float32 (~0.1 ms at minutes); ours stay float64.
    for note, (pitch, onset, offset, velocity) in zip(ours, theirs):
        assert (note.pitch, note.velocity) == (pitch, velocity)
        assert note.onset == pytest.approx(onset, abs=1e-4)
        assert note.offset == pytest.approx(offset, abs=1e-4)


def synthetic_outputs(frames: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Frame outputs shaped like a trained model's: onset and offset peaks, held frames, some very long notes."""
    out = {key: np.zeros((frames, KEYS), np.float32) for key in bd._OUTPUT_KEYS}
    ramp = np.array([0.2, 0.45, 0.7, 0.9, 0.7, 0.45, 0.2], np.float32)
    for _ in range(frames // 4):
        key = int(rng.integers(KEYS))
        start = int(rng.integers(5, frames - 10))
        length = int(rng.choice([rng.integers(3, 80), rng.integers(550, 900)], p=[0.9, 0.1]))
        stop = min(start + length, frames - 5)
        jitter = rng.uniform(-0.15, 0.15, 2).astype(np.float32)  # skews the peaks: non-zero shifts
        onset = ramp.copy()
        onset[2] += jitter[0]
        around_start = out["reg_onset_output"][start - 3 : start + 4, key]
        np.maximum(around_start, onset, out=around_start)
        held = out["frame_output"][start:stop, key]
        np.maximum(held, rng.uniform(0.3, 1.0), out=held)
        out["velocity_output"][start, key] = rng.uniform(0.05, 1.0)
        if rng.random() < 0.7 and stop + 4 < frames:
            offset = ramp.copy()
            offset[4] += jitter[1]
            around_stop = out["reg_offset_output"][stop - 3 : stop + 4, key]
            np.maximum(around_stop, offset, out=around_stop)
    # Low noise everywhere: realistic, and it breaks ties that would make flat tops.
    for key in bd._OUTPUT_KEYS:
        out[key] += rng.uniform(0, 0.02, out[key].shape).astype(np.float32)
    return out


def decode_in_pieces(frames: dict[str, np.ndarray], *, block_frames: int, piece: int) -> list[Note]:
    decoder = bd.StreamingNoteDecoder(block_frames=block_frames)
    total = frames["frame_output"].shape[0]
    for start in range(0, total, piece):
        decoder.push({key: value[start : start + piece] for key, value in frames.items()})
    return decoder.finish()


def test_block_decoding_gives_the_package_notes_of_a_whole_pass() -> None:
    frames = synthetic_outputs(2600, np.random.default_rng(7))
    theirs = package_events(frames)
    assert len(theirs) > 300
    assert max(offset - onset for _, onset, offset, _ in theirs) >= 5.99  # notes cut at 600 frames are in

    # Blocks much shorter than a long note, pieces that do not line up with them.
    assert_same_notes(decode_in_pieces(frames, block_frames=250, piece=137), theirs)
    assert_same_notes(decode_in_pieces(frames, block_frames=10_000, piece=2600), theirs)


def test_block_decoding_matches_the_package_on_noise() -> None:
    rng = np.random.default_rng(3)
    frames = {key: rng.uniform(0, 1, (1500, KEYS)).astype(np.float32) for key in bd._OUTPUT_KEYS}
    theirs = package_events(frames)
    assert len(theirs) > 1000
    assert_same_notes(decode_in_pieces(frames, block_frames=200, piece=333), theirs)


def test_peaks_match_the_package_and_a_flat_top_shifts_by_zero() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (400, 6)).astype(np.float32)
    # A flat top at frames 102..104: at 103 the package divides 0 by 0.
    x[96:111, 0] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.5, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05, 0.0]
    processor = RegressionPostProcessor(100, 6, 0.3, 0.3, 0.1, 0.2)
    for neighbour in (2, 4):
        with np.errstate(invalid="ignore", divide="ignore"):
            their_peaks, their_shifts = processor.get_binarized_output_from_regression(x, 0.3, neighbour)
        peaks, shifts = bd.binarize_peaks(x, threshold=0.3, neighbour=neighbour)
        np.testing.assert_array_equal(peaks, their_peaks)
        np.testing.assert_array_equal(shifts, np.nan_to_num(their_shifts, nan=0.0))
        assert peaks[103, 0] == 1 and np.isnan(their_shifts[103, 0]) and shifts[103, 0] == 0.0


def test_a_hand_written_note_becomes_one_note() -> None:
    frames = {key: np.zeros((300, KEYS), np.float32) for key in bd._OUTPUT_KEYS}
    key = 39  # MIDI 60
    frames["reg_onset_output"][97:104, key] = [0.1, 0.3, 0.6, 0.9, 0.6, 0.3, 0.1]  # symmetric: no shift
    frames["frame_output"][100:151, key] = 0.8
    frames["reg_offset_output"][145:156, key] = [0.1, 0.2, 0.3, 0.4, 0.6, 0.9, 0.6, 0.4, 0.3, 0.2, 0.1]
    frames["velocity_output"][100, key] = 0.5

    notes = decode_in_pieces(frames, block_frames=100, piece=50)

    assert notes == [Note(pitch=60, onset=1.0, offset=1.5, velocity=64)]


def test_silence_gives_no_notes(transcriber) -> None:
    assert transcriber.transcribe(np.zeros((0, 2), np.float32)) == []
    decoder = bd.StreamingNoteDecoder()
    assert decoder.finish() == []


# --- Accuracy with the real checkpoint --------------------------------------------------


@pytest.mark.slow
def test_transcribes_the_synthesized_phrase_accurately_with_the_real_checkpoint() -> None:
    if not bd.available(model_dir=settings.MODEL_DIR):
        pytest.skip(
            f"the real checkpoint {bd.CHECKPOINT.name} is not in {Path(settings.MODEL_DIR) / bd.FOLDER} "
            "(run `python manage.py fetch_models` where there is network)"
        )
    transcriber = bd.ByteDancePianoTranscriber.from_model_dir(model_dir=settings.MODEL_DIR, device="cpu")
    notes = transcriber.transcribe(render_notes(PIANO_PHRASE))
    f1 = onset_f1(PIANO_PHRASE, notes)
    print(f"ByteDance onset F1 on PIANO_PHRASE: {f1:.3f} ({len(notes)} notes, {len(PIANO_PHRASE)} played)")
    # Not yet calibrated on this machine (no checkpoint here); Transkun scores 0.98.
    assert f1 >= 0.8
