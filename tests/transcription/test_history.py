"""Each user's history is theirs alone."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from transcription.models import Job

pytestmark = pytest.mark.django_db


def make_job(owner, title, status=Job.Status.QUEUED, **fields) -> Job:
    job = Job(owner=owner, title=title, status=status, **fields)
    job.audio.save(f"{title}.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    return job


def test_history_lists_own_jobs_newest_first_with_status(client_alice, user, other_user):
    make_job(user, "First piece", Job.Status.DONE)
    make_job(user, "Second piece", Job.Status.FAILED, error="The recording was silent.")
    make_job(other_user, "Mallory's secret")
    page = client_alice.get(reverse("transcription:job_list")).content.decode()
    assert page.index("Second piece") < page.index("First piece")
    assert "Done" in page and "Failed" in page
    assert "Mallory" not in page


def test_other_users_jobs_and_files_are_not_found(client, user, other_user):
    job = make_job(user, "Private")
    client.force_login(other_user)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("transcription:job_midi", args=[job.id])).status_code == 404


def test_history_needs_login(client):
    response = client.get(reverse("transcription:job_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_midi_of_a_job_without_score_is_not_found(client_alice, user):
    job = make_job(user, "Still running", Job.Status.RUNNING)
    assert client_alice.get(reverse("transcription:job_midi", args=[job.id])).status_code == 404


def test_running_job_page_polls_and_shows_stage_and_percent(client_alice, user):
    from django.utils import timezone

    job = make_job(user, "Busy", Job.Status.RUNNING, stage="Transcribing piano", percent=42, heartbeat_at=timezone.now(),
                   stage_timings={"Reading audio": 1.24})
    page = client_alice.get(job.get_absolute_url()).content.decode()
    assert "Transcribing piano" in page and "42" in page
    assert "Reading audio 1.2 s" in page  # the stages already done, with their times
    assert 'hx-trigger="every 2s' in page  # the fallback when the WebSocket is down
    partial = client_alice.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="job-status"' in partial


def test_stage_times_are_listed_in_the_order_the_stages_ran(client_alice, user):
    # PostgreSQL's jsonb hands keys back sorted by length: "Writing score" before "Transcribing piano".
    timings = {"Writing score": 2.6, "Reading audio": 0.1, "Transcribing piano": 16.5, "Separating instruments": 3.0,
               "Transcribing bass": 1.0, "Fetching video details": 0.5}
    job = make_job(user, "Failed late", Job.Status.FAILED, stage_timings=timings, error="The time limit was reached.")
    job.refresh_from_db()
    page = client_alice.get(job.get_absolute_url()).content.decode()
    shown = ["Fetching video details", "Separating instruments", "Transcribing piano", "Transcribing bass",
             "Writing score"]
    positions = [page.index(f"{stage} ") for stage in shown]
    assert positions == sorted(positions)
    assert page.index("Reading audio") < page.index("Separating instruments")


# ---------------------------------------------------------------- search, filter, sort, pages

from datetime import timedelta  # noqa: E402

from django.utils import timezone  # noqa: E402

from tests.factories import make_score  # noqa: E402


def titles_in(page: str, *candidates: str) -> list[str]:
    return sorted((page.index(t), t) for t in candidates if t in page) and [
        t for _, t in sorted((page.index(t), t) for t in candidates if t in page)]


def test_search_filter_and_sort(client_alice, user):
    make_score(user, "Moonlight Sonata", "piano", audio_duration=300)
    make_score(user, "Walking Bass Line", "bass", audio_duration=60)
    make_job(user, "Moon River", Job.Status.FAILED, error="Silent.")
    url = reverse("transcription:job_list")
    everything = ("Moonlight Sonata", "Walking Bass Line", "Moon River")
    assert titles_in(client_alice.get(url, {"q": "moon"}).content.decode(), *everything) == ["Moon River", "Moonlight Sonata"]
    assert titles_in(client_alice.get(url, {"status": "failed"}).content.decode(), *everything) == ["Moon River"]
    # "auto" jobs are found by the instruments their score really has.
    assert titles_in(client_alice.get(url, {"instrument": "bass"}).content.decode(), *everything) == ["Walking Bass Line"]
    assert titles_in(client_alice.get(url, {"sort": "title"}).content.decode(), *everything) == sorted(everything)
    assert titles_in(client_alice.get(url, {"sort": "long", "status": "done"}).content.decode(), *everything) == [
        "Moonlight Sonata", "Walking Bass Line"]
    assert "No scores match" in client_alice.get(url, {"q": "zzz"}).content.decode()


def test_history_shows_source_instruments_duration_and_a_preview(client_alice, user):
    make_score(user, "Prelude", "piano", audio_duration=95)
    make_job(user, "From YouTube", Job.Status.QUEUED, source=Job.Source.YOUTUBE,
             thumbnail_url="https://i.ytimg.com/vi/abc/hqdefault.jpg", instruments=["guitar", "vocals"])
    page = client_alice.get(reverse("transcription:job_list")).content.decode()
    assert 'class="mini-roll"' in page and page.count("<rect") == 8  # the eight notes of the arpeggio
    assert "hqdefault.jpg" in page and "guitar, vocals" in page and "95 s" in page
    assert "YouTube" in page and "Uploaded file" in page


def test_pages_swap_only_the_results_with_htmx(client_alice, user, settings):
    settings.HISTORY_PAGE_SIZE = 2
    for i in range(5):
        job = make_job(user, f"Etude {i}", Job.Status.DONE)
        Job.objects.filter(id=job.id).update(created_at=timezone.now() - timedelta(minutes=i))
    url = reverse("transcription:job_list")
    full = client_alice.get(url).content.decode()
    assert "<html" in full and "Page 1 of 3" in full and "Etude 0" in full and "Etude 2" not in full
    partial = client_alice.get(url, {"page": 2, "q": "etude"}, HTTP_HX_REQUEST="true",
                               HTTP_HX_TARGET="history-results").content.decode()
    assert "<html" not in partial and partial.lstrip().startswith('<div id="history-results"')
    assert "Etude 2" in partial and "Etude 0" not in partial and "Page 2 of 3" in partial
    assert "?q=etude&page=3" in partial  # the next page keeps the search


def test_rename_inline_with_htmx_renames_the_score_too(client_alice, user):
    score = make_score(user, "Untitled")
    url = reverse("transcription:job_rename", args=[score.job_id])
    form = client_alice.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in form and 'name="title"' in form
    response = client_alice.post(url, {"title": "Gymnopédie No. 1"}, HTTP_HX_REQUEST="true")
    assert "Gymnopédie No. 1" in response.content.decode() and "<html" not in response.content.decode()
    score.refresh_from_db()
    assert score.title == score.job.title == "Gymnopédie No. 1"
    empty = client_alice.post(url, {"title": "   "})
    assert empty.status_code == 400


def test_others_cannot_rename_or_delete(client, user, other_user):
    job = make_job(user, "Mine")
    client.force_login(other_user)
    assert client.post(reverse("transcription:job_rename", args=[job.id]), {"title": "x"}).status_code == 404
    assert client.post(reverse("transcription:job_delete", args=[job.id])).status_code == 404
    job.refresh_from_db()
    assert job.title == "Mine"
