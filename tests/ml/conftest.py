"""Fixtures for the ml package: encoded test audio and one shared real-model run."""
from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from ml.notes import Transcription
from tests.synth import PIANO_PHRASE, SAMPLE_RATE, render_notes, write_wav


FFmpeg = Callable[..., subprocess.CompletedProcess[bytes]]


def _run_ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    return subprocess.run(command, capture_output=True, check=True)


@pytest.fixture
def ffmpeg() -> FFmpeg:
    """ffmpeg(*args): the bundled ffmpeg (the binary ml.audio uses); fails the test on error."""
    return _run_ffmpeg


@pytest.fixture
def encode(tmp_path: Path) -> Callable[[Path, str], Path]:
    """encode(source, suffix) -> the source re-encoded with ffmpeg's default codec for that suffix."""
    def run(source: Path, suffix: str) -> Path:
        target = tmp_path / f"{source.stem}{suffix}"
        _run_ffmpeg("-i", str(source), str(target))
        return target

    return run


@pytest.fixture(scope="session")
def phrase_audio() -> np.ndarray:
    return render_notes(PIANO_PHRASE)


@pytest.fixture(scope="session")
def phrase_wav(tmp_path_factory: pytest.TempPathFactory, phrase_audio: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("phrase") / "phrase.wav"
    write_wav(path, phrase_audio, SAMPLE_RATE)
    return path


@dataclass
class PipelineRun:
    transcription: Transcription
    progress: list[tuple[str, float]]


@pytest.fixture(scope="session")
def phrase_run(phrase_wav: Path) -> PipelineRun:
    """PIANO_PHRASE through the whole pipeline on CPU with the real weights, once per session.

    Several tests assert on this one result, because each run costs ~15 s of CPU.
    """
    from ml.pipeline import transcribe_file

    progress: list[tuple[str, float]] = []
    transcription = transcribe_file(phrase_wav, device="cpu", progress=lambda stage, f: progress.append((stage, f)))
    return PipelineRun(transcription=transcription, progress=progress)
