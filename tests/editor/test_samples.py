"""The player's samples: in the layout abcjs asks for, decodable, and at the right pitch."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile

from editor.samples import DRUM_KIT, INSTRUMENTS, Instrument, note_name, render_samples, sample_path

ABCJS_SYNTH = Path(__file__).resolve().parents[2] / "node_modules" / "abcjs" / "src" / "synth"


def abcjs_instrument_names() -> list[str]:
    return re.findall(r'"([a-z0-9_]+)"', (ABCJS_SYNTH / "instrument-index-to-name.js").read_text())


def abcjs_note_names() -> dict[int, str]:
    text = (ABCJS_SYNTH / "pitch-to-note-name.js").read_text()
    return {int(pitch): name for pitch, name in re.findall(r"(\d+):\s*'([A-Gb0-9]+)'", text)}


def test_names_are_the_ones_abcjs_requests():
    names = abcjs_instrument_names()
    assert len(names) == 129 and names[DRUM_KIT] == "percussion"
    for instrument in INSTRUMENTS:
        assert names[instrument.program] == instrument.name
    for pitch, name in abcjs_note_names().items():
        assert note_name(pitch) == name


def fundamental(audio: np.ndarray, rate: int) -> float:
    import librosa

    steady = audio[rate // 10 : rate]  # past the attack
    return float(np.median(librosa.yin(steady.astype(np.float32), fmin=50, fmax=2000, sr=rate)))


def test_rendered_samples_decode_and_sound_at_their_pitch(tmp_path):
    piano = Instrument(0, "acoustic_grand_piano", 57, 69, hold_seconds=2.0)
    drums = Instrument(DRUM_KIT, "percussion", 36, 38, hold_seconds=1.0)
    assert render_samples(tmp_path, instruments=[piano, drums]) == 13 + 3

    a4, rate = soundfile.read(sample_path(tmp_path, piano, 69))
    assert sample_path(tmp_path, piano, 69).name == "A4.mp3"
    assert 1.5 < len(a4) / rate < 4
    assert abs(fundamental(a4, rate) - 440) < 5
    a3, rate = soundfile.read(sample_path(tmp_path, piano, 57))
    assert abs(fundamental(a3, rate) - 220) < 5
    snare, _ = soundfile.read(tmp_path / "percussion-mp3" / "D2.mp3")
    kick, _ = soundfile.read(tmp_path / "percussion-mp3" / "C2.mp3")
    assert np.abs(snare).max() > 0.05 and np.abs(kick).max() > 0.05
    assert not np.allclose(snare[: len(kick)], kick[: len(snare)])


def test_rendering_again_is_a_no_op_until_something_changes(tmp_path):
    piano = Instrument(0, "acoustic_grand_piano", 60, 62, hold_seconds=1.0)
    assert render_samples(tmp_path, instruments=[piano]) == 3
    assert render_samples(tmp_path, instruments=[piano]) == 0
    sample_path(tmp_path, piano, 61).unlink()
    assert render_samples(tmp_path, instruments=[piano]) == 3
    wider = Instrument(0, "acoustic_grand_piano", 60, 63, hold_seconds=1.0)
    assert render_samples(tmp_path, instruments=[wider]) == 4
