"""The demucs path end to end with a tiny untrained HTDemucs saved the way pretrained ones are.

The tiny model goes through everything the real htdemucs_6s does: our weights
catalogue and checksums, demucs's LocalRepo (bag .yaml, "<sig>-<sha prefix>.th"
package from demucs.states), apply_model's overlapping chunks, and MP3 stems.
Its output is noise; only wiring and shapes are asserted here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from demucs.htdemucs import HTDemucs
from demucs.states import get_state, save_with_checksum

from ml import audio, weights
from ml.errors import ModelUnavailableError
from ml.separation import SEPARATED_SAMPLE_RATE, Separator, separate, write_stems
from tests.synth import write_wav

TINY = "tiny_htdemucs_6s"
STEMS = ("drums", "bass", "other", "vocals", "guitar", "piano")
SAMPLE_RATE = 44100
TINY_SEGMENT_SECONDS = 1  # the tiny model's training segment: the longest chunk it takes
CHUNK_SECONDS = 0.5  # chunk length the tests ask for, so a 1.6 s input takes several chunks


def save_tiny_model(model_dir: Path) -> weights.ModelFiles:
    """Write a tiny HTDemucs into ``model_dir/demucs`` like a released one; returns its catalogue entry."""
    torch.manual_seed(0)
    # dconv_comp must leave channels // dconv_comp >= 1; one transformer layer keeps it fast.
    model = HTDemucs(
        sources=list(STEMS), channels=4, dconv_comp=4, depth=4, t_layers=1, t_heads=2,
        segment=TINY_SEGMENT_SECONDS, samplerate=SAMPLE_RATE,
    )
    args, kwargs = model._init_args_kwargs  # recorded by demucs.states.capture_init
    package = {"klass": HTDemucs, "args": args, "kwargs": kwargs, "state": get_state(model, None, half=True)}
    folder = model_dir / "demucs"
    folder.mkdir(parents=True, exist_ok=True)
    save_with_checksum(package, folder / "0a1b2c3d.th")  # writes 0a1b2c3d-<sha256[:8]>.th
    (folder / f"{TINY}.yaml").write_text("models: ['0a1b2c3d']\n")
    files = tuple(
        weights.WeightFile(
            name=path.name,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            size=path.stat().st_size,
            url=f"http://127.0.0.1:9/{path.name}",  # never used: the files are in place
        )
        for path in sorted(folder.iterdir())
    )
    return weights.ModelFiles(name=TINY, description="tiny test model", folder="demucs", files=files)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The tiny model's operations are too small to gain from threads, and on a busy
    machine torch's waiting worker threads made these tests ten times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    model_dir = tmp_path_factory.mktemp("models")
    spec = save_tiny_model(model_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(weights.CATALOGUE, TINY, spec)
        yield model_dir


@pytest.fixture(scope="module")
def separator(tiny_model_dir: Path) -> Separator:
    return Separator(model_dir=tiny_model_dir, model=TINY, device="cpu", download=False, segment=CHUNK_SECONDS)


def stereo_noise(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((int(seconds * SAMPLE_RATE), 2))).astype(np.float32)


def test_tiny_model_file_follows_the_demucs_name_convention(tiny_model_dir: Path) -> None:
    (checkpoint,) = (tiny_model_dir / "demucs").glob("*.th")
    signature, prefix = checkpoint.stem.split("-")
    assert signature == "0a1b2c3d"
    assert hashlib.sha256(checkpoint.read_bytes()).hexdigest().startswith(prefix)


def test_separates_in_overlapping_chunks_with_progress_up_to_one(separator: Separator) -> None:
    mix = stereo_noise(1.6)
    progress: list[float] = []

    stems = separator.separate(mix, progress=progress.append)

    assert tuple(stems) == separator.stems == STEMS
    for samples in stems.values():
        assert samples.shape == mix.shape and samples.dtype == np.float32
        assert np.isfinite(samples).all()
    # 0.5 s chunks with a quarter overlap step by 0.375 s: 5 chunks cover 1.6 s.
    assert progress == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_a_bag_of_one_model_is_applied_as_that_model_with_the_same_samples(separator: Separator,
                                                                          monkeypatch) -> None:
    # htdemucs_6s is such a bag; applying its one model skips demucs's second full-length buffer.
    mix = stereo_noise(1.6)
    direct = separator.separate(mix)
    monkeypatch.setattr(separator, "_applied_model", lambda: separator._model)  # the whole bag, as demucs does
    through_bag = separator.separate(mix)
    for name in STEMS:
        np.testing.assert_array_equal(direct[name], through_bag[name])


def test_the_pipeline_entry_point_separates_and_checks_the_rate(tiny_model_dir: Path) -> None:
    mix = stereo_noise(0.8)
    stems = separate(mix, sample_rate=SEPARATED_SAMPLE_RATE, model_dir=tiny_model_dir, model=TINY, device="cpu")
    assert tuple(stems) == STEMS and stems["piano"].shape == mix.shape
    with pytest.raises(ValueError, match="22050 Hz"):
        separate(mix, sample_rate=22050, model_dir=tiny_model_dir, model=TINY, device="cpu")


def test_without_a_model_folder_the_pipeline_entry_point_says_so() -> None:
    with pytest.raises(ModelUnavailableError, match="MODEL_DIR"):
        separate(stereo_noise(0.1), sample_rate=SEPARATED_SAMPLE_RATE, model_dir=None)


def test_mono_input_is_played_on_both_channels(separator: Separator) -> None:
    mono = stereo_noise(0.8)[:, 0]
    stems = separator.separate(mono)
    assert stems["vocals"].shape == (mono.size, 2)


def test_an_exception_from_progress_aborts_the_separation(separator: Separator) -> None:
    class Cancelled(Exception):
        pass

    def cancel_after_first_chunk(fraction: float) -> None:
        if fraction > 0:
            raise Cancelled

    with pytest.raises(Cancelled):
        separator.separate(stereo_noise(1.6), progress=cancel_after_first_chunk)


def test_a_file_becomes_stems_a_browser_can_play(separator: Separator, tmp_path: Path) -> None:
    source = tmp_path / "mix.wav"
    write_wav(source, stereo_noise(1.2), SAMPLE_RATE)

    stems = separator.separate(source)
    paths = write_stems(stems, tmp_path / "stems", sample_rate=separator.sample_rate)

    assert set(paths) == set(STEMS)
    for name, path in paths.items():
        assert path == tmp_path / "stems" / f"{name}.mp3"
        info = audio.probe(path)
        assert (info.sample_rate, info.channels) == (SAMPLE_RATE, 2)
        assert info.duration == pytest.approx(1.2, abs=0.06)  # MP3 frames are 26 ms


def test_the_model_is_loaded_once_per_process_and_device(separator: Separator, tiny_model_dir: Path) -> None:
    again = Separator(model_dir=tiny_model_dir, model=TINY, device=torch.device("cpu"), download=False)
    assert again._model is separator._model
    assert next(again._model.parameters()).device.type == "cpu"


def test_a_chunk_longer_than_the_model_takes_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="segment"):
        Separator(model_dir=tiny_model_dir, model=TINY, device="cpu", download=False, segment=2 * TINY_SEGMENT_SECONDS)


def test_missing_weights_name_the_file_the_folder_and_fetch_models(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        Separator(model_dir=tmp_path, device="cpu", download=False)
    message = str(caught.value)
    assert "5c90dfd2-34c22ccb.th" in message
    assert str(tmp_path / "demucs") in message
    assert "python manage.py fetch_models" in message


def test_weights_that_fail_their_checksum_are_refused(tmp_path: Path, monkeypatch) -> None:
    spec = save_tiny_model(tmp_path)
    monkeypatch.setitem(weights.CATALOGUE, TINY, spec)
    (checkpoint,) = (tmp_path / "demucs").glob("*.th")
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))

    with pytest.raises(ModelUnavailableError, match=f"{checkpoint.name} is damaged or the wrong version"):
        Separator(model_dir=tmp_path, model=TINY, device="cpu", download=False)
