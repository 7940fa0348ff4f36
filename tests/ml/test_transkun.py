"""Transkun 2.0 with its real weights: loading, verification, and accuracy on known audio."""
from __future__ import annotations

import importlib.resources
import shutil
import sys
import types
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from ml import constants as C
from ml import registry
from ml.errors import ModelUnavailableError
from ml.models import transkun
from ml.notes import Note
from bench.metrics import onset_f1
from tests.synth import PIANO_PHRASE

SPEC = registry.MODELS[registry.TRANSKUN]
WEIGHTS = Path(str(importlib.resources.files(SPEC.package) / SPEC.weights))
CONFIG = Path(str(importlib.resources.files(SPEC.package) / SPEC.config))


@pytest.fixture(scope="module")
def checkpoint_freq2mels() -> torch.Tensor:
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)["state_dict"]
    return state["framewiseFeatureExtractor.freq2mels"]


def test_numpy_mel_filterbank_matches_the_checkpoint(checkpoint_freq2mels: torch.Tensor) -> None:
    ours = transkun.mel_filterbank(
        n_freqs=C.TRANSKUN_N_FREQS,
        f_min=C.TRANSKUN_F_MIN,
        f_max=C.TRANSKUN_F_MAX,
        n_mels=C.TRANSKUN_N_MELS,
        sample_rate=C.TRANSKUN_SAMPLE_RATE,
    )
    assert ours.shape == tuple(checkpoint_freq2mels.shape) == (C.TRANSKUN_N_FREQS, C.TRANSKUN_N_MELS)
    # Weights are in 0..1; the checkpoint was made with torchaudio's float32 arithmetic.
    np.testing.assert_allclose(ours, checkpoint_freq2mels.numpy(), atol=1e-4)


def test_build_uses_checkpoint_filterbank_and_leaves_torchaudio_alone(
    checkpoint_freq2mels: torch.Tensor, monkeypatch
) -> None:
    # Stands for a real torchaudio on a machine that has one: it must survive untouched.
    installed = types.ModuleType("torchaudio")
    monkeypatch.setitem(sys.modules, "torchaudio", installed)

    model = transkun.build(weights=WEIGHTS, config=CONFIG)

    assert sys.modules["torchaudio"] is installed
    assert not model.training
    assert torch.equal(model.framewiseFeatureExtractor.freq2mels, checkpoint_freq2mels)


def test_torchaudio_standin_exists_only_while_the_model_is_built(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "torchaudio", raising=False)
    with transkun._torchaudio_standin():
        import torchaudio

        fbanks = torchaudio.functional.melscale_fbanks(n_freqs=5, f_min=0.0, f_max=100.0, n_mels=2, sample_rate=200)
    assert isinstance(fbanks, torch.Tensor) and fbanks.shape == (5, 2)
    assert "torchaudio" not in sys.modules


def test_model_is_loaded_once_per_process_and_device() -> None:
    first = registry.get_model(registry.TRANSKUN, device="cpu")
    assert registry.get_model(registry.TRANSKUN, device=torch.device("cpu")) is first
    assert next(first.parameters()).device.type == "cpu"


