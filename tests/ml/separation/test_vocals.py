"""Vocals first: a tiny untrained BS-RoFormer saved the way released checkpoints are.

The tiny model goes through what the real one does: our weights catalogue and
checksums, BSRoformer built from its architecture and loaded strictly,
demucs's chunked apply, the split into vocals + instrumental, and the pipeline
running demucs on the instrumental. Its output is noise: wiring, shapes and
sums are asserted, not quality.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from bs_roformer import BSRoformer

from ml import pipeline, weights
from ml.errors import ModelUnavailableError
from ml.separation import vocals
from tests.ml.separation.test_demucs import TINY as TINY_DEMUCS
from tests.ml.separation.test_demucs import save_tiny_model as save_tiny_demucs
from tests.synth import write_wav

TINY = "tiny_bs_roformer"
SAMPLE_RATE = 44100
# Small STFT and bands (they must add up to n_fft // 2 + 1 bins) keep it to a few thousand weights.
TINY_ARCHITECTURE = {
    "dim": 8, "depth": 1, "stereo": True, "num_stems": 1, "time_transformer_depth": 1, "freq_transformer_depth": 1,
    "freqs_per_bands": (64, 65), "dim_head": 4, "heads": 2, "flash_attn": True,  # as the real one
    "stft_n_fft": 256, "stft_hop_length": 64, "stft_win_length": 256, "mask_estimator_depth": 1,
}
CHUNK_SECONDS = 0.5  # so a 1.6 s input takes several overlapping chunks


def save_tiny_roformer(model_dir: Path, *, wrapped: bool = False, architecture: dict | None = None) -> weights.ModelFiles:
    """Write a tiny BSRoformer's state dict into ``model_dir/bs_roformer``; returns its catalogue entry."""
    torch.manual_seed(0)
    model = BSRoformer(**(architecture or TINY_ARCHITECTURE))
    folder = model_dir / "bs_roformer"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.ckpt"
    torch.save({"state_dict": model.state_dict()} if wrapped else model.state_dict(), path)
    file = weights.WeightFile(
        name=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), size=None,
        url="http://127.0.0.1:9/tiny.ckpt",  # never used: the file is in place
    )
    return weights.ModelFiles(name=TINY, description="tiny test model", folder="bs_roformer", files=(file,))


@pytest.fixture(autouse=True)
def tiny_model_known(monkeypatch) -> None:
    monkeypatch.setitem(vocals.ARCHITECTURES, TINY, TINY_ARCHITECTURE)
    monkeypatch.setitem(vocals.CHUNK_SECONDS, TINY, CHUNK_SECONDS)
    # Models loaded from a test's folder are forgotten after it.
    monkeypatch.setattr(vocals, "_cache", {})


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_roformer(tmp_path))
    return tmp_path


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def stereo_noise(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((int(seconds * SAMPLE_RATE), 2))).astype(np.float32)


def test_vocals_and_instrumental_add_up_to_the_recording(model_dir: Path) -> None:
    splitter = vocals.VocalSplitter(model_dir=model_dir, model=TINY, device="cpu")
    mix = stereo_noise(1.6)
    progress: list[float] = []

    voice, instrumental = splitter.split(mix, progress=progress.append)

    assert voice.shape == instrumental.shape == mix.shape
    assert voice.dtype == instrumental.dtype == np.float32
    assert np.abs(voice).max() > 0  # the model's output, not silence
    np.testing.assert_allclose(voice + instrumental, mix, atol=1e-6)
    # 0.5 s chunks with a quarter overlap step by 0.375 s: 5 chunks cover 1.6 s.
    assert progress == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_mono_input_is_split_on_both_channels(model_dir: Path) -> None:
    splitter = vocals.VocalSplitter(model_dir=model_dir, model=TINY, device="cpu")
    voice, instrumental = splitter.split(stereo_noise(0.7)[:, 0])
    assert voice.shape == instrumental.shape == (int(0.7 * SAMPLE_RATE), 2)


def test_a_checkpoint_wrapped_in_a_state_dict_key_loads_the_same(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_roformer(tmp_path / "bare"))
    bare, _ = vocals.VocalSplitter(model_dir=tmp_path / "bare", model=TINY, device="cpu").split(stereo_noise(0.6))
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_roformer(tmp_path / "wrapped", wrapped=True))
    wrapped, _ = vocals.VocalSplitter(model_dir=tmp_path / "wrapped", model=TINY, device="cpu").split(stereo_noise(0.6))
    np.testing.assert_array_equal(bare, wrapped)


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path: Path, monkeypatch) -> None:
    other = dict(TINY_ARCHITECTURE, dim=16)
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_roformer(tmp_path, architecture=other))
    with pytest.raises(ModelUnavailableError, match="vocals model tiny_bs_roformer .* could not be loaded"):
        vocals.VocalSplitter(model_dir=tmp_path, model=TINY, device="cpu")


