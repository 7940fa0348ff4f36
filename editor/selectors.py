from uuid import UUID

from django.http import Http404

from transcription.models import Score


def score_get_for(*, user, score_id: UUID) -> Score:
    """The user's own score; 404 for anyone else."""
    score = Score.objects.filter(id=score_id, job__owner=user).select_related("job").first()
    if score is None:
        raise Http404("No such score")
    return score
