from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from editor.exports import score_abc
from transcription import selectors, services
from transcription.errors import JobError
from transcription.forms import HistoryFilterForm, JobForm, RenameForm
from transcription.models import Job


def home(request):
    if request.user.is_authenticated:
        return redirect("transcription:job_new")
    return render(request, "home.html")


@login_required
@require_http_methods(["GET", "POST"])
def job_new(request):
    bound = request.method == "POST"
    form = JobForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_create(
                owner=request.user,
                upload=data["audio"] or None,
                url=data["url"].strip(),
                instruments=data["instruments"],
                separate=data["separate"],
            )
        except JobError as exc:
            form.add_error("url" if data["url"].strip() else "audio", str(exc))
        else:
            return redirect(job)
    status = 400 if form.errors else 200
    return render(request, "transcription/job_new.html", {"form": form}, status=status)


@login_required
@require_GET
def job_list(request):
    """My scores: search, filter, sort and pages; HTMX swaps only the results."""
    services.job_fail_stale(
        job_ids=list(selectors.job_list_for(user=request.user).filter(status=Job.Status.RUNNING).values_list("id", flat=True))
    )
    form = HistoryFilterForm(request.GET)
    filters = form.filters()
    paginator = Paginator(selectors.job_history(user=request.user, **filters), settings.HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for job in page:
        score = getattr(job, "score", None)
        job.score_or_none = score
        job.preview = selectors.score_preview(score.notes) if score is not None else None
        job.instrument_list = selectors.job_instruments(job)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "filtered": any(
        filters[k] for k in ("query", "status", "instrument"))}
    template = "transcription/job_list.html"
    if request.htmx and request.htmx.target == "history-results":
        template += "#history-results"
    return render(request, template, context)


def _back_to(request, fallback):
    """Where to go after an action: the page it was made from, when that is ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_http_methods(["GET", "POST"])
def job_rename(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    form = RenameForm(request.POST or None, initial={"title": job.title})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.job_rename(job_id=job.id, title=form.cleaned_data["title"])
        except JobError as exc:
            form.add_error("title", str(exc))
        else:
            if request.htmx:
                return render(request, "transcription/_job_title.html", {"job": job})
            messages.success(request, f"Renamed to “{job.title}”.")
            return _back_to(request, job)
    template = "transcription/job_rename.html"
    if request.htmx:
        template = "transcription/_job_title.html#rename-form"
    return render(request, template, {"job": job, "form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def job_duplicate(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    try:
        copy = services.job_duplicate(job_id=job.id, owner=request.user, title=f"Copy of {job.title}")
    except JobError as exc:
        messages.error(request, str(exc))
        return _back_to(request, job)
    messages.success(request, f"Made “{copy.title}”.")
    return redirect(copy)


@login_required
@require_http_methods(["GET", "POST"])
def job_delete(request, job_id):
    """Deleting asks first (GET shows what goes), then removes the job, its score and its files."""
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    if request.method == "POST":
        title = job.title
        services.job_delete(job_id=job.id)
        messages.success(request, f"Deleted “{title}” and its files.")
        return redirect("transcription:job_list")
    return render(request, "transcription/job_delete.html", {"job": job})


@login_required
@require_POST
def job_retry(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    try:
        services.job_retry(job_id=job.id)
    except JobError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{job.title}” is queued again.")
    return redirect(job)


@login_required
@require_POST
def job_cancel(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    try:
        services.job_cancel(job_id=job.id)
    except JobError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Cancelled “{job.title}”.")
    return _back_to(request, job)


@login_required
@require_GET
def job_detail(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    if services.job_fail_stale(job_ids=[job.id]):
        job = selectors.job_get_for(user=request.user, job_id=job_id)
    template = "transcription/job_detail.html"
    if request.htmx:
        template += "#job-status"
    score = getattr(job, "score", None)
    return render(request, template, {"job": job, "score_abc": score_abc(score) if score is not None else ""})


@login_required
@require_GET
def job_midi(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    score = getattr(job, "score", None)
    if score is None:
        return HttpResponse("This job has no score yet.", status=404)
    return FileResponse(score.midi.open("rb"), as_attachment=True, filename=f"{job.title}.mid")


@login_required
@require_GET
def job_stem(request, job_id, instrument):
    """A separated instrument's audio, for the player on the job page (owner only)."""
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    stem = job.stems.filter(instrument=instrument).first()
    if stem is None:
        return HttpResponse("No such stem.", status=404)
    return FileResponse(stem.audio.open("rb"), filename=Path(stem.audio.name).name)
