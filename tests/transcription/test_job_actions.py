"""Duplicate, delete, retry, cancel (the worker really stops), and quotas."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import make_job, make_score, upload_of
from transcription import services
from transcription.errors import JobError
from transcription.models import Job, Score

pytestmark = pytest.mark.django_db


def test_duplicate_copies_score_and_files(client_alice, user, media_root):
    score = make_score(user, "Sonatina")
    response = client_alice.post(reverse("transcription:job_duplicate", args=[score.job_id]))
    copy = Job.objects.exclude(id=score.job_id).get()
    assert response["Location"] == copy.get_absolute_url()
    assert copy.title == "Copy of Sonatina" and copy.status == Job.Status.DONE and copy.copied_from_id == score.job_id
    assert copy.score.doc == score.doc and Path(copy.score.midi.path).read_bytes() == Path(score.midi.path).read_bytes()
    assert Path(copy.audio.path).exists() and copy.audio.path != score.job.audio.path


def test_delete_asks_first_then_removes_the_job_and_its_files(client_alice, user, media_root,
                                                              django_capture_on_commit_callbacks):
    score = make_score(user, "Doomed")
    files = [Path(score.job.audio.path), Path(score.midi.path)]
    assert all(f.exists() for f in files)
    confirm = client_alice.get(reverse("transcription:job_delete", args=[score.job_id]))
    assert "cannot be undone" in confirm.content.decode() and Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client_alice.post(reverse("transcription:job_delete", args=[score.job_id]))
    assert not Job.objects.exists() and not Score.objects.exists()
    assert not any(f.exists() for f in files)
    assert not (media_root / "jobs" / str(score.job_id)).exists()


def test_retry_queues_a_failed_job_again(client_alice, user, queue, django_capture_on_commit_callbacks):
    job = make_job(user, "Flaky", Job.Status.FAILED, error="The worker stopped unexpectedly.")
    with django_capture_on_commit_callbacks(execute=True):
        client_alice.post(reverse("transcription:job_retry", args=[job.id]))
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.error == "" and job.percent == 0
    assert queue.count == 1 and queue.jobs[0].args == (str(job.id),)


def test_retry_of_a_done_job_is_refused_with_a_message(client_alice, user):
    score = make_score(user, "Fine")
    response = client_alice.post(reverse("transcription:job_retry", args=[score.job_id]), follow=True)
    assert "Only a failed or cancelled job can be tried again." in response.content.decode()


def test_cancel_a_queued_job_takes_it_out_of_the_queue(client_alice, user, queue, piano_wav,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(owner=user, upload=upload_of(piano_wav))
    assert queue.count == 1
    with django_capture_on_commit_callbacks(execute=True):
        client_alice.post(reverse("transcription:job_cancel", args=[job.id]))
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and queue.count == 0
    page = client_alice.get(job.get_absolute_url()).content.decode()
    assert "Cancelled." in page and "Try again" in page


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_running_job_in_the_worker(user, settings, monkeypatch):
    """The pipeline runs in the worker's own process: it must stop by itself, at its next progress report."""
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    job = make_job(user, "Endless")
    reports = []

    def endless_pipeline(path, *, options, stems_dir, progress):  # a job that would never end by itself
        while True:
            progress("Transcribing piano", 0.5)
            reports.append(time.monotonic())
            time.sleep(0.05)

    monkeypatch.setattr(services.ml_pipeline, "transcribe_recording", endless_pipeline)
    worker = threading.Thread(target=services.job_run, kwargs={"job_id": job.id})
    worker.start()
    deadline = time.monotonic() + 10
    while not reports and time.monotonic() < deadline:
        time.sleep(0.05)
    services.job_cancel(job_id=job.id)
    cancelled_at = time.monotonic()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the running job did not stop"
    assert reports[-1] - cancelled_at < 2.0  # stopped within a few heartbeats
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and not Score.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_a_running_job_stops_it_too(user, settings, monkeypatch):
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    job = make_job(user, "Endless")
    started = threading.Event()

    def endless_pipeline(path, *, options, stems_dir, progress):
        while True:
            progress("Transcribing piano", 0.5)
            started.set()
            time.sleep(0.05)

    monkeypatch.setattr(services.ml_pipeline, "transcribe_recording", endless_pipeline)
    worker = threading.Thread(target=services.job_run, kwargs={"job_id": job.id})
    worker.start()
    assert started.wait(10)
    services.job_delete(job_id=job.id)
    worker.join(timeout=10)
    assert not worker.is_alive() and not Job.objects.exists()


def test_concurrent_job_quota(user, settings, queue, piano_wav):
    settings.QUOTA_CONCURRENT_JOBS = 1
    services.job_create(owner=user, upload=upload_of(piano_wav))
    with pytest.raises(JobError, match="1 at a time is the limit"):
        services.job_create(owner=user, upload=upload_of(piano_wav))


def test_daily_job_quota_says_when_the_next_one_is_possible(client_alice, user, settings, queue, piano_wav):
    settings.QUOTA_JOBS_PER_DAY = 2
    make_job(user, "One", Job.Status.DONE)
    make_job(user, "Two", Job.Status.FAILED)
    make_score(user, "A copy", copied_from=Job.objects.first())  # copies cost nothing
    response = client_alice.post(reverse("transcription:job_new"), {"audio": upload_of(piano_wav)})
    assert response.status_code == 400
    assert "2 transcriptions in the last 24 hours, the daily limit" in response.content.decode()
    assert Job.objects.count() == 3


def test_daily_audio_minutes_quota(user, settings, queue, piano_wav):
    settings.QUOTA_AUDIO_MINUTES_PER_DAY = 1
    make_job(user, "Long one", Job.Status.DONE, audio_duration=58.5)
    with pytest.raises(JobError, match="past your daily 1 minutes of audio"):
        services.job_create(owner=user, upload=upload_of(piano_wav))


def test_admin_actions_retry_cancel_and_purge(client, user, queue, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-123456")
    client.force_login(staff)
    failed = make_job(user, "Failed one", Job.Status.FAILED)
    queued = make_job(user, "Queued one", Job.Status.QUEUED)
    score = make_score(user, "Done one")
    url = reverse("admin:transcription_job_changelist")
    page = client.get(url).content.decode()
    assert "Failed one" in page and "The recording was silent." in page
    client.post(url, {"action": "retry", "_selected_action": [failed.id]})
    client.post(url, {"action": "cancel", "_selected_action": [queued.id]})
    audio = Path(score.job.audio.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "purge_files", "_selected_action": [score.job_id]})
    failed.refresh_from_db(); queued.refresh_from_db(); score.job.refresh_from_db()  # noqa: E702
    assert failed.status == Job.Status.QUEUED and queued.status == Job.Status.CANCELLED
    assert not audio.exists() and not score.job.audio and Score.objects.filter(id=score.id).exists()


def test_admin_cannot_type_a_jobs_state_in_by_hand(client, user):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-123456")
    client.force_login(staff)
    failed = make_job(user, "Failed one", Job.Status.FAILED)
    page = client.get(reverse("admin:transcription_job_change", args=[failed.id])).content.decode()
    assert 'name="status"' not in page and 'name="title"' in page  # retry and cancel are the ways to change it


def test_admin_is_for_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:transcription_job_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
