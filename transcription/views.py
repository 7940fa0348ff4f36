from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from transcription import selectors, services
from transcription.errors import JobError
from transcription.forms import UploadForm


def home(request):
    if request.user.is_authenticated:
        return redirect("transcription:job_new")
    return render(request, "home.html")


@login_required
@require_http_methods(["GET", "POST"])
def job_new(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.job_create(owner=request.user, upload=form.cleaned_data["audio"])
        except JobError as exc:
            form.add_error("audio", str(exc))
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
