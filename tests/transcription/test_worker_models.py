"""What a transcription worker does with its models and what a job's score carries:
models loaded once and kept across jobs in the worker's own process (no fork per
job), every instrument a track with its General MIDI program in the stored score,
its parts and both MIDI downloads, and the stage timings on the job page."""
from __future__ import annotations

import io
import os

import pretty_midi
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from ml import pipeline, registry
from ml.models import basic_pitch
from transcription import services
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# instrument → (General MIDI program, 0-based; drum track)
GENERAL_MIDI = {
    "piano": (0, False), "guitar": (25, False), "bass": (33, False),
    "vocals": (53, False), "drums": (0, True), "other": (0, False),
}


def queued_job(owner, wav_path, instruments) -> Job:
    job = Job(owner=owner, title="Phrase", instruments=instruments)
    job.audio.save("phrase.wav", ContentFile(wav_path.read_bytes()), save=False)
    job.save()
    services.job_enqueue(job_id=job.id)
    return job


def _spy(calls: list, label: str, function):
    """``function`` itself, noting each call and the process it ran in."""
    def spied(*args, **kwargs):
        calls.append((label, os.getpid()))
        return function(*args, **kwargs)

    return spied


def test_models_load_once_and_serve_every_job_in_the_workers_own_process(user, queue, run_worker, piano_wav,
                                                                        monkeypatch):
    # Spies on the real loaders and the real per-stem call: nothing is faked.
    monkeypatch.setattr(registry, "_cache", {})
    monkeypatch.setattr(basic_pitch, "_session", None)
    loads, stems = [], []
    monkeypatch.setattr(registry, "_load", _spy(loads, "transkun", registry._load))
    monkeypatch.setattr(basic_pitch, "_load_session", _spy(loads, "basic-pitch", basic_pitch._load_session))
    monkeypatch.setattr(pipeline, "_transcribe_stem", _spy(stems, "stem", pipeline._transcribe_stem))

    # Piano is loaded at worker start either way; bass and drums keep the jobs quick on a CPU.
    jobs = [queued_job(user, piano_wav, ["bass", "drums"]) for _ in range(2)]
    run_worker()

    for job in jobs:
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.error
    here = os.getpid()
    assert sorted(loads) == [("basic-pitch", here), ("transkun", here)]
    # All four stems ran here: a worker forking per job would run them in children, unseen.
    assert stems == [("stem", here)] * 4


def test_a_worker_serving_only_the_download_queue_loads_no_model(download_queue, monkeypatch):
    from transcription.worker import TranscriptionWorker

    loads = []
    monkeypatch.setattr(registry, "_cache", {})
    monkeypatch.setattr(basic_pitch, "_session", None)
    monkeypatch.setattr(registry, "_load", _spy(loads, "transkun", registry._load))
    monkeypatch.setattr(basic_pitch, "_load_session", _spy(loads, "basic-pitch", basic_pitch._load_session))
    TranscriptionWorker([download_queue], connection=download_queue.connection).work(burst=True)
    assert loads == []


def test_every_instrument_is_a_track_with_its_general_midi_program(user, client, queue, run_worker, piano_wav):
    job = queued_job(user, piano_wav, list(GENERAL_MIDI))
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error

    expected = [(name, *GENERAL_MIDI[name]) for name in GENERAL_MIDI]
    score = job.score
    assert [(t["instrument"], t["program"], t["is_drum"]) for t in score.notes["tracks"]] == expected
    assert [(p["instrument"], p["program"], p["is_drum"]) for p in score.doc["parts"]] == expected

    client.force_login(user)
    downloads = {
        "as transcribed": reverse("transcription:job_midi", args=[job.id]),
        "from the score": reverse("editor:score_download", args=[score.id, "midi"]),
    }
    for what, url in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, what
        data = b"".join(response.streaming_content) if response.streaming else response.content
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
        # pretty_midi reads back only tracks that hold notes; each must carry its program.
        heard = {(i.name, i.program, i.is_drum) for i in midi.instruments}
        names = {t["instrument"]: t["name"] for t in score.notes["tracks"]}
        with_notes = [t["instrument"] for t in score.notes["tracks"] if t["notes"]]
        assert {"piano", "drums"} <= set(with_notes), what
        assert heard == {(names[n], *GENERAL_MIDI[n]) for n in with_notes}, what

    page = client.get(job.get_absolute_url()).content.decode()
    for stage in ("Reading audio", "Transcribing piano", "Transcribing drums", "Writing score"):
        assert f'<span class="timing">{stage} ' in page
