"""What happens to separated stems: files a browser plays, and which stems hold real music.

Pure numpy plus the bundled ffmpeg binary: no torch, so this is testable with
hand-made stems and usable where no model is loaded.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from ml.errors import MLError

# htdemucs_6s's sample rate, so the stems it returns: the default for callers holding only stems.
SEPARATED_SAMPLE_RATE = 44100

# MP3 plays in every browser's <audio>. LAME's VBR quality 2 (~190 kbit/s for
# stereo music) is transparent for listening along with a score.
STEM_SUFFIX = ".mp3"
_MP3_VBR_QUALITY = "2"

# "Which stems have real content", tuned on synthesized stems with simulated
# bleed (steady leakage 20-26 dB under the mix plus short bursts 5-8 dB under it):
# the bleed never held 10% of a frame's energy for more than 0.8 s, while real
# parts, even an 8 s intro in a minute of full band, did for 7.8 s or more.
_CONTENT_FRAME_SECONDS = 0.25
# A frame counts for a stem when the stem holds at least this share of the
# mix's energy there (-10 dB): loud enough to be heard in the mix, not leakage.
_CONTENT_SHARE_OF_FRAME = 0.1
# ...for at least this long in total, or this share of the audible time in clips
# too short for that (a 10 s clip needs 1.5 s).
_CONTENT_MIN_SECONDS = 4.0
_CONTENT_MIN_SHARE_OF_AUDIBLE = 0.15
# Frames this far under the mix's loudest frame are silence: their ratios are noise.
_AUDIBLE_BELOW_PEAK_DB = 50.0


def write_stems(
    stems: Mapping[str, np.ndarray], out_dir: str | os.PathLike[str], *, sample_rate: int
) -> dict[str, Path]:
    """Encode each stem to ``out_dir/<name>.mp3``; returns the paths by stem name.

    Stems are float samples shaped ``(samples,)`` or ``(samples, channels)``.
    Separated stems can peak above full scale (the model's output is not
    bounded); rather than let the encoder clip them, all stems are turned down
    by the same factor, which keeps their balance when played together.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    peak = max((float(np.max(np.abs(audio), initial=0.0)) for audio in stems.values()), default=0.0)
    gain = 1.0 / peak if peak > 1.0 else 1.0
    paths = {name: out_dir / f"{name}{STEM_SUFFIX}" for name in stems}
    # One encoder process per stem, as many at once as there are cores: LAME is
    # single-threaded and a 4-minute stem takes it seconds, so six in a row would
    # cost more than the GPU's whole separation.
    workers = max(1, min(len(stems), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as encoders:
        encodings = [
            encoders.submit(_encode_mp3, audio * gain if gain != 1.0 else audio, path=paths[name], sample_rate=sample_rate)
            for name, audio in stems.items()
        ]
        for encoding in encodings:
            encoding.result()  # the first failure, if any, is raised
    return paths


def _encode_mp3(audio: np.ndarray, *, path: Path, sample_rate: int) -> None:
    samples = audio[:, None] if audio.ndim == 1 else audio
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(sample_rate), "-ac", str(samples.shape[1]), "-i", "pipe:0",
        "-c:a", "libmp3lame", "-q:a", _MP3_VBR_QUALITY, str(path),
    ]
    # ffmpeg reads interleaved frames: (samples, channels) in C order is exactly that.
    data = np.ascontiguousarray(samples, dtype="<f4")
    result = subprocess.run(command, input=memoryview(data).cast("B"), capture_output=True, check=False)
    if result.returncode != 0:
        raise MLError("We could not save the separated instrument tracks.") from RuntimeError(
            result.stderr.decode(errors="replace")[-2000:]
        )


def stems_with_content(stems: Mapping[str, np.ndarray], *, sample_rate: int = SEPARATED_SAMPLE_RATE) -> list[str]:
    """The stems that carry music of their own rather than bleed, in the mapping's order.

    The mix is taken as the sum of the stems (separation keeps that sum close to
    the recording). A stem counts when it holds a clear share of the mix's energy
    in enough frames; where the whole mix is quiet, nothing is counted.
    """
    frame = max(1, int(_CONTENT_FRAME_SECONDS * sample_rate))
    energies = {name: _frame_energy(audio, frame=frame) for name, audio in stems.items()}
    if not energies:
        return []
    mix = _frame_energy(sum(stems.values()), frame=frame)
    if mix.size == 0 or mix.max() <= 0:
        return []
    audible = mix >= mix.max() * 10 ** (-_AUDIBLE_BELOW_PEAK_DB / 10)
    needed = min(_CONTENT_MIN_SECONDS, _CONTENT_MIN_SHARE_OF_AUDIBLE * audible.sum() * frame / sample_rate)
    return [
        name
        for name, energy in energies.items()
        if np.count_nonzero(audible & (energy >= _CONTENT_SHARE_OF_FRAME * mix)) * frame / sample_rate >= needed
    ]


def _frame_energy(audio: np.ndarray, *, frame: int) -> np.ndarray:
    """Mean power per whole frame of the channel average; a trailing partial frame is dropped."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    frames = mono.size // frame
    return np.square(mono[: frames * frame].astype(np.float64)).reshape(frames, frame).mean(axis=1)


def with_vocals(stems: Mapping[str, np.ndarray], vocals: np.ndarray) -> dict[str, np.ndarray]:
    """Stems of an instrumental, with the vocals split off before it put back in.

    Whatever the multi-stem model still called "vocals" in the instrumental (the
    vocals model left it there, so it is not the lead voice: backing pads, bleed)
    joins "other", so the stems still add up to the recording.
    """
    merged = dict(stems)  # the stem order stays the model's
    leftover = merged.get("vocals")
    if leftover is not None and "other" in merged:
        merged["other"] = merged["other"] + leftover
    merged["vocals"] = vocals
    return merged
