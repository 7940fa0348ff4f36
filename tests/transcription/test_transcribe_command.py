"""`manage.py transcribe INPUT --out DIR`, the pipeline without the web app."""
import pretty_midi
import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.slow


def test_writes_midi_and_abc(piano_wav, tmp_path):
    out = tmp_path / "out"
    call_command("transcribe", str(piano_wav), "--out", str(out))
    midi = pretty_midi.PrettyMIDI(str(out / "score.mid"))
    assert len(midi.instruments[0].notes) > 10
    abc = (out / "score.abc").read_text()
    assert abc.startswith("X:1") and "K:" in abc


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("transcribe", str(tmp_path / "nope.wav"), "--out", str(tmp_path))
