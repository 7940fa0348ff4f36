"""Each user's history is theirs alone."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from transcription.models import Job

pytestmark = pytest.mark.django_db


def make_job(owner, title, status=Job.Status.QUEUED, **fields) -> Job:
    job = Job(owner=owner, title=title, status=status, **fields)
    job.audio.save(f"{title}.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    return job


def test_history_lists_own_jobs_newest_first_with_status(client_alice, user, other_user):
    make_job(user, "First piece", Job.Status.DONE)
    make_job(user, "Second piece", Job.Status.FAILED, error="The recording was silent.")
    make_job(other_user, "Mallory's secret")
    page = client_alice.get(reverse("transcription:job_list")).content.decode()
    assert page.index("Second piece") < page.index("First piece")
    assert "Done" in page and "Failed" in page
    assert "Mallory" not in page


def test_other_users_jobs_and_files_are_not_found(client, user, other_user):
    job = make_job(user, "Private")
    client.force_login(other_user)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("transcription:job_midi", args=[job.id])).status_code == 404


def test_history_needs_login(client):
    response = client.get(reverse("transcription:job_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_midi_of_a_job_without_score_is_not_found(client_alice, user):
    job = make_job(user, "Still running", Job.Status.RUNNING)
    assert client_alice.get(reverse("transcription:job_midi", args=[job.id])).status_code == 404


def test_running_job_page_polls_and_shows_stage_and_percent(client_alice, user):
    from django.utils import timezone

    job = make_job(user, "Busy", Job.Status.RUNNING, stage="Transcribing piano", percent=42, heartbeat_at=timezone.now())
    page = client_alice.get(job.get_absolute_url()).content.decode()
    assert "Transcribing piano" in page and "42" in page
    assert 'hx-trigger="every 2s' in page  # the fallback when the WebSocket is down
    partial = client_alice.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="job-status"' in partial
