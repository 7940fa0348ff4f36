"""Reads of scores, always scoped to who is asking.

Two questions, asked everywhere a score is touched: may this person see it
(view, play, export), and may they change it (edit). Views call these and
never filter scores themselves.
"""
from uuid import UUID

from django.http import Http404

from transcription.models import Score


def score_get_for_viewing(*, user, score_id: UUID) -> Score:
    """A score the user may view, play and export; 404 for anyone else."""
    # Owner only for now; sharing with students and share links widen this.
    return score_get_for_editing(user=user, score_id=score_id)


def score_get_for_editing(*, user, score_id: UUID) -> Score:
    """A score the user may change: only its owner's. 404 for anyone else, so
    ids of others' scores leak nothing."""
    score = Score.objects.filter(id=score_id, job__owner=user).select_related("job").first()
    if score is None:
        raise Http404("No such score")
    return score
