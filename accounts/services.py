"""Writes for people and teaching. Views call these; nothing else writes these rows."""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Classroom, Membership, Profile, ScoreOpening, ScoreShare, ShareLink
from transcription import services as transcription_services
from transcription.models import Job, Score


class AccountsError(Exception):
    """A problem the user can act on; its text is shown to them as it is."""


@transaction.atomic
def user_sign_up(*, username: str, password: str, email: str = "", display_name: str = ""):
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    Profile.objects.create(user=user, display_name=display_name)
    return user


def profile_ensure(*, user) -> Profile:
    """The user's profile, created on first need (users made by the admin or createsuperuser have none)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user, display_name: str, email: str, is_teacher: bool, is_student: bool) -> Profile:
    profile = profile_ensure(user=user)
    profile.display_name, profile.is_teacher, profile.is_student = display_name.strip(), is_teacher, is_student
    profile.save()
    user.email = email.strip()
    user.save(update_fields=["email"])
    return profile


# ---------------------------------------------------------------- classes


@transaction.atomic
def classroom_create(*, teacher, name: str) -> Classroom:
    profile = profile_ensure(user=teacher)
    if not profile.is_teacher:
        raise AccountsError("Only teachers create classes: tick “I teach” in your profile first.")
    for _ in range(5):  # a code collision is rare; draw again
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=name.strip())
        except IntegrityError:
            continue
    raise AccountsError("Could not make a join code; please try again.")


@transaction.atomic
def classroom_join(*, student, join_code: str) -> Classroom:
    classroom = Classroom.objects.filter(join_code=join_code.strip().upper()).first()
    if classroom is None:
        raise AccountsError("No class has that join code. Please check it with your teacher.")
    if classroom.teacher_id == student.id:
        raise AccountsError("You teach this class; students join it with its code or link.")
    Membership.objects.get_or_create(classroom=classroom, student=student)
    profile = profile_ensure(user=student)
    if not profile.is_student:
        profile.is_student = True
        profile.save(update_fields=["is_student", "updated_at"])
    return classroom


@transaction.atomic
def classroom_remove_student(*, classroom: Classroom, student_id: int) -> None:
    Membership.objects.filter(classroom=classroom, student_id=student_id).delete()
    # What was shared with them one by one as a member of this class stays only if
    # they are still in another of the teacher's classes.
    if not Membership.objects.filter(classroom__teacher=classroom.teacher, student_id=student_id).exists():
        ScoreShare.objects.filter(shared_by=classroom.teacher, student_id=student_id).delete()


@transaction.atomic
def classroom_delete(*, classroom: Classroom) -> None:
    classroom.delete()


@transaction.atomic
def classroom_leave(*, student, classroom_id: int) -> None:
    Membership.objects.filter(classroom_id=classroom_id, student=student).delete()


# ---------------------------------------------------------------- sharing


@transaction.atomic
def score_share(*, score: Score, shared_by, classroom_ids=(), student_ids=()) -> int:
    """Share an own score with some of one's classes and students. Returns how many new shares."""
    if score.job.owner_id != shared_by.id:
        raise AccountsError("Only the owner of a score can share it.")
    classes = Classroom.objects.filter(teacher=shared_by, id__in=classroom_ids)
    students = get_user_model().objects.filter(
        id__in=student_ids, memberships__classroom__teacher=shared_by
    ).distinct()
    created = 0
    for classroom in classes:
        created += ScoreShare.objects.get_or_create(score=score, classroom=classroom, defaults={"shared_by": shared_by})[1]
    for student in students:
        created += ScoreShare.objects.get_or_create(score=score, student=student, defaults={"shared_by": shared_by})[1]
    if not created and not (classes or students):
        raise AccountsError("Pick a class or a student to share with.")
    return created


@transaction.atomic
def score_unshare(*, score: Score, share_id: int) -> None:
    ScoreShare.objects.filter(score=score, id=share_id).delete()


@transaction.atomic
def score_record_opening(*, score: Score, user) -> None:
    """Note that someone other than the owner opened the score (the teacher sees the list)."""
    if not user.is_authenticated or score.job.owner_id == user.id:
        return
    opening, created = ScoreOpening.objects.select_for_update().get_or_create(score=score, user=user)
    if not created:
        opening.times += 1
        opening.last_opened_at = timezone.now()
        opening.save(update_fields=["times", "last_opened_at", "updated_at"])


def score_copy_for(*, score: Score, user) -> Job:
    """The user's own editable copy of a score they may view (the original stays untouched)."""
    return transcription_services.job_duplicate(job_id=score.job_id, owner=user)


@transaction.atomic
def share_link_create(*, score: Score, created_by, expires_in_days: int | None) -> ShareLink:
    if score.job.owner_id != created_by.id:
        raise AccountsError("Only the owner of a score can make a link to it.")
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    return ShareLink.objects.create(score=score, created_by=created_by, expires_at=expires_at)


@transaction.atomic
def share_link_revoke(*, score: Score, link_id: int) -> None:
    ShareLink.objects.filter(score=score, id=link_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
