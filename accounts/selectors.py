"""Reads for people and teaching, scoped to who is asking."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Classroom, ScoreOpening, ScoreShare, ShareLink
from transcription.models import Score


def classroom_list_taught(*, teacher) -> QuerySet[Classroom]:
    return Classroom.objects.filter(teacher=teacher).annotate(student_count=Count("memberships"))


def classroom_list_joined(*, student) -> QuerySet[Classroom]:
    return Classroom.objects.filter(memberships__student=student).select_related("teacher__profile")


def classroom_get_taught(*, teacher, classroom_id: int) -> Classroom:
    """A class the user teaches; 404 for anyone else."""
    classroom = Classroom.objects.filter(id=classroom_id, teacher=teacher).first()
    if classroom is None:
        raise Http404("No such class")
    return classroom


def classroom_get_by_code(*, join_code: str) -> Classroom:
    classroom = Classroom.objects.filter(join_code=join_code.upper()).select_related("teacher__profile").first()
    if classroom is None:
        raise Http404("No class has this join code")
    return classroom


def students_of(*, teacher) -> QuerySet:
    """Everyone in one of the teacher's classes."""
    return (
        get_user_model().objects.filter(memberships__classroom__teacher=teacher)
        .select_related("profile").distinct().order_by("username")
    )


def shared_score_ids_q(*, user) -> Q:
    """Scores shared with the user, directly or through a class they are in (a Q on Score)."""
    return Q(shares__student=user) | Q(shares__classroom__memberships__student=user)


def score_list_shared_with(*, user) -> QuerySet[Score]:
    if not user.is_authenticated:
        return Score.objects.none()
    ids = Score.objects.filter(shared_score_ids_q(user=user)).exclude(job__owner=user).values("id")
    return (
        Score.objects.filter(id__in=ids).select_related("job__owner__profile")
        .defer("notes", "doc").order_by("-created_at")
    )


def score_shares(*, score: Score) -> QuerySet[ScoreShare]:
    return score.shares.select_related("classroom", "student__profile")


def score_openings(*, score: Score) -> QuerySet[ScoreOpening]:
    return score.openings.select_related("user__profile")


def share_link_list(*, score: Score) -> QuerySet[ShareLink]:
    return score.share_links.all()


def share_link_get_active(*, token: str) -> ShareLink:
    """The live link with this token; 404 when it never existed, expired or was revoked."""
    link = (
        ShareLink.objects.filter(token=token, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("score__job").first()
    )
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked")
    return link
