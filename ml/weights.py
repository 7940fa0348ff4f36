"""Model files kept on disk: a catalogue of pinned files per model, found in MODEL_DIR first.

``ml.registry`` covers weights that ship inside installed wheels. Models whose
weights are too big for a wheel live in a folder instead (the Django setting
``MODEL_DIR``, ``var/models`` by default), one sub-folder per model loader:
``MODEL_DIR/demucs/5c90dfd2-34c22ccb.th``. Every file is pinned by sha256 and
size, so a truncated download or a different release is refused, never loaded.

A missing file comes from its source: copied out of an installed package (no
network), or downloaded when the caller allows it. ``python manage.py
fetch_models`` does the downloads ahead of time; offline, a missing file is a
ModelUnavailableError that says which file, which folder and what to run.

No torch here: the management command lists and fetches files without it.
"""
from __future__ import annotations

import enum
import hashlib
import importlib.resources
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ml.errors import ModelUnavailableError

FETCH_COMMAND = "python manage.py fetch_models"

_CHUNK_BYTES = 1 << 20
# Seconds a download may stall (connect, or between two reads) before it fails;
# a slow but moving download is never cut off.
_DOWNLOAD_STALL_SECONDS = 60
# A file of unknown size is read up to this much before the download is refused.
_UNSIZED_LIMIT_BYTES = 4 << 30


@dataclass(frozen=True, slots=True)
class WeightFile:
    name: str  # file name inside the model's folder; demucs reads meaning into it
    sha256: str
    # Bytes, where the publisher states it or we measured it; None where only the
    # sha256 is known (it pins the file on its own; the size only lets a wrong
    # download stop early and a truncated copy be refused without hashing it).
    size: int | None
    # Exactly one source: a URL to download from, or an installed package that ships the file.
    url: str | None = None
    package: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.package is None):
            raise ValueError(f"{self.name}: give exactly one of url and package")

    @property
    def source(self) -> str:
        """Where the file comes from, in words for messages."""
        return self.url if self.url is not None else f"the installed package {self.package}"


@dataclass(frozen=True, slots=True)
class ModelFiles:
    name: str  # what the model's own loader calls it, e.g. "htdemucs_6s"
    description: str  # one line for `fetch_models --list`
    # Sub-folder of MODEL_DIR. One per loader: demucs treats every .th and .yaml
    # in its folder as part of its repository.
    folder: str
    files: tuple[WeightFile, ...]


HTDEMUCS_6S = "htdemucs_6s"
BYTEDANCE_PIANO = "bytedance_piano"
BS_ROFORMER_VOCALS = "bs_roformer_vocals"

