"""Reads of scores, always scoped to who is asking.

Two questions, asked everywhere a score is touched: may this person see it
(view, play, export), and may they change it (edit). Views call these and
never filter scores themselves.
"""
from uuid import UUID

from django.db.models import Q
from django.http import Http404

from accounts.selectors import shared_score_ids_q
from transcription.models import Score


def score_get_for_viewing(*, user, score_id: UUID) -> Score:
    """A score the user may view, play and export: their own, or one shared with them
    (directly or through a class they are in). 404 for anyone else.

    Share links (no login) are resolved by token in accounts.selectors.share_link_get_active.
    """
    if user is None or not user.is_authenticated:
        raise Http404("No such score")
    score = (
        Score.objects.filter(id=score_id)
        .filter(Q(job__owner=user) | shared_score_ids_q(user=user))
        .select_related("job").distinct().first()
    )
    if score is None:
        raise Http404("No such score")
    return score


def score_get_for_editing(*, user, score_id: UUID) -> Score:
    """A score the user may change: only its owner's. 404 for anyone else, so
    ids of others' scores leak nothing."""
    if user is None or not user.is_authenticated:
        raise Http404("No such score")
    # The big JSON columns load only if used: an edit request reads the score's
    # notation through the editor's services, and parsing them costs more than the edit.
    score = Score.objects.filter(id=score_id, job__owner=user).select_related("job").defer("notes", "doc").first()
    if score is None:
        raise Http404("No such score")
    return score


def score_can_edit(*, user, score: Score) -> bool:
    return user is not None and user.is_authenticated and score.job.owner_id == user.id

