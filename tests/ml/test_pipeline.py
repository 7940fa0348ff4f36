"""transcribe_file: the one call the web app makes, with its stages and its errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ml import pipeline
from ml.errors import AudioError
from ml.notes import Track
from tests.synth import PIANO_PHRASE, SAMPLE_RATE, write_wav


@pytest.mark.slow
def test_stages_are_reported_in_order_with_rising_fractions(phrase_run) -> None:
    stages = [stage for stage, _ in phrase_run.progress]
    fractions = [fraction for _, fraction in phrase_run.progress]

    assert phrase_run.progress[0] == ("Reading audio", 0.0)
    assert phrase_run.progress[-1] == ("Done", 1.0)
    assert list(dict.fromkeys(stages)) == ["Reading audio", "Transcribing piano", "Done"]
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    # The transcribing stage moves during the model run, not only at its ends.
    assert stages.count("Transcribing piano") >= 4


@pytest.mark.slow
def test_result_is_one_piano_track_as_long_as_the_recording(phrase_run, phrase_audio: np.ndarray) -> None:
    (track,) = phrase_run.transcription.tracks
    assert (track.name, track.instrument, track.program, track.is_drum) == ("Piano", "piano", 0, False)
    assert phrase_run.transcription.duration == pytest.approx(phrase_audio.size / SAMPLE_RATE, abs=1e-3)
    assert {n.pitch for n in track.notes} <= {n.pitch for n in PIANO_PHRASE}
    assert all(1 <= n.velocity <= 127 and n.offset > n.onset >= 0 for n in track.notes)
    assert track.notes == sorted(track.notes, key=lambda n: (n.onset, n.pitch))


@pytest.mark.slow
def test_silence_gives_a_piano_track_without_notes(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    write_wav(path, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)

    transcription = pipeline.transcribe_file(path, device="cpu")

    assert transcription.tracks == [Track(name="Piano", instrument="piano", program=0, notes=[])]
    assert transcription.duration == pytest.approx(1.0)


def test_unreadable_upload_fails_while_reading_audio(tmp_path: Path) -> None:
    path = tmp_path / "essay.mp3"
    path.write_text("Not a song. " * 100)
    progress: list[tuple[str, float]] = []

    with pytest.raises(AudioError):
        pipeline.transcribe_file(path, progress=lambda stage, f: progress.append((stage, f)))
    assert progress == [("Reading audio", 0.0)]


def test_importing_the_pipeline_does_not_import_torch() -> None:
    # Web processes import the pipeline only to enqueue jobs; torch would cost seconds and memory.
    code = "import sys, ml.pipeline; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_bytedance_piano_backend_without_its_checkpoint_names_the_file(tmp_path):
    from ml.errors import ModelUnavailableError
    from ml.pipeline import PipelineOptions, transcribe_recording
    from tests.synth import PIANO_PHRASE, render_notes, write_wav

    wav = tmp_path / "phrase.wav"
    write_wav(wav, render_notes(PIANO_PHRASE[:4]), 44100)
    options = PipelineOptions(instruments=("piano",), piano_backend="bytedance", model_dir=tmp_path / "models")
    with pytest.raises(ModelUnavailableError, match="CRNN_note_F1=0.9677"):
        transcribe_recording(wav, options=options)


def test_drums_without_separation_come_back_as_a_drum_track(tmp_path):
    from ml.pipeline import PipelineOptions, transcribe_recording
    from tests import drum_synth
    from tests.synth import write_wav

    played = drum_synth.groove(bars=2, bpm=100)
    wav = tmp_path / "groove.wav"
    write_wav(wav, drum_synth.render(played), 44100)
    result = transcribe_recording(wav, options=PipelineOptions(instruments=("drums",)))
    (track,) = result.transcription.tracks
    assert track.is_drum and track.name == "Drums"
    kicks_played = sum(1 for n in played if n.pitch == 36)
    kicks_found = sum(1 for n in track.notes if n.pitch == 36)
    assert abs(kicks_found - kicks_played) <= 1, (kicks_found, kicks_played)


@pytest.mark.slow
def test_the_transkun_batch_option_reaches_the_piano_transcriber(tmp_path: Path, monkeypatch) -> None:
    from ml.models.transkun import TranskunTranscriber

    passes: list[int] = []
    real_transcribe = TranskunTranscriber.transcribe

    def watched(self, *args, **kwargs):  # the real call, its network passes noted
        notes = real_transcribe(self, *args, **kwargs)
        passes.append(self.last_network_passes)
        return notes

    monkeypatch.setattr(TranskunTranscriber, "transcribe", watched)
    wav = tmp_path / "quiet.wav"
    write_wav(wav, np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)  # 1 s: 3 segments

    for batch in (3, 1):
        options = pipeline.PipelineOptions(instruments=("piano",), device="cpu", transkun_batch_segments=batch)
        pipeline.transcribe_recording(wav, options=options)

    assert passes == [1, 3]  # all three segments in one pass, then one pass each
