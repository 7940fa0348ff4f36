"""`manage.py transcribe INPUT --out DIR`, the pipeline without the web app."""
import io

import pretty_midi
import pytest
from django.core.management import CommandError, call_command

from ml.sources import normalize_youtube_url
from tests.transcription.test_youtube_jobs import video_site  # noqa: F401 - the local stand-in for YouTube
from transcription.management.commands import transcribe

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


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("https://vimeo.com/76979871", "Only YouTube video links are supported"),
        ("http://169.254.169.254/latest/meta-data/", "Only YouTube video links are supported"),
        ("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "playlist, not a single video"),
        ("YOUTU.BE/dQw4w", "cut off or mistyped"),  # a link without scheme, in capitals, is still read as one
    ],
)
def test_links_that_are_not_one_youtube_video_are_refused_with_the_reason(tmp_path, link, reason):
    with pytest.raises(CommandError, match=reason):
        call_command("transcribe", link, "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_youtube_link_is_downloaded_and_transcribed(video_site, tmp_path, monkeypatch):  # noqa: F811
    # The real link rules run; only their answer, YouTube's address, is pointed at the
    # local server that stands in for YouTube (tests can't reach it).
    def to_local_server(text: str) -> str:
        assert normalize_youtube_url(text) == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        return f"{video_site}/piece"

    monkeypatch.setattr(transcribe, "normalize_youtube_url", to_local_server)
    out = tmp_path / "out"
    call_command("transcribe", "YOUTU.BE/dQw4w9WgXcQ?si=tracking", "--out", str(out),
                 "--instruments", "guitar", "--no-separate", stderr=io.StringIO())

    assert pretty_midi.PrettyMIDI(str(out / "guitar.mid")).instruments[0].notes
    assert "Nocturne in E-flat" in (out / "score.abc").read_text()  # the video's title names the score


def test_separation_without_its_weights_names_the_file_and_the_command(piano_wav, tmp_path, settings):
    settings.MODEL_DIR, settings.MODEL_DOWNLOAD = tmp_path / "models", False
    with pytest.raises(CommandError, match=r"5c90dfd2-34c22ccb\.th is missing .*python manage.py fetch_models"):
        call_command("transcribe", str(piano_wav), "--out", str(tmp_path / "out"), "--instruments", "piano,drums")
    assert not (tmp_path / "out" / "score.mid").exists()
