"""A job never stays "running": every way a worker can fail ends the job with a reason."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import upload_of
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def submit(client, path) -> Job:
    client.post(reverse("transcription:job_new"), {"audio": upload_of(path)})
    return Job.objects.get()


def test_unreadable_audio_at_run_time_fails_with_the_reason(client_alice, queue, run_worker, piano_wav):
    job = submit(client_alice, piano_wav)
    Path(job.audio.path).write_bytes(b"corrupted on disk after upload")  # fault injection
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    page = client_alice.get(job.get_absolute_url()).content.decode()
    assert "Transcription failed" in page and "audio" in job.error.lower()


def test_job_over_its_time_limit_is_stopped_and_failed(client_alice, queue, run_worker, piano_wav, settings):
    settings.JOB_TIMEOUT_SECONDS = 1
    job = submit(client_alice, piano_wav)
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "longer than the allowed" in job.error


def test_worker_killed_mid_job_fails_the_job_with_a_reason(client_alice, queue, piano_wav, process_env):
    job = submit(client_alice, piano_wav)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "gpu", "--burst",
         "--worker-class", "transcription.worker.TranscriptionWorker"],
        cwd=REPO, env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while Job.objects.get(id=job.id).status != Job.Status.RUNNING:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)  # as the kernel's OOM killer would
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    time.sleep(settings.JOB_STALE_AFTER_SECONDS + 1)
    page = client_alice.get(job.get_absolute_url()).content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped unexpectedly" in page
