import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from rescored_site.models import TimeStampedModel


def job_upload_path(job: "Job", filename: str) -> str:
    return f"jobs/{job.id}/input/{filename}"


def stem_file_path(stem: "Stem", filename: str) -> str:
    return f"jobs/{stem.job_id}/stems/{filename}"


def score_file_path(score: "Score", filename: str) -> str:
    return f"jobs/{score.job_id}/score/{filename}"


class Job(TimeStampedModel):
    """One request to turn a recording into a score, and where it stands."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        YOUTUBE = "youtube", "YouTube"

    TERMINAL = (Status.DONE, Status.FAILED, Status.CANCELLED)
    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    source_url = models.URLField(blank=True, help_text="the normalised YouTube link")
    thumbnail_url = models.URLField(blank=True, max_length=500)
    audio = models.FileField(upload_to=job_upload_path, max_length=300, blank=True, help_text="empty until downloaded")
    audio_duration = models.FloatField(null=True, blank=True, help_text="seconds")
    instruments = models.JSONField(default=list, blank=True, help_text="instruments to transcribe; empty means auto")
    separate = models.BooleanField(default=False, help_text="separate the instruments before transcribing")
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies",
        help_text="the job this one is a copy of (copies cost no quota)",
    )

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="shown to the user when the job failed")
    stage_timings = models.JSONField(default=dict, blank=True, help_text="seconds per stage")

    rq_job_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="job_percent_at_most_100"),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | ~models.Q(error=""),
                name="job_failed_has_error",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("transcription:job_detail", args=[self.id])

    @property
    def stage_timings_in_order(self) -> list[tuple[str, float]]:
        """(stage, seconds) in the order the stages ran (the database keeps no key order)."""
        from transcription.stages import in_run_order  # it imports the ml pipeline, not needed by migrations

        return in_run_order(self.stage_timings)

    @property
    def is_finished(self) -> bool:
        return self.status in self.TERMINAL


class Stem(TimeStampedModel):
    """One separated instrument of a job's recording, kept so the user can listen to it."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stems")
    instrument = models.CharField(max_length=32)
    audio = models.FileField(upload_to=stem_file_path, max_length=300)

    class Meta:
        ordering = ["instrument"]
        constraints = [models.UniqueConstraint(fields=["job", "instrument"], name="one_stem_per_instrument")]

    def __str__(self) -> str:
        return f"{self.job.title}: {self.instrument}"


class Score(TimeStampedModel):
    """The result of a job: a versioned note list per track, plus its files."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="score")
    title = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1, help_text="bumped on every change to the notes")
    notes = models.JSONField(help_text="the performance as transcribed: ml.notes.Transcription.to_dict()")
    doc = models.JSONField(default=dict, help_text="the canonical notation: ml.notation.score.ScoreDoc.to_dict()")
    midi = models.FileField(upload_to=score_file_path, max_length=300)

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.job.owner

    @property
    def abc_element_id(self) -> str:
        """The id of the page element that carries this score's ABC to abcjs."""
        return f"abc-{self.id}"