CATALOGUE: dict[str, ModelFiles] = {
    HTDEMUCS_6S: ModelFiles(
        name=HTDEMUCS_6S,
        description="Demucs 4 source separation: drums, bass, other, vocals, guitar, piano",
        folder="demucs",
        files=(
            # The bag definition ("models: ['5c90dfd2']") ships with demucs 4.1.0 itself.
            WeightFile(
                name="htdemucs_6s.yaml",
                sha256="207405151270af8fd81c2373c25d27950916682ac91dca7884a11ce13dad6f58",
                size=21,
                package="demucs.remote",
            ),
            # demucs/remote/files.txt lists it under root "hybrid_transformer/". The name
            # is "<signature>-<first 8 hex digits of its sha256>"; demucs checks that prefix
            # on load, we check the whole digest (which starts with it) and the size.
            WeightFile(
                name="5c90dfd2-34c22ccb.th",
                sha256="34c22ccb381c6f9fdbf324f04e1e2fe21aaaf293f5ded163a162697ff9a02ddd",
                size=54_996_327,
                url="https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/5c90dfd2-34c22ccb.th",
            ),
        ),
    ),
    BYTEDANCE_PIANO: ModelFiles(
        name=BYTEDANCE_PIANO,
        description="ByteDance high-resolution piano transcription (Kong et al., CC BY 4.0), optional piano backend",
        folder="bytedance_piano",
        files=(
            # Zenodo record 4034264, the URL piano_transcription_inference 0.0.6 downloads
            # from (its inference.py). Zenodo publishes size and md5
            # (22b961b77c1878239fec963362097045); the sha256 is of that same file.
            WeightFile(
                name="CRNN_note_F1=0.9677_pedal_F1=0.9186.pth",
                sha256="c3fa9730725bf4a762f1c14bc80cd5986eacda01b026f5a4a2525cd607876141",
                size=171_966_578,
                url="https://zenodo.org/record/4034264/files/CRNN_note_F1%3D0.9677_pedal_F1%3D0.9186.pth?download=1",
            ),
        ),
    ),
    BS_ROFORMER_VOCALS: ModelFiles(
        name=BS_ROFORMER_VOCALS,
        description="BS-RoFormer vocals/instrumental split (viperx, ep 317, SDR 12.97), run before demucs when present",
        folder="bs_roformer",
        files=(
            # The checkpoint UVR and audio-separator publish. Its architecture (ZFTurbo's
            # configs/viperx/model_bs_roformer_ep_317_sdr_12.9755.yaml) is written out in
            # ml.separation.vocals, so no config file is needed. The size and sha256 could
            # not be measured here (no network); they are the ones several unrelated public
            # projects record for this file, all alike (one of them hashed its own copy and
            # found it equal to a second public mirror's).
            WeightFile(
                name="model_bs_roformer_ep_317_sdr_12.9755.ckpt",
                sha256="5b84f37e8d444c8cb30c79d77f613a41c05868ff9c9ac6c7049c00aefae115aa",
                size=639_331_213,
                url="https://github.com/TRvlvr/model_repo/releases/download/all_public_uvr_models/model_bs_roformer_ep_317_sdr_12.9755.ckpt",
            ),
        ),
    ),
}


class FileState(enum.Enum):
    PRESENT = "present"
    MISSING = "missing"
    DAMAGED = "damaged"  # there, but not the pinned bytes


@dataclass(frozen=True, slots=True)
class FileCheck:
    file: WeightFile
    path: Path
    state: FileState


def model_folder(name: str, *, model_dir: str | os.PathLike[str]) -> Path:
    """Where the files of model ``name`` live under ``model_dir``."""
    return Path(model_dir) / CATALOGUE[name].folder


def check(name: str, *, model_dir: str | os.PathLike[str]) -> list[FileCheck]:
    """The state of each file of model ``name``; reads and hashes what is there, changes nothing."""
    folder = model_folder(name, model_dir=model_dir)
    return [FileCheck(file=f, path=folder / f.name, state=_state(folder / f.name, f)) for f in CATALOGUE[name].files]


def files_in_place(name: str, *, model_dir: str | os.PathLike[str]) -> bool:
    """Whether every file of model ``name`` exists in ``model_dir``. Cheap: nothing is hashed;
    ``ensure`` verifies the bytes when the model is loaded."""
    folder = model_folder(name, model_dir=model_dir)
    return all((folder / f.name).is_file() for f in CATALOGUE[name].files)


def unavailable_reason(name: str, *, model_dir: str | os.PathLike[str], download: bool) -> str | None:
    """Why model ``name`` cannot be had here, or None when it can (or might: a
    download is allowed, or the file is there). Cheap, nothing is hashed, so a
    web page can ask before queuing a job that would only fail in the worker;
    ``ensure`` still verifies the bytes when the model is loaded."""
    folder = model_folder(name, model_dir=model_dir)
    for file in CATALOGUE[name].files:
        if file.url is not None and not download and not (folder / file.name).is_file():
            return f"The model file {file.name} is missing from {folder}. {_remedy(file)}"
    return None


