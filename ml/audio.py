"""Decode any common audio file with the ffmpeg binary that the imageio-ffmpeg wheel ships.

ffmpeg runs as a subprocess with an argument list (never a shell), so odd file
names are harmless. Decoded samples come back over a pipe; nothing is written
to disk.
"""
from __future__ import annotations

import os
import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import soxr

from ml.constants import PROBE_DECODE_SECONDS
from ml.errors import AudioError

# The header line ffmpeg prints for the input container, e.g. "Duration: 00:03:25.47,".
_DURATION_RE = re.compile(r"^\s*Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)", re.MULTILINE)
# What ffmpeg says when the input opens but holds no audio stream (an image, a silent video).
_NO_AUDIO_MARKERS = ("matches no streams", "does not contain any stream")
_READ_CHUNK_BYTES = 1 << 20

NOT_AUDIO_MESSAGE = (
    "This file doesn't look like audio we can read. "
    "Please upload a recording such as MP3, WAV, FLAC, OGG or M4A."
)
NO_AUDIO_STREAM_MESSAGE = "This file contains no audio track."
EMPTY_FILE_MESSAGE = "The uploaded file is empty."
NO_SOUND_MESSAGE = "This recording is zero seconds long, so there is nothing to transcribe."


@dataclass(frozen=True, slots=True)
class AudioInfo:
    duration: float  # seconds
    sample_rate: int  # Hz, as stored in the file
    channels: int


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Describe an audio file without decoding all of it.

    The duration comes from the container header; only files whose header has
    none (e.g. a stream recorded to a pipe) are decoded in full to count samples.
    Sample rate and channel count are read from a short decoded excerpt, which is
    exact even for channel layouts that ffmpeg's header text describes by name.
    """
    path = _existing_file(path)
    result = _run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-t", str(PROBE_DECODE_SECONDS), "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"],
        # The header section (Duration line) is printed at the default log level.
        quiet=False,
    )
    sample_rate, channels, has_samples = _parse_wav_stream(result.stdout)
    if not has_samples:
        raise AudioError(NO_SOUND_MESSAGE)

    match = _DURATION_RE.search(result.stderr.decode(errors="replace"))
    if match:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    else:
        duration = _decoded_duration(path, sample_rate=sample_rate)
    if duration <= 0:
        raise AudioError(NO_SOUND_MESSAGE)
    return AudioInfo(duration=duration, sample_rate=sample_rate, channels=channels)


def load(path: str | os.PathLike[str], *, sample_rate: int, mono: bool) -> np.ndarray:
    """Decode the first audio stream to float32 in [-1, 1], resampled to ``sample_rate``.

    Returns shape ``(samples,)`` when ``mono`` (the mean of the channels),
    otherwise ``(samples, channels)`` with the file's own channel count.
    """
    channels = probe(path).channels
    result = _run_ffmpeg(
        [
            "-i", str(path), "-map", "0:a:0",
            # soxr is ffmpeg's high-quality resampler; the default one aliases more.
            "-af", f"aresample={sample_rate}:resampler=soxr",
            "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1",
        ],
        quiet=True,
    )
    samples = np.frombuffer(result.stdout, dtype="<f4").reshape(-1, channels)
    if samples.shape[0] == 0:
        raise AudioError(NO_SOUND_MESSAGE)
    if mono:
        # Averaging here rather than with ffmpeg's -ac 1: ffmpeg's downmix sums
        # channels at -3 dB each, which can push correlated stereo past full scale.
        return samples.mean(axis=1, dtype=np.float32)
    return samples.copy()  # np.frombuffer over bytes is read-only; callers may write


def mono_at(audio: str | os.PathLike[str] | np.ndarray, *, target_rate: int, sample_rate: int | None) -> np.ndarray:
    """A file, or a waveform ``(samples,)``/``(samples, channels)`` at ``sample_rate``,
    as float32 mono at ``target_rate``: what the single-channel models take."""
    if not isinstance(audio, np.ndarray):
        return load(audio, sample_rate=target_rate, mono=True)
    if sample_rate is None:
        raise TypeError("sample_rate is required when audio is a waveform")
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
    if samples.size == 0:
        raise AudioError(NO_SOUND_MESSAGE)
    if sample_rate != target_rate:
        samples = soxr.resample(samples, sample_rate, target_rate).astype(np.float32, copy=False)
    return samples


def _existing_file(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.is_file():
        raise AudioError("The audio file could not be found.")
    if path.stat().st_size == 0:
        raise AudioError(EMPTY_FILE_MESSAGE)
    return path


def _run_ffmpeg(args: list[str], *, quiet: bool) -> subprocess.CompletedProcess[bytes]:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats"]
    if quiet:
        command += ["-loglevel", "error"]
    result = subprocess.run(command + args, capture_output=True, check=False)
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace")
        message = NO_AUDIO_STREAM_MESSAGE if any(m in stderr for m in _NO_AUDIO_MARKERS) else NOT_AUDIO_MESSAGE
        # Keep ffmpeg's own words as the cause, for logs; users see only the sentence.
        raise AudioError(message) from RuntimeError(stderr[-2000:])
    return result


def _parse_wav_stream(data: bytes) -> tuple[int, int, bool]:
    """Read (sample_rate, channels, has_samples) from a WAV written to a pipe.

    A piped WAV cannot be seeked back to fill in sizes, so the data chunk's size
    field is meaningless and "has samples" means bytes follow the data header.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(NOT_AUDIO_MESSAGE)
    offset = 12
    sample_rate = channels = None
    while offset + 8 <= len(data):
        chunk_id, chunk_size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = offset + 8
        if chunk_id == b"fmt ":
            channels, sample_rate = struct.unpack_from("<HI", data, body + 2)
        elif chunk_id == b"data":
            if sample_rate is None or channels is None:
                break
            return sample_rate, channels, len(data) > body
        offset = body + chunk_size + (chunk_size & 1)  # RIFF chunks are word-aligned
    raise AudioError(NOT_AUDIO_MESSAGE)


def _decoded_duration(path: Path, *, sample_rate: int) -> float:
    """Count samples by decoding everything, streaming so memory stays flat."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
        "-i", str(path), "-map", "0:a:0", "-ac", "1", "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1",
    ]
    n_bytes = 0
    # stderr goes to DEVNULL: an unread stderr pipe could fill up and stall ffmpeg.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        while chunk := process.stdout.read(_READ_CHUNK_BYTES):
            n_bytes += len(chunk)
    if process.returncode != 0:
        raise AudioError(NOT_AUDIO_MESSAGE)
    return n_bytes / 2 / sample_rate
