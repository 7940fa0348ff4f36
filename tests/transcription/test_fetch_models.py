"""`manage.py fetch_models`: downloads into settings.MODEL_DIR, verified, from a local HTTP server here."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ml import weights
from tests.ml.test_weights import FileServer, file_server, files_in, served_model  # noqa: F401 (fixture)

WEIGHTS = b"\x00weights" * 2000
BAG = b"models: ['abc']\n"


@pytest.fixture
def model_dir(settings, tmp_path: Path) -> Path:
    settings.MODEL_DIR = tmp_path / "models"
    return settings.MODEL_DIR


@pytest.fixture
def served(file_server: FileServer, monkeypatch) -> weights.ModelFiles:  # noqa: F811 (the imported fixture)
    """The catalogue, widened for this test to one model whose files only the local server has."""
    spec = served_model(file_server, {"bag.yaml": BAG, "abc-1234.th": WEIGHTS})
    monkeypatch.setattr(weights, "CATALOGUE", {spec.name: spec})
    return spec


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("fetch_models", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_list_shows_missing_files_and_downloads_nothing(model_dir: Path, served, file_server) -> None:  # noqa: F811
    output = run("--list")
    assert str(model_dir.resolve()) in output
    assert "test/bag.yaml" in output and "test/abc-1234.th (0.0 MB): missing" in output
    assert file_server.requested == []
    assert not model_dir.exists()


def test_downloads_verifies_and_then_lists_the_files_present(model_dir: Path, served, file_server) -> None:  # noqa: F811
    output = run()
    assert output.count("verified and installed") == 2
    assert (model_dir / "test" / "abc-1234.th").read_bytes() == WEIGHTS
    assert files_in(model_dir / "test") == ["abc-1234.th", "bag.yaml"]

    listed = run("--list")
    assert "abc-1234.th (0.0 MB): present" in listed and "bag.yaml (0.0 MB): present" in listed
    run()  # nothing to do a second time
    assert len(file_server.requested) == 2


def test_a_corrupted_download_fails_the_command_and_leaves_nothing(model_dir: Path, served, file_server) -> None:  # noqa: F811
    file_server.files["/models/abc-1234.th"] = WEIGHTS[:-1] + b"!"

    with pytest.raises(CommandError, match="abc-1234.th"):
        run()

    # The intact file was installed; the corrupted one left neither a file nor a .part behind.
    assert files_in(model_dir / "test") == ["bag.yaml"]


def test_a_damaged_file_in_place_is_replaced(model_dir: Path, served) -> None:
    (model_dir / "test").mkdir(parents=True)
    (model_dir / "test" / "abc-1234.th").write_bytes(b"half a download")

    assert "abc-1234.th (0.0 MB): damaged, fetching" in run()
    assert (model_dir / "test" / "abc-1234.th").read_bytes() == WEIGHTS


def test_an_unknown_model_name_is_a_clear_error(model_dir: Path) -> None:
    with pytest.raises(CommandError, match="Unknown model kazoo; known: htdemucs_6s"):
        run("kazoo")


def test_the_real_catalogue_lists_htdemucs_6s(model_dir: Path) -> None:
    output = run("--list")
    assert "htdemucs_6s: Demucs 4 source separation" in output
    assert "demucs/5c90dfd2-34c22ccb.th (55.0 MB): missing" in output
