"""Progress events pushed to the job page over Channels.

An event is sent only after the transaction that wrote the state commits, and it
carries the state read back from the row, so the page never hears of a state the
database does not hold.
"""
from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from transcription.models import Job

logger = logging.getLogger(__name__)


def job_group_name(job_id) -> str:
    return f"job-{job_id}"


def job_state(job: Job) -> dict[str, Any]:
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "stage": job.stage,
        "percent": job.percent,
        "error": job.error,
        "stage_timings": job.stage_timings_in_order,  # [stage, seconds] per stage finished so far, in run order
    }


def job_event_on_commit(job: Job) -> None:
    payload = {"type": "job.progress", "state": job_state(job)}
    group = job_group_name(job.id)

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, payload)
        except Exception:  # noqa: BLE001 - a lost event must not fail the job; the page also polls
            logger.warning("could not send progress event for job %s", job.id, exc_info=True)

    transaction.on_commit(send)
