"""The Basic Pitch backend on its real ONNX model: accuracy on synthesized
instruments, a clear error when the model file is missing, and chunked
transcription that matches a whole-file pass."""
from __future__ import annotations

import mir_eval
import numpy as np
import pytest
import soundfile

from bench.basic_pitch_eval import MATERIAL, ORGAN, PLUCKED_GUITAR, render
from bench.metrics import note_arrays, onset_f1
from ml.errors import ModelUnavailableError
from ml.models import basic_pitch
from ml.notes import Note

# Melody E4..E5 at 100 BPM: steps, leaps, a repeated note, held and short notes.
_MELODY = [
    Note(pitch, onset=start * 0.6, offset=(start + beats * 0.9) * 0.6, velocity=90)
    for start, beats, pitch in [
        (0, 1, 64), (1, 1, 67), (2, 0.5, 69), (2.5, 0.5, 71), (3, 1, 72), (4, 2, 76),
        (6, 1, 74), (7, 0.5, 72), (7.5, 0.5, 72), (8, 1, 71), (9, 1, 67), (10, 2, 64),
    ]
]


def test_bass_line_is_transcribed(tmp_path):
    """Through a WAV file, as an uploaded stem would arrive."""
    reference, timbre = MATERIAL["bass"]
    path = tmp_path / "bass.wav"
    soundfile.write(path, render(reference, timbre=timbre, sample_rate=44100), 44100, subtype="PCM_16")

    track = basic_pitch.transcribe(path, instrument="bass")

    assert (track.name, track.instrument, track.program) == ("Bass", "bass", 33)
    assert onset_f1(reference, track.notes) >= 0.9  # measured 1.0
    assert all(28 <= note.pitch <= 67 for note in track.notes)


def test_plucked_melody_is_transcribed():
    """From a 44.1 kHz stereo waveform, as a separation model would hand it over."""
    mono = render(_MELODY, timbre=PLUCKED_GUITAR, sample_rate=44100)
    stereo = np.stack([mono, 0.8 * mono], axis=1)

    track = basic_pitch.transcribe(stereo, instrument="guitar", sample_rate=44100)

    assert onset_f1(_MELODY, track.notes) >= 0.9  # measured 1.0
    assert all(1 <= note.velocity <= 127 and note.offset > note.onset for note in track.notes)


def test_a_soundfont_guitar_line_is_not_doubled_by_restrikes_and_octaves(tmp_path):
    """A FluidR3 steel-string guitar (a real sampled instrument, not our synthesis):
    the guitar thresholds keep the model's extra onsets on a sounding string out."""
    from bench import corpus, render as fluidsynth

    if problem := fluidsynth.cannot_render():
        pytest.skip(problem)
    stem = fluidsynth.render_ensemble(corpus.ENSEMBLE_PIECES[0], seconds=15, cache_dir=tmp_path).stems["guitar"]

    track = basic_pitch.transcribe(stem.audio, instrument="guitar")

    # Measured 0.97 (34 notes for 32) on these 15 s; 0.44 (105 notes) with the former
    # thresholds (onset 0.5, frame 0.3, 0.058 s).
    assert onset_f1(stem.reference.notes, track.notes) >= 0.85


def test_sung_melody_is_one_note_per_sung_note():
    reference, timbre = MATERIAL["vocals"]
    audio = render(reference, timbre=timbre, sample_rate=basic_pitch.SAMPLE_RATE)
    track = basic_pitch.transcribe(audio, instrument="vocals", sample_rate=basic_pitch.SAMPLE_RATE)
    assert onset_f1(reference, track.notes) >= 0.85  # measured 0.97; 0.42 without merging vibrato pieces


def test_missing_model_file_is_reported_by_name(monkeypatch):
    monkeypatch.setattr(basic_pitch, "MODEL_RESOURCE", "saved_models/icassp_2022/gone.onnx")
    monkeypatch.setattr(basic_pitch, "_session", None)  # not the cached real one; restored after

    with pytest.raises(ModelUnavailableError, match="gone.onnx"):
        basic_pitch.transcribe(np.zeros(22050, dtype=np.float32), instrument="other", sample_rate=22050)


def test_missing_model_package_is_a_model_error(monkeypatch):
    monkeypatch.setattr(basic_pitch, "MODEL_PACKAGE", "no_such_package_for_rescored")
    monkeypatch.setattr(basic_pitch, "_session", None)

    with pytest.raises(ModelUnavailableError, match="not installed"):
        basic_pitch.get_session()


def test_model_is_loaded_once_per_process():
    assert basic_pitch.get_session() is basic_pitch.get_session()


def _held_note_under_a_melody() -> tuple[np.ndarray, list[Note]]:
    """20 s: an organ C3 held across many chunk seams under a plucked melody."""
    held = [Note(48, 0.5, 20.0, 90)]
    melody = [Note(p, 1.0 + i * 0.75, 1.6 + i * 0.75, 90) for i, p in enumerate([67, 69, 71, 72, 74, 76, 77, 79] * 3)]
    organ, plucked = render(held, timbre=ORGAN), render(melody, timbre=PLUCKED_GUITAR)
    audio = np.zeros(max(organ.size, plucked.size), dtype=np.float32)
    audio[: organ.size] += 0.5 * organ
    audio[: plucked.size] += plucked
    return audio, held + melody


def test_chunked_transcription_matches_a_whole_file_pass():
    audio, _ = _held_note_under_a_melody()
    settings = basic_pitch.INSTRUMENTS["other"]
    fractions: list[float] = []

    whole = basic_pitch.decode(audio, settings=settings, chunk_seconds=3600.0)
    # ~3.3 s cores: seven chunks, so notes start, end and sustain across seams.
    chunked = basic_pitch.decode(
        audio, settings=settings, chunk_seconds=2 * basic_pitch.HOP_SECONDS, progress=fractions.append
    )

    assert fractions == pytest.approx([i / 7 for i in range(1, 8)])
    assert abs(len(chunked) - len(whole)) <= 1
    # Same notes: pitch equal, onset within 50 ms, offset within 20% of the duration or 50 ms.
    _, _, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
        *note_arrays(whole), *note_arrays(chunked), onset_tolerance=0.05, offset_ratio=0.2, offset_min_tolerance=0.05
    )
    assert f1 >= 0.95  # measured 1.0
    held = [n for n in chunked if n.pitch == 48]
    assert held[0].onset == pytest.approx(0.5, abs=0.05) and held[-1].offset == pytest.approx(20.0, abs=0.5)


def test_a_note_cut_by_a_chunks_end_is_continued_and_a_seam_duplicate_dropped():
    """The stitching rules on hand-written chunk outputs (no model)."""
    first = basic_pitch._Chunk(start=0, stop=10 * 22050, core_start=-np.inf, core_end=5.0)
    second = basic_pitch._Chunk(start=2 * 22050, stop=15 * 22050, core_start=5.0, core_end=np.inf)
    heard = [
        (first, [Note(48, 1.0, 9.9), Note(60, 4.99, 5.5), Note(62, 6.0, 6.5)]),
        # 48 heard from this chunk's start on; 60 detected a frame later; 62 owned here; 64 in the margin.
        (second, [Note(48, 2.0, 12.0), Note(60, 5.01, 5.5), Note(62, 6.0, 6.6), Note(64, 3.0, 3.5)]),
    ]
    assert basic_pitch._stitch(heard) == [Note(48, 1.0, 12.0), Note(60, 4.99, 5.5), Note(62, 6.0, 6.6)]
