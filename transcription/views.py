from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from transcription import selectors, services
from transcription.errors import JobError
from transcription.forms import JobForm


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
    jobs = selectors.job_list_for(user=request.user)
    services.job_fail_stale(job_ids=[j.id for j in jobs if j.status == j.Status.RUNNING])
    return render(request, "transcription/job_list.html", {"jobs": selectors.job_list_for(user=request.user)})


@login_required
@require_GET
def job_detail(request, job_id):
    job = selectors.job_get_for(user=request.user, job_id=job_id)
    if services.job_fail_stale(job_ids=[job.id]):
        job = selectors.job_get_for(user=request.user, job_id=job_id)
    template = "transcription/job_detail.html"
    if request.htmx:
        template += "#job-status"
    return render(request, template, {"job": job})


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
