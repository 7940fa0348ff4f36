"""The recording beside the score: only for those who may view it, seekable by byte ranges."""
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from editor.playback import score_recording_offset
from transcription.models import Stem

pytestmark = pytest.mark.django_db


def test_the_recording_streams_whole_or_by_range(client_alice, score):
    url = reverse("editor:score_recording", args=[score.id])
    whole = client_alice.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == b"RIFF"
    assert whole["Accept-Ranges"] == "bytes"
    part = client_alice.get(url, HTTP_RANGE="bytes=1-2")
    assert part.status_code == 206 and part.content == b"IF" and part["Content-Range"] == "bytes 1-2/4"
    tail = client_alice.get(url, HTTP_RANGE="bytes=-1")
    assert tail.status_code == 206 and tail.content == b"F"
    assert client_alice.get(url, HTTP_RANGE="bytes=9-").status_code == 416


def test_stems_and_recording_are_hidden_from_others(client, other_user, score):
    Stem.objects.create(job=score.job, instrument="bass", audio=ContentFile(b"ID3", name="bass.mp3"))
    client.force_login(other_user)
    assert client.get(reverse("editor:score_recording", args=[score.id])).status_code == 404
    assert client.get(reverse("editor:score_stem", args=[score.id, "bass"])).status_code == 404
    assert client.get(reverse("editor:score_print", args=[score.id])).status_code == 404


def test_a_stem_plays_for_the_owner_and_a_missing_one_is_404(client_alice, score):
    Stem.objects.create(job=score.job, instrument="bass", audio=ContentFile(b"ID3", name="bass.mp3"))
    response = client_alice.get(reverse("editor:score_stem", args=[score.id, "bass"]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"ID3"
    assert client_alice.get(reverse("editor:score_stem", args=[score.id, "drums"])).status_code == 404


def test_bar_one_starts_at_the_first_pitched_onset(score):
    score.notes = {"schema": 1, "duration": 3.0, "tracks": [
        {"name": "Drums", "instrument": "drums", "program": 0, "is_drum": True, "notes": [[36, 0.1, 0.2, 90]]},
        {"name": "Piano", "instrument": "piano", "program": 0, "is_drum": False, "notes": [[60, 0.62, 1.0, 80], [64, 0.9, 1.2, 80]]},
    ]}
    assert score_recording_offset(score=score) == pytest.approx(0.62)
    score.notes = {}
    assert score_recording_offset(score=score) == 0.0


def test_the_print_view_and_the_job_page_show_the_score_as_edited(client_alice, scale_score, user):
    from editor import services
    from tests.editor.conftest import first_event

    pages = (reverse("editor:score_print", args=[scale_score.id]), scale_score.job.get_absolute_url())
    for url in pages:
        assert "^C" not in client_alice.get(url).content.decode(), url
    event_id = first_event(scale_score.doc)["id"]
    services.score_apply_edit(score_id=scale_score.id, user=user, op="transpose",
                              params={"ids": [event_id], "semitones": 1}, seen_revision=0)
    for url in pages:
        assert "^C" in client_alice.get(url).content.decode(), url  # the raised first note, C#, handed to abcjs
