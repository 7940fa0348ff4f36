"""Jobs that separate the instruments first: stems kept for listening, and a clear
message naming the missing file when the separation weights are not installed."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from ml import weights
from tests.ml.separation.test_demucs import TINY, save_tiny_model
from transcription import services
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def separating_job(owner, wav_path, instruments) -> Job:
    job = Job(owner=owner, title="Band", separate=True, instruments=instruments)
    job.audio.save("band.wav", ContentFile(wav_path.read_bytes()), save=False)
    job.save()
    services.job_enqueue(job_id=job.id)
    return job


def test_missing_separation_weights_fail_the_job_naming_file_and_command(user, client_alice, queue, run_worker,
                                                                      piano_wav, settings, tmp_path):
    settings.MODEL_DIR = tmp_path / "empty-models"
    job = separating_job(user, piano_wav, ["bass"])
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    page = client_alice.get(job.get_absolute_url()).content.decode()
    assert "fetch_models" in page
    assert any(f.name in job.error for f in weights.CATALOGUE["htdemucs_6s"].files), job.error
    # How far it got, and how long that took, is kept and shown.
    assert {"Reading audio", "Separating instruments"} <= set(job.stage_timings)
    assert '<span class="timing">Separating instruments ' in page


@pytest.fixture
def one_torch_thread():
    """The tiny model's operations are too small to gain from threads; on a busy
    machine, waiting worker threads make it many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_separated_job_keeps_every_stem_to_listen_to(user, other_user, client, queue, run_worker, piano_wav,
                                                     settings, tmp_path, monkeypatch, one_torch_thread):
    # A tiny untrained HTDemucs saved the way the released one is: the real loading and
    # chunked-apply path, with noise for output.
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_model(tmp_path / "models"))
    settings.MODEL_DIR, settings.SEPARATION_MODEL = tmp_path / "models", TINY
    job = separating_job(user, piano_wav, ["bass", "guitar"])
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert "Separating instruments" in job.stage_timings
    assert sorted(s.instrument for s in job.stems.all()) == sorted(["drums", "bass", "other", "vocals", "guitar", "piano"])
    assert [t["instrument"] for t in job.score.notes["tracks"]] == ["bass", "guitar"]

    client.force_login(user)
    stem_url = reverse("transcription:job_stem", args=[job.id, "bass"])
    assert stem_url in client.get(job.get_absolute_url()).content.decode()
    response = client.get(stem_url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
    client.force_login(other_user)
    assert client.get(stem_url).status_code == 404