def test_default_device_is_cuda_when_present(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert registry.default_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert registry.default_device() == torch.device("cpu")


def test_every_model_cache_spells_the_default_gpu_one_way(monkeypatch) -> None:
    # Transkun, demucs and the ByteDance model all key their caches on this.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert registry.canonical_device(None) == torch.device("cuda", 0)
    assert registry.canonical_device("cuda") == registry.canonical_device("cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert registry.canonical_device(None) == torch.device("cpu")


@pytest.mark.parametrize("asked", ["cuda", "cuda:1", "gpu", "cpu0"])
def test_a_device_this_machine_cannot_use_is_refused_by_name(monkeypatch, asked) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelUnavailableError, match=f"“{asked}”.*ML_DEVICE"):
        registry.canonical_device(asked)
    assert registry.canonical_device("cpu") == torch.device("cpu")


@pytest.fixture
def copied_package(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """An importable copy of transkun.pretrained, so a test can damage its files."""
    # A name per test: Python caches imported packages by name.
    package = tmp_path / f"copied_pretrained_{tmp_path.name}"
    package.mkdir()
    (package / "__init__.py").touch()
    shutil.copy(WEIGHTS, package / SPEC.weights)
    shutil.copy(CONFIG, package / SPEC.config)
    monkeypatch.syspath_prepend(str(tmp_path))
    # Models loaded from the copy are forgotten after the test.
    monkeypatch.setattr(registry, "_cache", dict(registry._cache))
    yield package
    sys.modules.pop(package.name, None)


def test_damaged_weights_are_refused_by_name(copied_package: Path, monkeypatch) -> None:
    with (copied_package / SPEC.weights).open("r+b") as weights:
        weights.seek(1000)
        weights.write(b"\xff\x00\xff\x00")
    monkeypatch.setitem(registry.MODELS, "damaged", replace(SPEC, name="damaged", package=copied_package.name))

    with pytest.raises(ModelUnavailableError, match=r"2\.0\.pt is damaged"):
        registry.get_model("damaged", device="cpu")


def test_intact_copy_loads(copied_package: Path, monkeypatch) -> None:
    # The control for the test above: the copy itself is fine until damaged.
    monkeypatch.setitem(registry.MODELS, "copy", replace(SPEC, name="copy", package=copied_package.name))
    assert registry.get_model("copy", device="cpu") is not registry.get_model(registry.TRANSKUN, device="cpu")


def test_missing_weights_are_reported_by_name(copied_package: Path, monkeypatch) -> None:
    (copied_package / SPEC.config).unlink()
    monkeypatch.setitem(registry.MODELS, "incomplete", replace(SPEC, name="incomplete", package=copied_package.name))

    with pytest.raises(ModelUnavailableError, match=r"2\.0\.conf is missing"):
        registry.get_model("incomplete", device="cpu")


def test_missing_package_is_model_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(registry.MODELS, "absent", replace(SPEC, name="absent", package="no_such_package_here"))
    with pytest.raises(ModelUnavailableError):
        registry.get_model("absent", device="cpu")


def test_events_become_valid_piano_notes() -> None:
    def event(pitch: int, start: float, end: float, velocity: int) -> types.SimpleNamespace:
        return types.SimpleNamespace(pitch=pitch, start=start, end=end, velocity=velocity)

    notes = transkun.notes_from_events(
        [
            event(64, 1.0, 2.0, 70),
            event(-64, 0.0, 3.0, 127),  # sustain pedal
            event(60, 0.5, 0.5 + 1e-8, 0),  # zero length, velocity 0
            event(21, -0.01, 0.2, 200),
        ]
    )
    assert notes == [
        Note(pitch=21, onset=0.0, offset=0.2, velocity=127),
        Note(pitch=60, onset=0.5, offset=0.5 + C.MIN_NOTE_SECONDS, velocity=1),
        Note(pitch=64, onset=1.0, offset=2.0, velocity=70),
    ]


def test_segment_count_follows_the_model_arithmetic() -> None:
    model = registry.get_model(registry.TRANSKUN, device="cpu")
    # 8 s of padding each side, steps of 8 s rounded up to whole 1024-sample frames.
    step = 345 * 1024
    assert transkun.segment_count(model, 0) == -(-(2 * 8 * 44100) // step)
    assert transkun.segment_count(model, 60 * 44100) == -(-(76 * 44100) // step)


@pytest.mark.slow
def test_transcribes_the_synthesized_phrase_accurately(phrase_run) -> None:
    (track,) = phrase_run.transcription.tracks
    f1 = onset_f1(PIANO_PHRASE, track.notes)
    print(f"Transkun onset F1 on PIANO_PHRASE: {f1:.3f} ({len(track.notes)} notes, {len(PIANO_PHRASE)} played)")
    assert f1 >= 0.9


@pytest.mark.slow
def test_progress_is_reported_once_per_segment(phrase_run, phrase_audio: np.ndarray) -> None:
    model = registry.get_model(registry.TRANSKUN, device="cpu")
    segments = [f for stage, f in phrase_run.progress if stage == "Transcribing piano"][1:]  # [0] opens the stage
    assert len(segments) == transkun.segment_count(model, phrase_audio.size) >= 3
    assert all(a < b for a, b in zip(segments, segments[1:]))
    # The per-segment wrapper is gone again: the class method is back in charge.
    assert "transcribeFrames" not in vars(model)


@pytest.mark.slow
def test_a_failing_progress_callback_stops_transcription_and_restores_the_model() -> None:
    model = registry.get_model(registry.TRANSKUN, device="cpu")
    calls: list[tuple[int, int]] = []

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        calls.append((done, total))
        raise Cancelled

    with pytest.raises(Cancelled):
        transkun.TranskunTranscriber(model).transcribe(np.zeros(C.TRANSKUN_SAMPLE_RATE, np.float32), progress=cancel)
    assert calls == [(1, transkun.segment_count(model, C.TRANSKUN_SAMPLE_RATE))]
    assert "transcribeFrames" not in vars(model)


@pytest.fixture(scope="module")
def short_stereo_phrase() -> np.ndarray:
    """The first 4 s of PIANO_PHRASE, channels unequal: 3 segments, so a batch of 2 crosses a batch edge."""
    from tests.synth import render_notes

    mono = render_notes([n for n in PIANO_PHRASE if n.offset <= 4.0], sample_rate=C.TRANSKUN_SAMPLE_RATE)
    mono = mono[: 4 * C.TRANSKUN_SAMPLE_RATE]
    return np.stack([mono, 0.6 * mono], axis=1)


@pytest.fixture(scope="module")
def unbatched_notes(short_stereo_phrase: np.ndarray) -> list[Note]:
    model = registry.get_model(registry.TRANSKUN, device="cpu")
    transcriber = transkun.TranskunTranscriber(model, batch_segments=1)
    notes = transcriber.transcribe(short_stereo_phrase)
    assert transcriber.last_network_passes == transkun.segment_count(model, short_stereo_phrase.shape[0]) == 3
    assert len(notes) >= 20
    return notes


def assert_same_notes(actual: list[Note], expected: list[Note]) -> None:
    # Batched matrix products round differently in the last bits; the decoded notes must not move.
    assert [(n.pitch, n.velocity) for n in actual] == [(n.pitch, n.velocity) for n in expected]
    np.testing.assert_allclose([n.onset for n in actual], [n.onset for n in expected], atol=1e-4)
    np.testing.assert_allclose([n.offset for n in actual], [n.offset for n in expected], atol=1e-4)


@pytest.mark.slow
def test_segments_run_in_batches_give_the_same_notes(
    short_stereo_phrase: np.ndarray, unbatched_notes: list[Note]
) -> None:
    model = registry.get_model(registry.TRANSKUN, device="cpu")
    transcriber = transkun.TranskunTranscriber(model, batch_segments=2)
    progress: list[tuple[int, int]] = []

    notes = transcriber.transcribe(short_stereo_phrase, progress=lambda done, total: progress.append((done, total)))

    assert transcriber.last_network_passes == 2  # segments 1-2 together, then 3
    assert_same_notes(notes, unbatched_notes)
    assert progress == [(1, 3), (2, 3), (3, 3)]  # still one step per decoded segment
    assert "processFramesBatch" not in vars(model) and "transcribeFrames" not in vars(model)


@pytest.mark.slow
def test_segments_cut_differently_from_transkun_fall_back_to_its_own(
    short_stereo_phrase: np.ndarray, unbatched_notes: list[Note], monkeypatch
) -> None:
    """If a transkun release segmented differently, its own frames win: same notes, just unbatched."""
    original_init = transkun._BatchedNetworkPass.__init__
    passes: list[transkun._BatchedNetworkPass] = []

    def misaligned_init(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self._step += C.TRANSKUN_HOP_SIZE  # our copy of the arithmetic is now wrong
        passes.append(self)

    monkeypatch.setattr(transkun._BatchedNetworkPass, "__init__", misaligned_init)
    model = registry.get_model(registry.TRANSKUN, device="cpu")

    notes = transkun.TranskunTranscriber(model, batch_segments=3).transcribe(short_stereo_phrase)

    # The first segment starts at 0 either way and the third holds only padding
    # here, so both match; the second one's frames differ and it runs on its own.
    assert passes[0].unbatched_calls == 1
    assert_same_notes(notes, unbatched_notes)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_segments"):
        transkun.TranskunTranscriber(registry.get_model(registry.TRANSKUN, device="cpu"), batch_segments=0)


def test_gpus_batch_more_segments_than_cpus() -> None:
    assert transkun.default_batch_segments(torch.device("cuda", 0)) > transkun.default_batch_segments(
        torch.device("cpu")
    ) == 1
