import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from ml.notes import Note, Track, Transcription
from transcription.models import Job, Score

pytestmark = pytest.mark.django_db

ABC = "X:1\nT:Minuet <in> G & more\nM:4/4\nL:1/16\nK:C\nC4 E4 G8|]\n"


@pytest.fixture
def score(user):
    job = Job(owner=user, title="Minuet", status=Job.Status.DONE)
    job.audio.save("minuet.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    notes = Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=1.0)
    s = Score(job=job, title="Minuet", notes=notes.to_dict(), abc=ABC)
    s.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    s.save()
    return s


def test_owner_sees_the_score_rendered_from_its_abc(client_alice, score):
    page = client_alice.get(reverse("editor:score_detail", args=[score.id])).content.decode()
    assert "abcjs-basic-min.js" in page and "js/score.js" in page
    # The ABC reaches the page JSON-encoded inside a script element, markup characters escaped.
    assert f'id="{score.abc_element_id}"' in page
    assert "T:Minuet \\u003Cin\\u003E G \\u0026 more" in page


def test_other_users_get_not_found(client, other_user, score):
    client.force_login(other_user)
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, score):
    response = client.get(reverse("editor:score_detail", args=[score.id]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