def test_a_damaged_checkpoint_is_refused_by_name(model_dir: Path) -> None:
    checkpoint = model_dir / "bs_roformer" / "tiny.ckpt"
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match="tiny.ckpt is damaged or the wrong version"):
        vocals.VocalSplitter(model_dir=model_dir, model=TINY, device="cpu")


def test_the_real_checkpoint_is_catalogued_with_its_source_and_checksum(tmp_path: Path) -> None:
    (file,) = weights.CATALOGUE[weights.BS_ROFORMER_VOCALS].files
    assert file.url.startswith("https://") and file.name in file.url
    assert len(file.sha256) == 64
    assert weights.BS_ROFORMER_VOCALS in vocals.ARCHITECTURES
    assert not vocals.files_in_place(model_dir=tmp_path)
    assert not vocals.files_in_place(model_dir=None)


@pytest.fixture
def band_model_dir(model_dir: Path, monkeypatch) -> Path:
    """The tiny vocals model and a tiny htdemucs_6s in one MODEL_DIR."""
    monkeypatch.setitem(weights.CATALOGUE, TINY_DEMUCS, save_tiny_demucs(model_dir))
    return model_dir


def run_pipeline(path: Path, options: pipeline.PipelineOptions, stems_dir: Path) -> tuple[pipeline.PipelineResult, list[str]]:
    stages: list[str] = []
    result = pipeline.transcribe_recording(
        path, options=options, stems_dir=stems_dir,
        progress=lambda stage, _f: stages.append(stage) if stage not in stages else None,
    )
    return result, stages


def test_the_pipeline_splits_vocals_first_then_separates_the_rest(band_model_dir: Path, tmp_path: Path) -> None:
    wav = tmp_path / "band.wav"
    write_wav(wav, stereo_noise(1.2), SAMPLE_RATE)
    options = pipeline.PipelineOptions(
        instruments=("vocals",), separate=True, device="cpu", model_dir=band_model_dir,
        separation_model=TINY_DEMUCS, vocals_model=TINY, download_weights=False,
    )

    result, stages = run_pipeline(wav, options, tmp_path / "stems")

    assert stages == [
        pipeline.STAGE_READING, pipeline.STAGE_SPLITTING_VOCALS, pipeline.STAGE_SEPARATING,
        pipeline.transcribing_stage("vocals"), pipeline.STAGE_SAVING_STEMS, pipeline.STAGE_DONE,
    ]
    assert set(result.stems) == {"drums", "bass", "other", "vocals", "guitar", "piano"}
    assert [track.instrument for track in result.transcription.tracks] == ["vocals"]


def test_without_the_vocals_model_demucs_separates_alone(band_model_dir: Path, tmp_path: Path) -> None:
    wav = tmp_path / "band.wav"
    write_wav(wav, stereo_noise(1.2), SAMPLE_RATE)
    options = pipeline.PipelineOptions(
        instruments=("bass",), separate=True, device="cpu", model_dir=band_model_dir,
        separation_model=TINY_DEMUCS, download_weights=False,  # the default vocals model, not in the folder
    )

    _, stages = run_pipeline(wav, options, tmp_path / "stems")

    assert pipeline.STAGE_SPLITTING_VOCALS not in stages
    assert stages == [pipeline.STAGE_READING, pipeline.STAGE_SEPARATING, pipeline.transcribing_stage("bass"),
                      pipeline.STAGE_SAVING_STEMS, pipeline.STAGE_DONE]


def test_every_attention_kernel_is_allowed_so_float32_runs_on_any_gpu(model_dir: Path) -> None:
    # BS-RoFormer 0.4.1 allows only the (half-precision) flash kernel on an A100,
    # where our float32 split would fail; PyTorch must be free to pick.
    from bs_roformer.attend import Attend

    splitter = vocals.VocalSplitter(model_dir=model_dir, model=TINY, device="cpu")
    attention = [m for m in splitter._model.modules() if isinstance(m, Attend)]
    assert attention
    assert all(all(m.cuda_config) and all(m.cpu_config) for m in attention)
