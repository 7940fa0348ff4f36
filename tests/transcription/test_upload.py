"""What a user sees when they submit a recording we cannot or will not take."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from redis import Redis
from rq import Queue

from transcription.models import Job

pytestmark = pytest.mark.django_db


def tone_wav(tmp_path, seconds: float, name: str = "tone.wav"):
    t = np.arange(int(seconds * 22050)) / 22050
    path = tmp_path / name
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
    return path


def submit(client, upload):
    return client.post(reverse("transcription:job_new"), {"audio": upload})


def test_upload_page_needs_login(client):
    response = client.get(reverse("transcription:job_new"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_valid_upload_creates_a_queued_job_and_enqueues_it(client_alice, queue, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client_alice, SimpleUploadedFile("my song.wav", tone_wav(tmp_path, 2).read_bytes()))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.QUEUED and job.title == "my song"
    assert job.audio_duration == pytest.approx(2.0, abs=0.05)
    assert queue.job_ids == [job.rq_job_id]
    page = client_alice.get(job.get_absolute_url())
    assert "Waiting for a worker" in page.content.decode()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.txt", b"hello", "is not a recording we can read"),
        ("fake.mp3", b"this is plain text, not audio at all" * 50, "fake.mp3"),
        ("picture.wav", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "picture.wav"),
    ],
)
def test_non_audio_is_refused_with_a_message(client_alice, queue, name, content, message):
    response = submit(client_alice, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Job.objects.exists() and queue.count == 0


def test_non_audio_message_says_it_is_not_audio(client_alice, queue):
    response = submit(client_alice, SimpleUploadedFile("fake.mp3", b"plain text " * 100))
    text = response.content.decode().lower()
    assert "audio" in text


def test_empty_file_is_refused(client_alice, queue):
    # Django's own FileField check answers an empty upload before ours does.
    response = submit(client_alice, SimpleUploadedFile("empty.wav", b""))
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    assert not Job.objects.exists()


def test_file_over_the_size_limit_is_refused(client_alice, queue, settings, tmp_path):
    settings.MAX_UPLOAD_MB = 1
    big = tone_wav(tmp_path, 30)  # ~1.3 MB of 16-bit mono
    response = submit(client_alice, SimpleUploadedFile("big.wav", big.read_bytes()))
    assert response.status_code == 400
    assert "the limit is 1 MB" in response.content.decode()
    assert not Job.objects.exists()


def test_audio_longer_than_the_maximum_is_refused(client_alice, queue, settings, tmp_path):
    settings.MAX_AUDIO_MINUTES = 0.05  # 3 seconds
    response = submit(client_alice, SimpleUploadedFile("long.wav", tone_wav(tmp_path, 5).read_bytes()))
    assert response.status_code == 400
    assert "at most 0:03 min" in response.content.decode()
    assert not Job.objects.exists()


def test_redis_down_at_submit_time_says_so_and_saves_nothing(client_alice, monkeypatch, tmp_path):
    # Fault injection: the queue points at a port where no Redis listens.
    dead = Queue("gpu", connection=Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5))
    monkeypatch.setattr("transcription.queues.transcription_queue", lambda: dead)
    response = submit(client_alice, SimpleUploadedFile("song.wav", tone_wav(tmp_path, 1).read_bytes()))
    assert response.status_code == 400
    assert "queue is not reachable" in response.content.decode()
    assert not Job.objects.exists()


def test_redis_lost_between_submit_and_enqueue_fails_the_job_with_a_reason(
    client_alice, queue, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    from transcription import queues

    real = queues.transcription_queue
    calls = {"n": 0}

    def flaky():  # reachable for the check, gone by the time the job is enqueued
        calls["n"] += 1
        if calls["n"] == 1:
            return real()
        return Queue("gpu", connection=Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5))

    monkeypatch.setattr("transcription.queues.transcription_queue", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client_alice, SimpleUploadedFile("song.wav", tone_wav(tmp_path, 1).read_bytes()))
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    page = client_alice.get(response["Location"]).content.decode()
    assert "Transcription failed" in page and "queue is not reachable" in page


def test_without_separation_weights_the_form_says_so_and_refuses_separation(
    client_alice, queue, settings, tmp_path
):
    # Offline (no downloads) and nothing in MODEL_DIR: a separating job could only fail in the worker.
    settings.MODEL_DIR, settings.MODEL_DOWNLOAD = tmp_path / "models", False
    form_page = client_alice.get(reverse("transcription:job_new")).content.decode()
    assert "Not available on this server yet" in form_page

    upload = SimpleUploadedFile("band.wav", tone_wav(tmp_path, 1).read_bytes())
    for data in ({"audio": upload}, {"url": "https://youtu.be/dQw4w9WgXcQ"}):
        response = client_alice.post(reverse("transcription:job_new"), {**data, "separate": "on", "instruments": ["bass"]})
        text = response.content.decode()
        assert response.status_code == 400
        assert "5c90dfd2-34c22ccb.th" in text and "python manage.py fetch_models" in text
        assert not Job.objects.exists() and queue.count == 0

    # The same recording without separation is taken.
    upload.seek(0)
    response = client_alice.post(reverse("transcription:job_new"), {"audio": upload, "instruments": ["bass"]})
    assert response.status_code == 302 and Job.objects.get().separate is False


def test_with_separation_weights_in_place_separation_is_offered_and_taken(client_alice, queue, separation_installed,
                                                                         tmp_path):
    assert "Not available" not in client_alice.get(reverse("transcription:job_new")).content.decode()
    upload = SimpleUploadedFile("band.wav", tone_wav(tmp_path, 1).read_bytes())
    response = client_alice.post(reverse("transcription:job_new"), {"audio": upload, "separate": "on"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.separate and job.instruments == []  # "auto": the worker picks the stems with content
