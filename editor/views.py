from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editor.selectors import score_get_for


@login_required
@require_GET
def score_detail(request, score_id):
    score = score_get_for(user=request.user, score_id=score_id)
    return render(request, "editor/score_detail.html", {"score": score, "job": score.job})
