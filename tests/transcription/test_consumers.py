"""Live progress over the WebSocket: the owner hears every change in order; nobody else hears anything."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.base import ContentFile

from rescored_site.asgi import application
from tests import factories
from transcription import services
from transcription.consumers import CLOSE_FORBIDDEN
from transcription.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_job(owner) -> Job:
    job = Job(owner=owner, title="Etude")
    job.audio.save("etude.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    return job


async def connect(job: Job, user=None) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = WebsocketCommunicator(
        application, f"/ws/jobs/{job.id}/", headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    )
    if user is not None:
        communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_owner_receives_current_state_then_progress_in_order(redis_server):
    owner = await database_sync_to_async(factories.make_user)("owner")
    job = await make_job(owner)
    communicator, connected, _ = await connect(job, owner)
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["status"] == "queued"

    await database_sync_to_async(services.job_start)(job_id=job.id)
    for fraction in (0.1, 0.35, 0.8):
        await database_sync_to_async(services.job_report_progress)(
            job_id=job.id, stage="Transcribing piano", fraction=fraction,
            finished_stages={"Reading audio": 0.4} if fraction == 0.1 else None,
        )
    await database_sync_to_async(services.job_fail)(job_id=job.id, reason="The recording was silent.")

    received = [await communicator.receive_json_from(timeout=5) for _ in range(5)]
    assert [(e["status"], e["percent"]) for e in received] == [
        ("running", 0), ("running", 10), ("running", 35), ("running", 80), ("failed", 80),
    ]
    assert received[1]["stage"] == "Transcribing piano"
    assert received[1]["stage_timings"] == [["Reading audio", 0.4]]  # the page lists the stages done
    assert received[-1]["error"] == "The recording was silent."
    await communicator.disconnect()


async def test_another_user_is_refused(redis_server):
    owner = await database_sync_to_async(factories.make_user)("owner")
    intruder = await database_sync_to_async(factories.make_user)("intruder")
    job = await make_job(owner)
    communicator, connected, code = await connect(job, intruder)
    assert not connected and code == CLOSE_FORBIDDEN


async def test_anonymous_visitor_is_refused(redis_server):
    owner = await database_sync_to_async(factories.make_user)("owner")
    job = await make_job(owner)
    communicator, connected, code = await connect(job)
    assert not connected and code == CLOSE_FORBIDDEN
