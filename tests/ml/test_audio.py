"""ml.audio decodes every common upload format and refuses what is not audio in plain words."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml import audio
from ml.errors import AudioError
from tests.synth import write_wav

SECONDS = 3.0
RATE = 44100
LEFT_HZ, RIGHT_HZ = 440.0, 660.0


@pytest.fixture
def stereo_wav(tmp_path: Path) -> Path:
    """3 s of stereo: a different tone in each channel, so channel order can be checked."""
    t = np.arange(int(SECONDS * RATE)) / RATE
    signal = 0.5 * np.stack([np.sin(2 * np.pi * LEFT_HZ * t), np.sin(2 * np.pi * RIGHT_HZ * t)], axis=1)
    path = tmp_path / "tones.wav"
    write_wav(path, signal.astype(np.float32), RATE)
    return path


def dominant_hz(signal: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    return float(np.fft.rfftfreq(signal.size, 1 / sample_rate)[spectrum.argmax()])


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3", ".m4a"])
def test_probe_and_load_common_formats(stereo_wav: Path, encode, suffix: str) -> None:
    path = stereo_wav if suffix == ".wav" else encode(stereo_wav, suffix)

    info = audio.probe(path)
    assert info.duration == pytest.approx(SECONDS, abs=0.1)
    assert (info.sample_rate, info.channels) == (RATE, 2)

    stereo = audio.load(path, sample_rate=22050, mono=False)
    assert stereo.dtype == np.float32 and stereo.ndim == 2 and stereo.shape[1] == 2
    assert stereo.shape[0] / 22050 == pytest.approx(SECONDS, abs=0.1)
    # Real content, channels in order, pitch preserved through resampling.
    assert dominant_hz(stereo[:, 0], 22050) == pytest.approx(LEFT_HZ, abs=2)
    assert dominant_hz(stereo[:, 1], 22050) == pytest.approx(RIGHT_HZ, abs=2)

    mono = audio.load(path, sample_rate=RATE, mono=True)
    assert mono.dtype == np.float32 and mono.ndim == 1
    # Mono is the plain mean of the channels (no downmix gain that could clip).
    np.testing.assert_allclose(mono, audio.load(path, sample_rate=RATE, mono=False).mean(axis=1), atol=1e-6)


def test_mono_file_at_another_rate_is_resampled(tmp_path: Path, ffmpeg) -> None:
    path = tmp_path / "tone48k.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:duration=2:sample_rate=48000", str(path))

    info = audio.probe(path)
    assert (info.sample_rate, info.channels) == (48000, 1)
    assert info.duration == pytest.approx(2.0, abs=0.1)

    samples = audio.load(path, sample_rate=RATE, mono=False)
    assert samples.shape[1] == 1
    assert samples.shape[0] == pytest.approx(2.0 * RATE, abs=RATE * 0.01)
    assert dominant_hz(samples[:, 0], RATE) == pytest.approx(1000, abs=2)


def test_probe_reads_duration_from_header_without_decoding_everything(stereo_wav: Path, encode, monkeypatch) -> None:
    def full_decode(*args, **kwargs):
        raise AssertionError("probe decoded the whole file although the header has a duration")

    monkeypatch.setattr(audio, "_decoded_duration", full_decode)
    assert audio.probe(encode(stereo_wav, ".mp3")).duration == pytest.approx(SECONDS, abs=0.1)


def test_probe_decodes_when_header_has_no_duration(tmp_path: Path, ffmpeg) -> None:
    # WebM written to a pipe cannot go back to write its duration into the header.
    path = tmp_path / "streamed.webm"
    encoded = ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2.5", "-c:a", "libopus", "-f", "webm", "pipe:1")
    path.write_bytes(encoded.stdout)
    header = ffmpeg("-i", str(path), "-f", "null", "-").stderr.decode()
    assert "Duration: N/A" in header  # the premise of this test

    assert audio.probe(path).duration == pytest.approx(2.5, abs=0.1)


@pytest.fixture
def png_named_mp3(tmp_path: Path, ffmpeg) -> Path:
    png = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=1:size=64x64", "-frames:v", "1", str(png))
    path = tmp_path / "song.mp3"
    path.write_bytes(png.read_bytes())
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d.joinpath("notes.mp3").write_text("my piano notes, not audio\n" * 20), "doesn't look like audio"),
        (lambda d: d.joinpath("empty.mp3").write_bytes(b""), "empty"),
        (lambda d: write_wav(d / "silent.wav", np.zeros((0, 2), np.float32), RATE), "zero seconds long"),
    ],
    ids=["text-as-mp3", "empty-file", "zero-length-wav"],
)
def test_unusable_files_raise_audio_error(tmp_path: Path, make, message: str) -> None:
    make(tmp_path)
    (path,) = tmp_path.iterdir()
    with pytest.raises(AudioError, match=message):
        audio.probe(path)
    with pytest.raises(AudioError, match=message):
        audio.load(path, sample_rate=RATE, mono=True)


def test_image_renamed_to_mp3_has_no_audio(png_named_mp3: Path) -> None:
    with pytest.raises(AudioError, match="no audio"):
        audio.probe(png_named_mp3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="could not be found"):
        audio.probe(tmp_path / "gone.wav")


def test_error_messages_are_sentences_with_ffmpeg_detail_kept_as_cause(tmp_path: Path) -> None:
    path = tmp_path / "junk.ogg"
    path.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(AudioError) as caught:
        audio.probe(path)
    assert str(caught.value).endswith(".") and "ffmpeg" not in str(caught.value).lower()
    assert caught.value.__cause__ is not None and str(caught.value.__cause__)
