"""People and teaching: profiles, classes, scores shared with students, share links."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from rescored_site.models import TimeStampedModel

# No 0/O or 1/I/L: a join code is read aloud and typed from a whiteboard.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_share_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


class Profile(TimeStampedModel):
    """What a user tells about themselves; anyone may be a teacher, a student, or both."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    is_teacher = models.BooleanField("I teach", default=False, help_text="create classes and share scores with students")
    is_student = models.BooleanField("I learn", default=False, help_text="join a teacher's class")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


def display_name(user) -> str:
    profile = getattr(user, "profile", None) if user is not None else None
    return (profile.display_name if profile else "") or user.get_username()


class Classroom(TimeStampedModel):
    """A teacher's class: students join it with its code or link."""

    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classes_taught")
    name = models.CharField(max_length=120)
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="classes_joined", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "class"
        verbose_name_plural = "classes"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("class_detail", args=[self.id])

    def get_join_url(self) -> str:
        return reverse("class_join_link", args=[self.join_code])


class Membership(TimeStampedModel):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="one_membership_per_class")]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class ScoreShare(TimeStampedModel):
    """A score handed to a whole class or to one student: they may view, play, export and copy it."""

    score = models.ForeignKey("transcription.Score", on_delete=models.CASCADE, related_name="shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_given")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="shares")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="shares_received"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(classroom__isnull=True) ^ models.Q(student__isnull=True),
                name="share_with_a_class_or_a_student",
            ),
            models.UniqueConstraint(fields=["score", "classroom"], name="one_share_per_class"),
            models.UniqueConstraint(fields=["score", "student"], name="one_share_per_student"),
        ]

    def __str__(self) -> str:
        return f"{self.score} → {self.classroom or self.student}"


class ScoreOpening(TimeStampedModel):
    """Who opened a score shared with them, so the teacher can see it."""

    score = models.ForeignKey("transcription.Score", on_delete=models.CASCADE, related_name="openings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_openings")
    times = models.PositiveIntegerField(default=1)
    last_opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_opened_at"]
        constraints = [models.UniqueConstraint(fields=["score", "user"], name="one_opening_row_per_user")]


class ShareLink(TimeStampedModel):
    """An unguessable link that shows one score read-only, without logging in."""

    score = models.ForeignKey("transcription.Score", on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="empty: never expires")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link to {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("share_link", args=[self.token])

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
