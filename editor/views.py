from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editor.exports import FORMATS, score_export
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
