"""A user signs up, uploads a piano recording, a real worker runs the real model,
and the score and its MIDI come back right."""
from __future__ import annotations

import asyncio
import io

import pretty_midi
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from bench.metrics import onset_f1
from ml.notes import Transcription
from tests.factories import upload_of
from tests.synth import PIANO_PHRASE
from transcription.events import job_group_name
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def listen_to_job(job):
    """Join the job's progress group as the job page's socket does; returns a drain function."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(job_group_name(job.id), channel)

    async def drain():
        states = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=1)
            except asyncio.TimeoutError:
                return states
            states.append(message["state"])

    return lambda: async_to_sync(drain)()


def test_sign_up_upload_transcribe_and_read_the_score(client, queue, run_worker, piano_wav):
    response = client.post(
        reverse("sign_up"),
        {"username": "pianist", "password1": "Chopin-Nocturne-9", "password2": "Chopin-Nocturne-9"},
    )
    assert response.status_code == 302

    response = client.post(reverse("transcription:job_new"), {"audio": upload_of(piano_wav, "phrase.wav")})
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.QUEUED

    events = listen_to_job(job)
    run_worker()
    progress = events()

    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.percent == 100
    assert set(job.stage_timings) >= {"Reading audio", "Transcribing piano", "Writing score"}

    # What the job page heard over the WebSocket: in order, moving during transcription, then done.
    percents = [e["percent"] for e in progress]
    assert percents == sorted(percents)
    transcribing = {e["percent"] for e in progress if e["stage"] == "Transcribing piano"}
    assert len(transcribing) >= 2, progress
    assert progress[-1]["status"] == "done" and progress[-1]["percent"] == 100

    stored = Transcription.from_dict(job.score.notes)
    (piano,) = stored.tracks
    f1 = onset_f1(PIANO_PHRASE, piano.notes)
    print(f"end-to-end onset F1 = {f1:.3f} ({len(piano.notes)} notes found, {len(PIANO_PHRASE)} played)")
    assert f1 >= 0.9

    midi = client.get(reverse("transcription:job_midi", args=[job.id]))
    assert midi.status_code == 200
    assert midi["Content-Disposition"].startswith('attachment; filename="phrase.mid"')
    parsed = pretty_midi.PrettyMIDI(io.BytesIO(b"".join(midi.streaming_content)))
    assert sorted(n.pitch for n in parsed.instruments[0].notes) == sorted(n.pitch for n in piano.notes)

    job_page = client.get(job.get_absolute_url()).content.decode()
    score_page = client.get(reverse("editor:score_detail", args=[job.score.id])).content.decode()
    for page in (job_page, score_page):
        assert "abcjs-basic-min.js" in page
        # The ABC travels JSON-encoded; its header lines are there verbatim.
        assert "X:1" in page and "V:1" in page
    assert job.score.abc_element_id in job_page  # the job page's preview of the score
    assert 'id="editor-state-data"' in score_page  # the editor's score, ABC and id map
