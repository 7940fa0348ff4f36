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
    assert "<score-partwise" in (out / "score.musicxml").read_text()
    assert (out / "score.pdf").read_bytes().startswith(b"%PDF")
    # One MIDI per track beside the score; solo piano needs no separation, so no stems.
    assert pretty_midi.PrettyMIDI(str(out / "piano.mid")).instruments[0].notes
    assert not (out / "stems").exists()


def test_other_instruments_without_separation_transcribe_the_whole_mix(piano_wav, tmp_path):
    out = tmp_path / "out"
    call_command("transcribe", str(piano_wav), "--out", str(out), "--instruments", "guitar,bass", "--no-separate")
    for name in ("guitar", "bass"):
        midi = pretty_midi.PrettyMIDI(str(out / f"{name}.mid"))
        assert midi.instruments[0].program == {"guitar": 25, "bass": 33}[name]
        assert midi.instruments[0].notes
    assert len(pretty_midi.PrettyMIDI(str(out / "score.mid")).instruments) == 2


def test_unknown_instrument_is_a_clear_error(piano_wav, tmp_path):
    with pytest.raises(CommandError, match="kazoo"):
        call_command("transcribe", str(piano_wav), "--out", str(tmp_path), "--instruments", "kazoo", "--no-separate")


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("transcribe", str(tmp_path / "nope.wav"), "--out", str(tmp_path))
