"""Stems after separation: MP3 files for the browser, and which stems hold music rather than bleed.

The content tests use synthesized stems with the kinds of bleed a separator
leaves: a steady copy of the mix far below it, and short louder bursts.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml import audio
from ml.separation import stems_with_content, with_vocals, write_stems

SR = 22050  # content detection only looks at frame energies: a low rate keeps the tests quick


def _time(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def tones(seconds: float, *, pitches_hz: list[float], note_seconds: float, partials: int, gap: float = 0.0) -> np.ndarray:
    """Decaying harmonic notes one after another (bass, voice, keys)."""
    out = np.zeros(int(seconds * SR))
    note = _time(note_seconds)
    envelope = np.minimum(1.0, note / 0.02) * np.exp(-note / note_seconds)
    for index, start in enumerate(np.arange(0.0, seconds, note_seconds + gap)):
        phase = 2 * np.pi * pitches_hz[index % len(pitches_hz)] * note
        sound = envelope * sum(np.sin(k * phase) / k for k in range(1, partials + 1))
        begin = int(start * SR)
        out[begin : begin + sound.size] += sound[: out.size - begin]
    return out


def drums(seconds: float) -> np.ndarray:
    """A kick on every beat at 120 BPM and a noise hat between."""
    rng = np.random.default_rng(0)
    out = np.zeros(int(seconds * SR))
    kick = np.sin(2 * np.pi * 60 * _time(0.3)) * np.exp(-_time(0.3) / 0.08)
    hat = 0.3 * rng.standard_normal(int(0.05 * SR)) * np.exp(-_time(0.05) / 0.01)
    for beat in np.arange(0.0, seconds - 0.5, 0.5):
        out[int(beat * SR) :][: kick.size] += kick
        out[int((beat + 0.25) * SR) :][: hat.size] += hat
    return out


def at_level(signal: np.ndarray, dbfs: float) -> np.ndarray:
    return signal / np.sqrt(np.mean(signal**2)) * 10 ** (dbfs / 20)


def band(seconds: float) -> dict[str, np.ndarray]:
    return {
        "drums": at_level(drums(seconds), -18),
        "bass": at_level(tones(seconds, pitches_hz=[55, 73.4, 82.4, 65.4], note_seconds=0.5, partials=4), -20),
        "vocals": at_level(tones(seconds, pitches_hz=[220, 247, 262, 294], note_seconds=0.9, partials=8, gap=0.3), -19),
        "piano": at_level(tones(seconds, pitches_hz=[262, 330, 392, 523], note_seconds=0.4, partials=10), -21),
    }


def bleed(stems: dict[str, np.ndarray], *, steady_db: float, burst_db: float, burst_share: float) -> np.ndarray:
    """What a separator leaves in a stem with no instrument of its own: a faint copy of the mix,
    plus 0.3 s bursts of it, ``burst_db`` under the mix, over ``burst_share`` of the time."""
    rng = np.random.default_rng(1)
    mix = sum(stems.values())
    seconds = mix.size / SR
    out = mix * 10 ** (steady_db / 20) * (1 + 0.5 * np.sin(2 * np.pi * 0.1 * _time(seconds)))
    burst = int(0.3 * SR)
    for start in rng.uniform(0, seconds - 0.3, int(seconds * burst_share / 0.3)):
        begin = int(start * SR)
        out[begin : begin + burst] += mix[begin : begin + burst] * 10 ** (burst_db / 20) * np.hanning(burst)
    return out


def test_instruments_count_and_their_bleed_does_not() -> None:
    stems = band(60)
    stems["guitar"] = bleed(stems, steady_db=-26, burst_db=-8, burst_share=0.06)
    stems["other"] = bleed(stems, steady_db=-20, burst_db=-8, burst_share=0.1)
    assert stems_with_content(stems, sample_rate=SR) == ["drums", "bass", "vocals", "piano"]


def test_a_part_that_plays_only_in_the_intro_counts() -> None:
    stems = band(60)
    stems["piano"][8 * SR :] = 0.0
    assert "piano" in stems_with_content(stems, sample_rate=SR)


def test_heavy_bleed_in_a_short_clip_does_not_count() -> None:
    stems = band(10)
    stems["guitar"] = bleed(stems, steady_db=-18, burst_db=-5, burst_share=0.15)
    assert stems_with_content(stems, sample_rate=SR) == ["drums", "bass", "vocals", "piano"]


def test_stereo_stems_in_the_mappings_order() -> None:
    stems = {name: np.stack([signal, signal], axis=1) for name, signal in reversed(band(10).items())}
    assert stems_with_content(stems, sample_rate=SR) == ["piano", "vocals", "bass", "drums"]


def test_silent_and_hiss_only_stems_are_left_out() -> None:
    # What a separator returns for instruments a song does not have: nothing, or a noise floor.
    stems = band(30)
    stems["guitar"] = np.zeros_like(stems["piano"])
    stems["other"] = at_level(np.random.default_rng(2).standard_normal(stems["piano"].size), -70)
    assert stems_with_content(stems, sample_rate=SR) == ["drums", "bass", "vocals", "piano"]


def test_silence_has_no_content() -> None:
    assert stems_with_content({"vocals": np.zeros((SR, 2)), "drums": np.zeros((SR, 2))}, sample_rate=SR) == []


def test_stems_louder_than_full_scale_are_turned_down_together(tmp_path: Path) -> None:
    sine = np.sin(2 * np.pi * 440 * _time(1.0)).astype(np.float32)
    stems = {"loud": np.stack([2.0 * sine, 2.0 * sine], axis=1), "quiet": np.stack([0.5 * sine, 0.5 * sine], axis=1)}

    paths = write_stems(stems, tmp_path, sample_rate=SR)

    decoded = {name: audio.load(path, sample_rate=SR, mono=True) for name, path in paths.items()}
    rms = {name: float(np.sqrt(np.mean(samples**2))) for name, samples in decoded.items()}
    assert rms["loud"] / rms["quiet"] == pytest.approx(4.0, rel=0.02)
    assert rms["loud"] == pytest.approx(1 / np.sqrt(2), rel=0.02)  # a full-scale sine


def test_a_mono_stem_is_written_as_mono(tmp_path: Path) -> None:
    sine = 0.5 * np.sin(2 * np.pi * 220 * _time(0.5))
    (path,) = write_stems({"bass": sine}, tmp_path / "new", sample_rate=SR).values()
    info = audio.probe(path)
    assert (path.name, info.channels, info.sample_rate) == ("bass.mp3", 1, SR)


def test_split_off_vocals_replace_the_separators_and_its_leftover_joins_other() -> None:
    def stem(value: float) -> np.ndarray:
        return np.full((4, 2), value, dtype=np.float32)

    instrumental_stems = {"drums": stem(1), "bass": stem(2), "other": stem(3), "vocals": stem(0.5), "guitar": stem(4)}

    merged = with_vocals(instrumental_stems, stem(7))

    assert list(merged) == list(instrumental_stems)  # the separator's stem order
    np.testing.assert_array_equal(merged["vocals"], stem(7))
    np.testing.assert_array_equal(merged["other"], stem(3.5))
    # Nothing lost: the stems still add up to vocals + instrumental.
    np.testing.assert_allclose(sum(merged.values()), stem(7) + sum(instrumental_stems.values()))
