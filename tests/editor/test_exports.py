"""Every export of a score downloads as a real file of its kind, for its owner only."""
import io

import music21
import pretty_midi
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def written_notes(parsed):
    """Notes and chords on the staves; chord symbols above them are not notes."""
    return [n for n in parsed.recurse().notes if not isinstance(n, music21.harmony.ChordSymbol)]


def download(client, score, format):
    return client.get(reverse("editor:score_download", args=[score.id, format]))


def test_midi_export_has_the_notes(client_alice, score):
    response = download(client_alice, score, "midi")
    assert response["Content-Disposition"] == 'attachment; filename="Minuet.mid"'
    midi = pretty_midi.PrettyMIDI(io.BytesIO(response.content))
    assert [n.pitch for n in midi.instruments[0].notes] == [60]


def test_musicxml_export_opens_with_the_notes(client_alice, score):
    response = download(client_alice, score, "musicxml")
    assert response["Content-Type"] == "application/vnd.recordare.musicxml+xml"
    parsed = music21.converter.parseData(response.content.decode())
    assert [p.midi for n in written_notes(parsed) for p in n.pitches] == [60]


def test_performance_midi_keeps_the_recordings_own_timing(client_alice, score):
    response = download(client_alice, score, "performance-midi")
    assert response["Content-Disposition"] == 'attachment; filename="Minuet.performance.mid"'
    midi = pretty_midi.PrettyMIDI(io.BytesIO(response.content))
    assert [(n.pitch, round(n.start, 3), round(n.end, 3)) for n in midi.instruments[0].notes] == [(60, 0.0, 0.5)]


def test_exports_follow_the_stored_notation_and_the_current_title(client_alice, scale_score):
    scale_score.title = "Renamed"
    scale_score.save()
    abc = download(client_alice, scale_score, "abc").content.decode()
    assert "T:Renamed" in abc
    parsed = music21.converter.parseData(download(client_alice, scale_score, "musicxml").content.decode())
    assert [p.midi for n in written_notes(parsed) for p in n.pitches] == [60, 62, 64, 65, 67, 69, 71, 72]
    midi = pretty_midi.PrettyMIDI(io.BytesIO(download(client_alice, scale_score, "midi").content))
    assert [n.pitch for n in midi.instruments[0].notes] == [60, 62, 64, 65, 67, 69, 71, 72]


def test_pdf_and_abc_exports(client_alice, score):
    assert download(client_alice, score, "pdf").content.startswith(b"%PDF")
    abc = download(client_alice, score, "abc")
    assert abc.content.startswith(b"X:1") and abc["Content-Disposition"].endswith('Minuet.abc"')


def test_others_and_unknown_formats_get_not_found(client, other_user, client_alice, score):
    assert download(client_alice, score, "docx").status_code == 404
    client.force_login(other_user)
    assert download(client, score, "pdf").status_code == 404
