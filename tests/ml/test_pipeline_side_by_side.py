"""Instruments transcribed side by side (the default where the piano model is on a GPU).

Forced on here, on the CPU: the models are the real ones, so side by side must
give exactly the tracks one-by-one gives, report one stage with rising
progress from the caller's thread, and stop every instrument when one fails
or the caller cancels.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ml import pipeline
from tests import drum_synth
from tests.synth import PIANO_PHRASE, SAMPLE_RATE, render_notes, write_wav

INSTRUMENTS = ("bass", "drums", "vocals")


@pytest.fixture(scope="module")
def band_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    melody = render_notes(PIANO_PHRASE)
    drums = drum_synth.render(drum_synth.groove(bars=4, bpm=100))
    length = max(melody.size, drums.size)
    mix = np.pad(melody, (0, length - melody.size)) * 0.6 + np.pad(drums, (0, length - drums.size)) * 0.4
    path = tmp_path_factory.mktemp("band") / "band.wav"
    write_wav(path, mix.astype(np.float32), SAMPLE_RATE)
    return path


def options(side_by_side: bool) -> pipeline.PipelineOptions:
    return pipeline.PipelineOptions(instruments=INSTRUMENTS, device="cpu", side_by_side=side_by_side)


def test_side_by_side_gives_the_tracks_one_by_one_gives(band_wav: Path) -> None:
    reports: list[tuple[str, float, str]] = []
    together = pipeline.transcribe_recording(
        band_wav, options=options(True),
        progress=lambda stage, f: reports.append((stage, f, threading.current_thread().name)),
    ).transcription
    apart = pipeline.transcribe_recording(band_wav, options=options(False)).transcription

    assert [t.instrument for t in together.tracks] == list(INSTRUMENTS)  # the order asked for
    assert [t.notes for t in together.tracks] == [t.notes for t in apart.tracks]
    assert all(t.notes for t in together.tracks)
    stages = list(dict.fromkeys(stage for stage, _, _ in reports))
    assert stages == [pipeline.STAGE_READING, "Transcribing bass, drums and vocals", pipeline.STAGE_DONE]
    fractions = [f for _, f, _ in reports]
    assert fractions == sorted(fractions)
    # Every report from the caller's own thread: its callback may write to a database.
    assert {name for _, _, name in reports} == {threading.current_thread().name}


def test_one_instrument_failing_fails_the_recording_and_stops_the_others(band_wav: Path, monkeypatch) -> None:
    real = pipeline._transcribe_stem

    def drums_break(instrument, audio, *, options, progress):  # a fault injected in one model
        if instrument == "drums":
            raise RuntimeError("drum model broke")
        return real(instrument, audio, options=options, progress=progress)

    monkeypatch.setattr(pipeline, "_transcribe_stem", drums_break)
    with pytest.raises(RuntimeError, match="drum model broke"):
        pipeline.transcribe_recording(band_wav, options=options(True))
    assert not [t for t in threading.enumerate() if t.name.startswith("transcribe")]


def test_a_cancel_from_the_callback_stops_every_instrument(band_wav: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel_once_transcribing(stage: str, _fraction: float) -> None:
        if stage.startswith("Transcribing"):
            raise Cancelled()

    with pytest.raises(Cancelled):
        pipeline.transcribe_recording(band_wav, options=options(True), progress=cancel_once_transcribing)
    assert not [t for t in threading.enumerate() if t.name.startswith("transcribe")]


def test_side_by_side_is_the_default_only_where_the_piano_model_is_on_a_gpu() -> None:
    assert pipeline._side_by_side(pipeline.PipelineOptions(device="cpu")) is False
    assert pipeline._side_by_side(pipeline.PipelineOptions(device="cpu", side_by_side=True)) is True
