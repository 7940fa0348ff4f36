from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editor.exports import FORMATS, score_export
from editor.playback import ranged_file_response
from editor.selectors import score_get_for_viewing


@login_required
@require_GET
def score_detail(request, score_id):
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    return render(request, "editor/score_detail.html", {"score": score, "job": score.job})


@login_required
@require_GET
def score_download(request, score_id, format):
    if format not in FORMATS:
        raise Http404("No such format")
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    export = score_export(score=score, format=format)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{score.title}.{export.extension}"'
    return response


@login_required
@require_GET
def score_recording(request, score_id):
    """The job's original recording, for the player beside the score (anyone who may view the score)."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    if not score.job.audio:
        raise Http404("This score has no recording")
    return ranged_file_response(request, score.job.audio)


@login_required
@require_GET
def score_stem(request, score_id, instrument):
    """One separated instrument of the recording, for the player beside the score."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    stem = score.job.stems.filter(instrument=instrument).first()
    if stem is None:
        raise Http404("No such stem")
    return ranged_file_response(request, stem.audio)


@login_required
@require_GET
def score_print(request, score_id):
    """Just the engraved score, laid out for paper, with a button for the browser's print dialog."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    return render(request, "editor/score_print.html", {"score": score})
