"""ml.weights: pinned model files in MODEL_DIR, fetched from a package or over HTTP, never half-written."""
from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import demucs
import pytest

from ml import weights
from ml.errors import ModelUnavailableError

DEMUCS_REMOTE = Path(demucs.__file__).parent / "remote"


class FileServer:
    """Serves ``files`` (URL path -> bytes) over HTTP on 127.0.0.1; records the paths asked for."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requested: list[str] = []
        files, requested = self.files, self.requested

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                requested.append(self.path)
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except ConnectionError:
                    pass  # the client stopped reading: what a refused oversized download does

            def log_message(self, *args: object) -> None:
                pass  # keep test output clean

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


def served_model(server: FileServer, contents: dict[str, bytes], *, name: str = "test-model") -> weights.ModelFiles:
    """A catalogue entry whose files the local server holds, pinned to ``contents``."""
    files = []
    for file_name, body in contents.items():
        server.files[f"/models/{file_name}"] = body
        files.append(
            weights.WeightFile(
                name=file_name,
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                url=f"{server.base_url}/models/{file_name}",
            )
        )
    return weights.ModelFiles(name=name, description="a test model", folder="test", files=tuple(files))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_pinned_htdemucs_6s_files_are_the_ones_demucs_lists() -> None:
    """Our catalogue against demucs's own listing: bag, signature, URL, and the name's hash prefix."""
    spec = weights.CATALOGUE[weights.HTDEMUCS_6S]
    bag, checkpoint = spec.files
    assert (DEMUCS_REMOTE / "htdemucs_6s.yaml").read_text() == "models: ['5c90dfd2']\n"
    assert bag.name == "htdemucs_6s.yaml" and bag.package == "demucs.remote"

    root, listed = "", {}
    for line in (DEMUCS_REMOTE / "files.txt").read_text().splitlines():
        line = line.strip()
        if line.startswith("root:"):
            root = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            listed[line.split("-", 1)[0]] = root + line
    assert checkpoint.url == "https://dl.fbaipublicfiles.com/demucs/" + listed["5c90dfd2"]
    assert checkpoint.name == Path(listed["5c90dfd2"]).name
    # demucs names a checkpoint "<signature>-<first 8 hex digits of its sha256>".
    assert checkpoint.sha256.startswith(checkpoint.name.removesuffix(".th").split("-")[1])


def test_a_file_shipped_in_a_package_is_installed_without_network(tmp_path: Path) -> None:
    bag = weights.CATALOGUE[weights.HTDEMUCS_6S].files[0]
    path = weights.fetch(bag, folder=tmp_path / "demucs")
    assert path.read_bytes() == (DEMUCS_REMOTE / "htdemucs_6s.yaml").read_bytes()


def test_check_tells_present_missing_and_damaged_apart(tmp_path: Path, file_server: FileServer, monkeypatch) -> None:
    spec = served_model(file_server, {"a.bin": b"alpha" * 100, "b.bin": b"beta" * 100, "c.bin": b"gamma"})
    monkeypatch.setitem(weights.CATALOGUE, spec.name, spec)
    folder = weights.model_folder(spec.name, model_dir=tmp_path)
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"alpha" * 100)
    (folder / "b.bin").write_bytes(b"beta" * 99 + b"bet!")  # same size, other bytes

    states = {item.file.name: item.state for item in weights.check(spec.name, model_dir=tmp_path)}

    assert states == {"a.bin": weights.FileState.PRESENT, "b.bin": weights.FileState.DAMAGED, "c.bin": weights.FileState.MISSING}


def test_download_is_verified_and_moved_into_place(tmp_path: Path, file_server: FileServer) -> None:
    body = bytes(range(256)) * 5000  # ~1.3 MB: several read chunks
    (file,) = served_model(file_server, {"weights.th": body}).files

    path = weights.fetch(file, folder=tmp_path / "test")

    assert path == tmp_path / "test" / "weights.th"
    assert path.read_bytes() == body
    assert files_in(tmp_path / "test") == ["weights.th"]


@pytest.mark.parametrize(
    "served",
    [
        pytest.param(b"x" * 1000, id="same size, other bytes"),
        pytest.param(b"x" * 10, id="truncated"),
        pytest.param(b"x" * 5_000_000, id="far too long"),
    ],
)
def test_a_download_that_is_not_the_pinned_file_is_refused_and_leaves_nothing(
    tmp_path: Path, file_server: FileServer, served: bytes
) -> None:
    (file,) = served_model(file_server, {"weights.th": b"y" * 1000}).files
    file_server.files["/models/weights.th"] = served

    with pytest.raises(ModelUnavailableError, match="weights.th .*damaged or a different version"):
        weights.fetch(file, folder=tmp_path / "test")
    assert files_in(tmp_path / "test") == []


def test_a_refused_download_keeps_the_file_already_there(tmp_path: Path, file_server: FileServer) -> None:
    (file,) = served_model(file_server, {"weights.th": b"y" * 1000}).files
    file_server.files["/models/weights.th"] = b"z" * 1000
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "weights.th").write_bytes(b"old")

    with pytest.raises(ModelUnavailableError):
        weights.fetch(file, folder=tmp_path / "test")
    assert (tmp_path / "test" / "weights.th").read_bytes() == b"old"
    assert files_in(tmp_path / "test") == ["weights.th"]


def test_ensure_without_download_names_file_folder_and_command(tmp_path: Path, file_server: FileServer) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        weights.ensure(weights.HTDEMUCS_6S, model_dir=tmp_path, download=False)

    message = str(caught.value)
    assert "5c90dfd2-34c22ccb.th is missing from" in message
    assert str(tmp_path / "demucs") in message
    assert "python manage.py fetch_models" in message and "55 MB" in message
    assert file_server.requested == []
    # The bag definition needs no network, so it is already in place for next time.
    assert files_in(tmp_path / "demucs") == ["htdemucs_6s.yaml"]


def test_ensure_downloads_what_is_missing_and_reuses_what_is_there(
    tmp_path: Path, file_server: FileServer, monkeypatch
) -> None:
    spec = served_model(file_server, {"bag.yaml": b"models: ['x']\n", "x-1234.th": b"w" * 4096})
    monkeypatch.setitem(weights.CATALOGUE, spec.name, spec)

    folder = weights.ensure(spec.name, model_dir=tmp_path, download=True)
    assert files_in(folder) == ["bag.yaml", "x-1234.th"]
    weights.ensure(spec.name, model_dir=tmp_path, download=True)
    assert sorted(file_server.requested) == ["/models/bag.yaml", "/models/x-1234.th"]  # once each


def test_ensure_offline_says_the_download_failed_and_what_to_run(tmp_path: Path, monkeypatch) -> None:
    real = weights.CATALOGUE[weights.HTDEMUCS_6S]
    bag, checkpoint = real.files
    # Port 9 (discard) on the loopback: connection refused at once, as on a machine without network.
    unreachable = weights.ModelFiles(
        name=real.name,
        description=real.description,
        folder=real.folder,
        files=(bag, weights.WeightFile(name=checkpoint.name, sha256=checkpoint.sha256, size=checkpoint.size, url="http://127.0.0.1:9/x.th")),
    )
    monkeypatch.setitem(weights.CATALOGUE, real.name, unreachable)

    with pytest.raises(ModelUnavailableError) as caught:
        weights.ensure(real.name, model_dir=tmp_path, download=True)

    message = str(caught.value)
    assert f"5c90dfd2-34c22ccb.th is missing from {tmp_path / 'demucs'}" in message
    assert "Downloading from http://127.0.0.1:9/x.th failed" in message
    assert "python manage.py fetch_models" in message
    assert files_in(tmp_path / "demucs") == ["htdemucs_6s.yaml"]


def test_a_file_without_a_published_size_is_pinned_by_its_sha256_alone(
    tmp_path: Path, file_server: FileServer, monkeypatch
) -> None:
    (sized,) = served_model(file_server, {"weights.ckpt": b"w" * 1000}).files
    file = weights.WeightFile(name=sized.name, sha256=sized.sha256, size=None, url=sized.url)
    monkeypatch.setattr(weights, "_UNSIZED_LIMIT_BYTES", 4000)

    assert weights.fetch(file, folder=tmp_path / "ok").read_bytes() == b"w" * 1000

    for served in (b"w" * 999, b"w" * 5000):  # truncated; longer than any file of unknown size may be
        file_server.files["/models/weights.ckpt"] = served
        with pytest.raises(ModelUnavailableError, match="damaged or a different version"):
            weights.fetch(file, folder=tmp_path / "bad")
        assert files_in(tmp_path / "bad") == []
    (tmp_path / "bad" / "weights.ckpt").write_bytes(b"w" * 999)
    spec = weights.ModelFiles(name="unsized", description="", folder="bad", files=(file,))
    monkeypatch.setitem(weights.CATALOGUE, "unsized", spec)
    assert [item.state for item in weights.check("unsized", model_dir=tmp_path)] == [weights.FileState.DAMAGED]
    with pytest.raises(ModelUnavailableError, match=r"Run `python manage.py fetch_models` to download it, or"):
        weights.ensure("unsized", model_dir=tmp_path, download=False)
