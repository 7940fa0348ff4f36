"""Reads of jobs and scores, always scoped to who is asking."""
from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from transcription.models import Job


def job_list_for(*, user) -> QuerySet[Job]:
    return Job.objects.filter(owner=user).select_related("score").order_by("-created_at")


def job_get_for(*, user, job_id: UUID) -> Job:
    """The user's own job; 404 for anyone else, so ids of others' jobs leak nothing."""
    job = Job.objects.filter(id=job_id, owner=user).select_related("score").first()
    if job is None:
        raise Http404("No such job")
    return job
