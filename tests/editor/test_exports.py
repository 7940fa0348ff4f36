"""Every export of a score downloads as a real file of its kind, for its owner only."""
import io

import music21
import pretty_midi
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


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
    assert [p.midi for n in parsed.recurse().notes for p in n.pitches] == [60]


def test_pdf_and_abc_exports(client_alice, score):
    assert download(client_alice, score, "pdf").content.startswith(b"%PDF")
    abc = download(client_alice, score, "abc")
    assert abc.content.startswith(b"X:1") and abc["Content-Disposition"].endswith('Minuet.abc"')


def test_others_and_unknown_formats_get_not_found(client, other_user, client_alice, score):
    assert download(client_alice, score, "docx").status_code == 404
    client.force_login(other_user)
    assert download(client, score, "pdf").status_code == 404
