"""Reads of jobs and scores, always scoped to who is asking."""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from transcription.models import Job

HISTORY_SORTS = {
    "new": ("Newest first", ["-created_at"]),
    "old": ("Oldest first", ["created_at"]),
    "title": ("Title A–Z", ["title", "-created_at"]),
    "long": ("Longest first", ["-audio_duration", "-created_at"]),
}


def job_list_for(*, user) -> QuerySet[Job]:
    return Job.objects.filter(owner=user).select_related("score").order_by("-created_at")


def job_history(*, user, query: str = "", status: str = "", instrument: str = "", sort: str = "new") -> QuerySet[Job]:
    """The user's jobs for "My scores": searched by title, filtered, sorted."""
    jobs = Job.objects.filter(owner=user).select_related("score").defer("score__doc")
    if query:
        jobs = jobs.filter(title__icontains=query)
    if status:
        jobs = jobs.filter(status=status)
    if instrument:
        # Asked for explicitly, or found by "auto" (the stored transcription names each track's
        # instrument). JSON as text: the same lookup on PostgreSQL and SQLite.
        jobs = jobs.filter(
            Q(instruments__icontains=f'"{instrument}"') | Q(score__notes__icontains=f'"instrument": "{instrument}"')
        )
    return jobs.order_by(*HISTORY_SORTS.get(sort, HISTORY_SORTS["new"])[1])


def job_get_for(*, user, job_id: UUID) -> Job:
    """The user's own job; 404 for anyone else, so ids of others' jobs leak nothing."""
    job = Job.objects.filter(id=job_id, owner=user).select_related("score").first()
    if job is None:
        raise Http404("No such job")
    return job


@dataclass(frozen=True)
class PreviewNote:
    x: float
    y: float
    width: float


@dataclass(frozen=True)
class Preview:
    """A tiny piano roll of a score's opening seconds, drawn as SVG in the history list."""

    notes: list[PreviewNote]
    width: int = 120
    height: int = 40


PREVIEW_SECONDS = 8.0


def score_preview(notes_dict: dict | None) -> Preview | None:
    if not notes_dict:
        return None
    rows = [row for track in notes_dict.get("tracks", []) if not track.get("is_drum") for row in track["notes"]]
    rows = [row for row in rows if row[1] < PREVIEW_SECONDS]
    if not rows:
        return None
    low, high = min(r[0] for r in rows), max(r[0] for r in rows)
    span = max(high - low, 12)
    width, height = Preview.width, Preview.height
    scale_x = width / PREVIEW_SECONDS
    notes = [
        PreviewNote(
            x=round(onset * scale_x, 1),
            y=round((height - 3) * (1 - (pitch - low) / span), 1),
            width=round(max(1.0, (min(offset, PREVIEW_SECONDS) - onset) * scale_x), 1),
        )
        for pitch, onset, offset, *_ in rows[:400]
    ]
    return Preview(notes=notes)


def job_instruments(job: Job) -> list[str]:
    """What the job transcribes: the instruments asked for, else those found."""
    if job.instruments:
        return list(job.instruments)
    score = getattr(job, "score", None)
    if score is None:
        return []
    return sorted({t["instrument"] for t in (score.notes or {}).get("tracks", [])})