def ensure(name: str, *, model_dir: str | os.PathLike[str], download: bool) -> Path:
    """The folder holding every file of model ``name``, each verified.

    Files that are missing or damaged are restored from their source: copied
    from their package always, downloaded only when ``download`` is true.
    Raises ModelUnavailableError naming the file, the folder and the command
    that fetches it when a file cannot be had.
    """
    for item in check(name, model_dir=model_dir):
        if item.state is FileState.PRESENT:
            continue
        if item.file.url is not None and not download:
            raise ModelUnavailableError(f"{_whereabouts(item)} {_remedy(item.file)}")
        try:
            fetch(item.file, folder=item.path.parent)
        except ModelUnavailableError as error:
            raise ModelUnavailableError(f"{_whereabouts(item)} {error} {_remedy(item.file)}") from error
    return model_folder(name, model_dir=model_dir)


def fetch(file: WeightFile, *, folder: Path) -> Path:
    """Put ``file`` into ``folder`` from its source, verified; returns its path.

    The bytes go to a hidden ``.part`` file beside the target and are renamed
    into place only once size and sha256 match, so a failed or refused fetch
    leaves nothing behind, and a concurrent reader never sees half a file.
    Raises ModelUnavailableError when the source cannot be read or does not
    hold the pinned bytes.
    """
    target = folder / file.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, part_name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise ModelUnavailableError(f"The folder {folder} is not writable.") from error
    part = Path(part_name)
    try:
        digest = hashlib.sha256()
        written = 0
        limit = file.size if file.size is not None else _UNSIZED_LIMIT_BYTES
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in _read_source(file):
                    written += len(chunk)
                    if written > limit:
                        break  # a wrong file may be huge: stop before it fills the disk
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as error:  # disk full, folder removed meanwhile
            raise ModelUnavailableError(f"Writing {file.name} into {folder} failed.") from error
        if (file.size is not None and written != file.size) or digest.hexdigest() != file.sha256:
            raise ModelUnavailableError(
                f"The copy of {file.name} from {file.source} is damaged or a different version, "
                "so it was not installed."
            ) from ValueError(f"{written} bytes, sha256 {digest.hexdigest()}; expected {file.size}, {file.sha256}")
        # mkstemp makes the file private to us; the worker reading it may run as another user.
        part.chmod(0o644)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)  # gone already after a successful os.replace
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _state(path: Path, file: WeightFile) -> FileState:
    if not path.is_file():
        return FileState.MISSING
    # The size is free to read and catches truncated copies before hashing 50 MB.
    if (file.size is not None and path.stat().st_size != file.size) or file_sha256(path) != file.sha256:
        return FileState.DAMAGED
    return FileState.PRESENT


def _read_source(file: WeightFile) -> Iterator[bytes]:
    if file.package is not None:
        try:
            data = (importlib.resources.files(file.package) / file.name).read_bytes()
        except (ModuleNotFoundError, OSError) as error:
            raise ModelUnavailableError(
                f"The installed package {file.package} should ship {file.name} but does not."
            ) from error
        yield data
        return
    assert file.url is not None
    try:
        with urllib.request.urlopen(file.url, timeout=_DOWNLOAD_STALL_SECONDS) as response:
            while chunk := response.read(_CHUNK_BYTES):
                yield chunk
    except (urllib.error.URLError, OSError) as error:  # HTTP errors, no network, timeouts
        raise ModelUnavailableError(f"Downloading from {file.url} failed.") from error


def _whereabouts(item: FileCheck) -> str:
    where = "is missing from" if item.state is FileState.MISSING else "is damaged or the wrong version in"
    return f"The model file {item.file.name} {where} {item.path.parent}."


def _remedy(file: WeightFile) -> str:
    if file.url is None:
        action = "install it"
    elif file.size is None:
        action = "download it"
    else:
        action = f"download it (about {file.size / 1e6:.0f} MB)"
    return f"Run `{FETCH_COMMAND}` to {action}, or copy the file into that folder."
