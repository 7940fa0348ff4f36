"""The score page as people who may view but not edit it meet it: a student of the
class it is shared with, and an anonymous holder of a share link."""
from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts import services
from tests.factories import make_score, make_user
from transcription.models import Job, Stem

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(db):
    user = make_user("teacher")
    services.profile_update(user=user, display_name="Mr Bach", email="", is_teacher=True, is_student=False)
    return user


@pytest.fixture
def score(teacher):
    score = make_score(teacher, "Prelude in C", audio=b"RIFF recording bytes")
    stem = Stem(job=score.job, instrument="piano")
    stem.audio.save("piano.mp3", ContentFile(b"ID3 piano stem"), save=False)
    stem.save()
    return score


@pytest.fixture
def student(teacher, score):
    student = make_user("student")
    room = services.classroom_create(teacher=teacher, name="Piano 1")
    services.classroom_join(student=student, join_code=room.join_code)
    services.score_share(score=score, shared_by=teacher, classroom_ids=[room.id])
    return student


def page_of(client, score):
    return client.get(reverse("editor:score_detail", args=[score.id])).content.decode()


def test_back_to_the_job_shows_only_to_the_owner(client, teacher, student, score):
    job_url = score.job.get_absolute_url()
    client.force_login(teacher)
    assert f'href="{job_url}"' in page_of(client, score)
    client.force_login(student)
    assert job_url not in page_of(client, score)  # it would lead the student to a 404
    link = services.share_link_create(score=score, created_by=teacher, expires_in_days=None)
    client.logout()
    assert job_url not in client.get(link.get_absolute_url()).content.decode()


def test_a_student_makes_their_own_copy_from_the_score_page(client, teacher, student, score):
    copy_url = reverse("score_copy", args=[score.id])
    client.force_login(teacher)
    assert copy_url not in page_of(client, score)  # the owner edits the score itself
    client.force_login(student)
    page = page_of(client, score)
    assert f'action="{copy_url}"' in page and "Make my own copy" in page
    response = client.post(copy_url)
    copy = Job.objects.get(owner=student)
    assert response["Location"] == reverse("editor:score_detail", args=[copy.score.id])
    assert client.get(response["Location"]).context["can_edit"] is True


def test_the_performance_midi_is_offered_to_owner_student_and_link_holder(client, teacher, student, score):
    client.force_login(teacher)
    assert reverse("editor:score_download", args=[score.id, "performance-midi"]) in page_of(client, score)
    client.force_login(student)
    assert reverse("editor:score_download", args=[score.id, "performance-midi"]) in page_of(client, score)
    link = services.share_link_create(score=score, created_by=teacher, expires_in_days=None)
    client.logout()
    page = client.get(link.get_absolute_url()).content.decode()
    download = reverse("share_link_download", args=[link.token, "performance-midi"])
    assert download in page and "Performance MIDI" in page
    response = client.get(download)
    assert response.status_code == 200 and response.content.startswith(b"MThd")


def state_of(response) -> dict:
    body = response.content.decode()
    start = body.index(">", body.index('id="editor-state-data"')) + 1
    return json.loads(body[start:body.index("</script>", start)])


def test_a_link_holder_switches_tabs_and_hears_the_recording_until_revoked(client, teacher, score):
    link = services.share_link_create(score=score, created_by=teacher, expires_in_days=None)
    page = client.get(link.get_absolute_url())
    html = page.content.decode()
    state_url = reverse("share_link_state", args=[link.token])
    recording_url = reverse("share_link_recording", args=[link.token])
    stem_url = reverse("share_link_stem", args=[link.token, "piano"])
    assert f'data-state-url="{state_url}"' in html
    # The player's sources go through the link, not the login-only score URLs.
    assert recording_url in html and stem_url in html
    assert reverse("editor:score_recording", args=[score.id]) not in html

    part = page.context["editor_state"]["parts"][0]["id"]
    tab = client.get(state_url, {"part": part}, HTTP_HX_REQUEST="true")
    assert tab.status_code == 200 and state_of(tab)["partId"] == part
    assert "<html" not in tab.content.decode()  # just the state the tab swaps in

    recording = client.get(recording_url)
    assert recording.status_code == 200 and b"".join(recording.streaming_content) == b"RIFF recording bytes"
    ranged = client.get(recording_url, HTTP_RANGE="bytes=5-8")
    assert ranged.status_code == 206 and ranged.content == b"reco"
    assert b"".join(client.get(stem_url).streaming_content) == b"ID3 piano stem"

    services.share_link_revoke(score=score, link_id=link.id)
    for url in (state_url, recording_url, stem_url):
        assert client.get(url).status_code == 404, url
