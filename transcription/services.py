"""Writes to jobs and scores. Views, RQ jobs and commands call these; nothing else writes."""
from __future__ import annotations

import logging
import math
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rq import Callback

from ml import audio as ml_audio
from ml import pipeline as ml_pipeline
from ml.errors import MLError
from ml.midi import write_midi
from ml.notation.engrave import engrave
from ml.pipeline import PipelineOptions, PipelineResult
from ml.sources import YOUTUBE_ONLY, check_video, download_audio, fetch_metadata, normalize_youtube_url
from transcription import queues
from transcription.errors import JobError
from transcription.events import job_event_on_commit
from transcription.models import Job, Score, Stem
from transcription.stages import STAGE_DOWNLOADING, STAGE_FETCHING, STAGE_WRITING

logger = logging.getLogger(__name__)

QUEUE_DOWN_MESSAGE = (
    "Our transcription queue is not reachable right now, so nothing was saved. "
    "Please try again in a minute."
)


# ---------------------------------------------------------------- submitting


def upload_validate(*, upload: UploadedFile) -> ml_audio.AudioInfo:
    """Check an uploaded recording before anything is stored; raise JobError with the reason."""
    name = upload.name or ""
    extension = Path(name).suffix.lower().lstrip(".")
    allowed = settings.ALLOWED_AUDIO_EXTENSIONS
    if extension not in allowed:
        raise JobError(
            f"“{name}” is not a recording we can read. Please upload one of: "
            + ", ".join(f".{e}" for e in allowed) + "."
        )
    if upload.size == 0:
        raise JobError(f"“{name}” is empty. Please choose the recording again.")
    limit_mb = settings.MAX_UPLOAD_MB
    if upload.size > limit_mb * 1024 * 1024:
        raise JobError(f"“{name}” is {upload.size / 1024 / 1024:.0f} MB; the limit is {limit_mb} MB.")

    try:
        info = _probe_upload(upload)
    except MLError as exc:
        raise JobError(f"“{name}”: {exc}") from exc
    max_seconds = settings.MAX_AUDIO_MINUTES * 60
    if info.duration > max_seconds:
        raise JobError(
            f"“{name}” is {_minutes(info.duration)} long; recordings may be at most "
            f"{_minutes(max_seconds)}. Please trim it and upload again."
        )
    return info


def _probe_upload(upload: UploadedFile) -> ml_audio.AudioInfo:
    if hasattr(upload, "temporary_file_path"):
        return ml_audio.probe(Path(upload.temporary_file_path()))
    # Small in-memory uploads (e.g. from tests or other upload handlers) are probed from a copy.
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix) as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        upload.seek(0)
        return ml_audio.probe(Path(copy.name))


def _minutes(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d} min"


def job_create(
    *,
    owner,
    upload: UploadedFile | None = None,
    url: str = "",
    instruments: Sequence[str] = (),
    separate: bool = False,
) -> Job:
    """Validate the recording or link, store a new job and queue it once the row is committed.

    A file goes straight to the GPU queue; a link goes to the CPU queue first,
    which fetches the audio and then hands the job on.
    """
    if (upload is None) == (not url):
        raise JobError("Please upload a recording or paste a YouTube link (one of the two).")
    _options_or_raise(instruments)
    if upload is not None:
        info = upload_validate(upload=upload)
        job = Job(owner=owner, title=_title_from(upload.name), audio_duration=info.duration)
    else:
        try:
            url = normalize_youtube_url(url)
        except MLError as exc:
            raise JobError(str(exc)) from exc
        job = Job(owner=owner, title=YOUTUBE_PLACEHOLDER_TITLE, source=Job.Source.YOUTUBE, source_url=url)
    job_quota_check(owner=owner, audio_seconds=job.audio_duration or 0.0)
    _queue_reachable_or_raise()

    job.instruments, job.separate = list(instruments), separate
    job.stage = "Waiting for a worker"
    with transaction.atomic():
        if upload is not None:
            job.audio.save(Path(upload.name).name, upload, save=False)
        job.save()
        if job.source == Job.Source.YOUTUBE:
            transaction.on_commit(lambda: job_enqueue_download(job_id=job.id))
        else:
            transaction.on_commit(lambda: job_enqueue(job_id=job.id))
    return job


YOUTUBE_PLACEHOLDER_TITLE = "YouTube video"  # until the video's own title is fetched


def _title_from(filename: str | None) -> str:
    return Path(filename or "Recording").stem[:200] or "Recording"


def _options_or_raise(instruments: Sequence[str]) -> None:
    try:
        PipelineOptions(instruments=tuple(instruments) or None)
    except MLError as exc:
        raise JobError(str(exc)) from exc


def _queue_reachable_or_raise() -> None:
    try:
        queues.transcription_queue().connection.ping()
    except RedisError as exc:
        logger.error("Redis unreachable at submit time: %s", exc)
        raise JobError(QUEUE_DOWN_MESSAGE) from exc


def job_enqueue(*, job_id: UUID) -> None:
    """Put the job on the GPU queue. If Redis went away meanwhile, the job fails with a reason."""
    from transcription.tasks import run_transcription_job

    _enqueue(queues.transcription_queue(), run_transcription_job, job_id=job_id, what="transcribe")


def job_enqueue_download(*, job_id: UUID) -> None:
    """Put a link job on the CPU queue, which fetches its audio before the GPU sees it."""
    from transcription.tasks import download_source_job

    _enqueue(queues.download_queue(), download_source_job, job_id=job_id, what="download audio for")


def _enqueue(queue, function, *, job_id: UUID, what: str) -> None:
    from transcription.tasks import job_failed_callback

    try:
        rq_job = queue.enqueue(
            function,
            str(job_id),
            job_timeout=settings.JOB_TIMEOUT_SECONDS,
            on_failure=Callback(job_failed_callback),
            description=f"{what} job {job_id}",
        )
    except RedisError:
        logger.exception("could not enqueue job %s", job_id)
        job_fail(job_id=job_id, reason=QUEUE_DOWN_MESSAGE)
        return
    Job.objects.filter(id=job_id).update(rq_job_id=rq_job.id)


# ---------------------------------------------------------------- running


class StageClock:
    """Turns a stream of (stage, fraction) progress reports into seconds per stage."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._stage: str | None = None
        self._since = time.monotonic()

    def observe(self, stage: str) -> bool:
        """Record a report; return True when it starts a new stage."""
        if stage == self._stage:
            return False
        self.stop()
        self._stage, self._since = stage, time.monotonic()
        return True

    def stop(self) -> None:
        if self._stage is not None:
            elapsed = time.monotonic() - self._since
            self.timings[self._stage] = round(self.timings.get(self._stage, 0.0) + elapsed, 3)
            self._stage = None


class Heartbeat:
    """Marks a running job alive every few seconds from a side thread.

    A job whose heartbeat stops (the worker was killed, ran out of memory, the
    machine went down) is failed by `job_fail_stale`, so nothing stays "running".
    """

    def __init__(self, job_id: UUID, interval: float) -> None:
        self.job_id, self.interval = job_id, interval
        self._stop = threading.Event()
        # Set when the row stops being "running" under us (cancelled or deleted by its
        # owner): the progress callback then stops the pipeline at its next report.
        self.job_ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                beating = Job.objects.filter(id=self.job_id, status=Job.Status.RUNNING)
                if not beating.update(heartbeat_at=timezone.now()):
                    self.job_ended.set()
        finally:
            connection.close()  # this thread's own connection


def job_start(*, job_id: UUID) -> Job | None:
    """Mark the job running; None when it was deleted or already ended meanwhile."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.is_finished:
            return None
        job.status, job.stage, job.percent = Job.Status.RUNNING, "Starting", 0
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "stage", "percent", "started_at", "heartbeat_at", "updated_at"])
        job_event_on_commit(job)
    return job


class JobCancelled(Exception):
    """The job stopped being "running" (its owner cancelled or deleted it): stop working on it."""


def job_report_progress(
    *, job_id: UUID, stage: str, fraction: float, finished_stages: dict[str, float] | None = None
) -> None:
    """Store a running job's stage and percent and tell its page; ``finished_stages``
    (seconds per stage done so far) are shown while the job runs."""
    percent = max(0, min(99, int(fraction * 100)))  # 100 is kept for "done"
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id, status=Job.Status.RUNNING).first()
        if job is None:
            raise JobCancelled(str(job_id))
        job.stage, job.percent, job.heartbeat_at = stage, max(job.percent, percent), timezone.now()
        fields = ["stage", "percent", "heartbeat_at", "updated_at"]
        if finished_stages:
            job.stage_timings = {**job.stage_timings, **finished_stages}
            fields.append("stage_timings")
        job.save(update_fields=fields)
        job_event_on_commit(job)


# The ml pipeline's own 0..1 covers transcription; storing the score takes the rest.
ML_SHARE_OF_PROGRESS = 0.95


def progress_reporter(
    job_id: UUID, clock: StageClock, min_interval: float = 0.5, heartbeat: Heartbeat | None = None
) -> Callable[[str, float], None]:
    """The callback handed to the ml pipeline: rate-limited writes, every stage change kept.

    It is also where a cancelled job stops: the pipeline runs in the worker's own
    process (SimpleWorker), so it is told to stop by the exception raised here.
    """
    last = {"time": 0.0, "percent": -1}

    def report(stage: str, fraction: float) -> None:
        if heartbeat is not None and heartbeat.job_ended.is_set():
            raise JobCancelled(str(job_id))
        if stage == ml_pipeline.STAGE_DONE:
            return  # the job is not done until its score is stored ("Writing score")
        fraction *= ML_SHARE_OF_PROGRESS
        new_stage = clock.observe(stage)
        percent = int(fraction * 100)
        now = time.monotonic()
        if new_stage or (percent != last["percent"] and now - last["time"] >= min_interval):
            last["time"], last["percent"] = now, percent
            # A new stage means the one before it is done: its time is shown from now on.
            job_report_progress(job_id=job_id, stage=stage, fraction=fraction,
                                finished_stages=dict(clock.timings) if new_stage else None)

    return report




def job_run(*, job_id: UUID) -> None:
    """Transcribe a queued job's recording and store the score. Runs in the GPU worker."""
    job = job_start(job_id=job_id)
    if job is None:
        logger.info("job %s was deleted or already finished; nothing to do", job_id)
        return
    options = PipelineOptions(
        instruments=tuple(job.instruments) or None,
        separate=job.separate,
        device=settings.ML_DEVICE or None,
        model_dir=Path(settings.MODEL_DIR),
        separation_model=settings.SEPARATION_MODEL,
        download_weights=settings.MODEL_DOWNLOAD,
        piano_backend=settings.PIANO_BACKEND,
        transkun_batch_segments=settings.TRANSKUN_BATCH_SEGMENTS,
        vocals_model=settings.VOCALS_MODEL,
    )
    clock = StageClock()
    try:
        with Heartbeat(job_id, settings.JOB_HEARTBEAT_SECONDS) as heartbeat, tempfile.TemporaryDirectory() as stems_dir:
            result = ml_pipeline.transcribe_recording(
                Path(job.audio.path),
                options=options,
                stems_dir=Path(stems_dir),
                progress=progress_reporter(job_id, clock, heartbeat=heartbeat),
            )
            clock.observe(STAGE_WRITING)
            job_report_progress(job_id=job_id, stage=STAGE_WRITING, fraction=0.99, finished_stages=dict(clock.timings))
            job_complete(job_id=job_id, result=result, timings=clock)
    except JobCancelled:
        logger.info("job %s was cancelled while running; stopped", job_id)
    except BaseException:
        # Failing (RQ's callback writes the reason next): keep how long each stage ran,
        # so the page shows where the time went before a time limit or an error.
        _keep_timings(job_id, clock)
        raise


def _keep_timings(job_id: UUID, clock: StageClock) -> None:
    clock.stop()
    try:
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(id=job_id).first()
            if job is not None:
                job.stage_timings = {**job.stage_timings, **clock.timings}
                job.save(update_fields=["stage_timings", "updated_at"])
    except Exception:  # the database may be what failed: the job's failure matters more
        logger.exception("could not store the stage timings of job %s", job_id)


def job_complete(*, job_id: UUID, result: PipelineResult, timings: StageClock) -> Score | None:
    transcription = result.transcription
    with tempfile.TemporaryDirectory() as tmp:
        midi_path = Path(tmp) / "score.mid"
        write_midi(transcription, midi_path)
        midi_bytes = midi_path.read_bytes()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.is_finished:
            return None
        doc = engrave(transcription, title=job.title)
        score = Score(job=job, title=job.title, notes=transcription.to_dict(), doc=doc.to_dict())
        score.midi.save("score.mid", ContentFile(midi_bytes), save=False)
        score.save()
        for instrument, path in result.stems.items():
            stem = Stem(job=job, instrument=instrument)
            with path.open("rb") as audio:
                stem.audio.save(f"{instrument}{path.suffix}", File(audio), save=False)
            stem.save()
        timings.stop()
        job.status, job.stage, job.percent = Job.Status.DONE, "Done", 100
        job.stage_timings = {**job.stage_timings, **timings.timings}
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "stage", "percent", "stage_timings", "finished_at", "updated_at"])
        job_event_on_commit(job)
    return score




def job_download(*, job_id: UUID) -> None:
    """Fetch a link job's audio (CPU worker), then hand the job to the GPU queue."""
    job = job_start(job_id=job_id)
    if job is None:
        return
    clock = StageClock()
    scope = settings.SOURCE_FETCH_SCOPE or YOUTUBE_ONLY
    cookies = Path(settings.YOUTUBE_COOKIES_FILE) if settings.YOUTUBE_COOKIES_FILE else None
    max_seconds = settings.MAX_AUDIO_MINUTES * 60
    try:
        _job_download(job, clock, scope=scope, cookies=cookies, max_seconds=max_seconds)
    except JobCancelled:
        logger.info("job %s was cancelled while downloading; stopped", job_id)


def _job_download(job: Job, clock: StageClock, *, scope, cookies, max_seconds: float) -> None:
    job_id = job.id
    with Heartbeat(job_id, settings.JOB_HEARTBEAT_SECONDS) as heartbeat, tempfile.TemporaryDirectory() as tmp:
        report = progress_reporter(job_id, clock, heartbeat=heartbeat)
        report(STAGE_FETCHING, 0.0)
        # The limits are checked after the video's details are stored, so a refused
        # job still shows which video it was in the user's history.
        video = fetch_metadata(job.source_url, cookies_file=cookies, max_seconds=math.inf, scope=scope)
        Job.objects.filter(id=job_id).update(thumbnail_url=video.thumbnail_url or "", audio_duration=video.duration)
        # The video's title is the default; a title the owner already typed is kept.
        Job.objects.filter(id=job_id, title=YOUTUBE_PLACEHOLDER_TITLE).update(title=video.title[:200] or job.title)
        check_video(video, max_seconds=max_seconds)
        try:
            job_quota_check(owner=job.owner, audio_seconds=video.duration or 0.0, exclude_job_id=job_id)
        except JobError as exc:
            job_fail(job_id=job_id, reason=str(exc))
            return
        report(STAGE_DOWNLOADING, 0.0)
        path = download_audio(
            job.source_url, Path(tmp), cookies_file=cookies, max_seconds=max_seconds, scope=scope, video=video,
            progress=lambda fraction: report(STAGE_DOWNLOADING, fraction),
        )
        info = ml_audio.probe(path)  # a download that is not usable audio fails here, with the reason
        clock.stop()
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(id=job_id, status=Job.Status.RUNNING).first()
            if job is None:
                return
            with path.open("rb") as audio:
                job.audio.save(f"youtube-{video.id}{path.suffix}", File(audio), save=False)
            job.audio_duration = info.duration
            # Back in a queue, now the GPU's: a new phase, so the percent starts again.
            job.status, job.stage, job.percent = Job.Status.QUEUED, "Downloaded; waiting for a worker", 0
            job.stage_timings = {**job.stage_timings, **clock.timings}
            job.save()
            job_event_on_commit(job)
            transaction.on_commit(lambda: job_enqueue(job_id=job_id))


# ---------------------------------------------------------------- failing


def job_fail(*, job_id: UUID, reason: str) -> bool:
    """End a job as failed with a reason for the user. False if it had already ended."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.is_finished:
            return False
        job.status, job.error = Job.Status.FAILED, reason
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        job_event_on_commit(job)
    return True


WORKER_DIED_MESSAGE = (
    "The worker processing this recording stopped unexpectedly (it may have run out of memory). "
    "Please try again; if it keeps happening, try a shorter recording."
)


def job_fail_stale(*, job_ids=None) -> int:
    """Fail running jobs whose worker stopped beating. Returns how many were failed."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    stale = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff)
    if job_ids is not None:
        stale = stale.filter(id__in=job_ids)
    count = 0
    for job_id in stale.values_list("id", flat=True):
        count += job_fail(job_id=job_id, reason=WORKER_DIED_MESSAGE)
    return count



# ---------------------------------------------------------------- quotas


def job_quota_check(*, owner, audio_seconds: float, exclude_job_id: UUID | None = None) -> None:
    """Raise JobError, saying which limit and until when, if this job would pass one of the user's quotas.

    Days are the last 24 hours. Copies of scores cost nothing: only work a worker does counts.
    """
    mine = Job.objects.filter(owner=owner, copied_from__isnull=True)
    if exclude_job_id is not None:
        mine = mine.exclude(id=exclude_job_id)
    else:
        active = mine.filter(status__in=Job.ACTIVE).count()
        if active >= settings.QUOTA_CONCURRENT_JOBS:
            raise JobError(
                f"You already have {active} transcription{'s' if active != 1 else ''} queued or running, "
                f"and {settings.QUOTA_CONCURRENT_JOBS} at a time is the limit. "
                "Please wait for one to finish, or cancel one in My scores."
            )
    window_start = timezone.now() - timedelta(days=1)
    today = mine.filter(created_at__gte=window_start)
    if exclude_job_id is None and today.count() >= settings.QUOTA_JOBS_PER_DAY:
        again = today.order_by("created_at").first().created_at + timedelta(days=1)
        raise JobError(
            f"You have started {settings.QUOTA_JOBS_PER_DAY} transcriptions in the last 24 hours, the daily limit. "
            f"You can start the next one at {_clock(again)}."
        )
    used = sum(d or 0.0 for d in today.values_list("audio_duration", flat=True))
    limit = settings.QUOTA_AUDIO_MINUTES_PER_DAY * 60
    if used + audio_seconds > limit:
        raise JobError(
            f"This recording ({_minutes(audio_seconds)}) would take you past your daily "
            f"{settings.QUOTA_AUDIO_MINUTES_PER_DAY:g} minutes of audio: {_minutes(used)} used in the last 24 hours. "
            "Please try a shorter recording or come back tomorrow."
        )


def _clock(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M %Z (%b %d)")


# ---------------------------------------------------------------- managing one's jobs


def _rq_cancel(rq_job_id: str) -> None:
    """Take a job still waiting in its queue out of it (a running one stops cooperatively)."""
    if not rq_job_id:
        return
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job as RQJob

    try:
        rq_job = RQJob.fetch(rq_job_id, connection=queues.transcription_queue().connection)
        if rq_job.get_status() in ("queued", "deferred", "scheduled"):
            rq_job.cancel()
    except (NoSuchJobError, InvalidJobOperation, RedisError) as exc:
        logger.info("could not take rq job %s out of its queue: %s", rq_job_id, exc)


def job_cancel(*, job_id: UUID) -> Job:
    """End a queued or running job as cancelled. A running worker notices within a heartbeat and stops."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job_id)
        if job.status not in Job.ACTIVE:
            raise JobError(f"“{job.title}” is {job.get_status_display().lower()}; only a queued or running job can be cancelled.")
        job.status, job.stage = Job.Status.CANCELLED, "Cancelled"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "stage", "finished_at", "updated_at"])
        job_event_on_commit(job)
        rq_job_id = job.rq_job_id
        transaction.on_commit(lambda: _rq_cancel(rq_job_id))
    return job


def job_retry(*, job_id: UUID) -> Job:
    """Queue a failed or cancelled job again, from its stored recording (or its link)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job_id)
        if job.status not in (Job.Status.FAILED, Job.Status.CANCELLED):
            raise JobError("Only a failed or cancelled job can be tried again.")
        if not job.audio and job.source != Job.Source.YOUTUBE:
            raise JobError("The recording of this job was removed; please upload it again.")
        job_quota_check(owner=job.owner, audio_seconds=0.0)
        job.status, job.stage, job.percent, job.error = Job.Status.QUEUED, "Waiting for a worker", 0, ""
        job.started_at = job.finished_at = job.heartbeat_at = None
        job.stage_timings = {}
        job.save()
        job_event_on_commit(job)
        if job.audio:
            transaction.on_commit(lambda: job_enqueue(job_id=job.id))
        else:
            transaction.on_commit(lambda: job_enqueue_download(job_id=job.id))
    return job


def job_rename(*, job_id: UUID, title: str) -> Job:
    title = title.strip()[:200]
    if not title:
        raise JobError("A title cannot be empty.")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job_id)
        job.title = title
        job.save(update_fields=["title", "updated_at"])
        Score.objects.filter(job=job).update(title=title, updated_at=timezone.now())
    return job


def _copy_file(field_file, target_instance, field_name: str) -> None:
    if not field_file:
        return
    with field_file.open("rb") as source:
        getattr(target_instance, field_name).save(Path(field_file.name).name, File(source), save=False)


def _copy_row(instance, **overrides):
    """A new row with the same values (files copied later); fields other apps add come along too."""
    skip = {"id", "created_at", "updated_at"}
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.name not in skip and not isinstance(f, models.FileField)
    }
    values.update(overrides)
    return type(instance)(**values)


def job_duplicate(*, job_id: UUID, owner, title: str | None = None) -> Job:
    """A finished job's copy, with copies of its files, owned by `owner` (who may be someone it was shared with)."""
    source = Job.objects.select_related("score").get(id=job_id)
    score = getattr(source, "score", None)
    if source.status != Job.Status.DONE or score is None:
        raise JobError("Only a finished score can be copied.")
    with transaction.atomic():
        copy = _copy_row(source, owner_id=owner.id, copied_from_id=source.id, title=(title or source.title)[:200],
                         rq_job_id="")
        copy.save()  # an id first: file paths are made from it
        _copy_file(source.audio, copy, "audio")
        copy.save()
        score_copy = _copy_row(score, job_id=copy.id, title=copy.title)
        _copy_file(score.midi, score_copy, "midi")
        score_copy.save()
        for stem in source.stems.all():
            stem_copy = Stem(job=copy, instrument=stem.instrument)
            _copy_file(stem.audio, stem_copy, "audio")
            stem_copy.save()
    return copy


def _job_files(job: Job) -> list[str]:
    names = [job.audio.name] if job.audio else []
    names += [s.audio.name for s in job.stems.all() if s.audio]
    score = Score.objects.filter(job=job).first()
    if score is not None and score.midi:
        names.append(score.midi.name)
    return names


def _delete_files(names: list[str], folder: str | None = None) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s", name, exc_info=True)
    if folder is not None:
        # Anything else written under the job's folder (exports, caches) goes with it.
        import shutil

        path = Path(settings.MEDIA_ROOT) / folder
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def job_delete(*, job_id: UUID) -> None:
    """Delete a job, its score and every file of it. A running job stops at its next heartbeat."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id).first()
        if job is None:
            return
        names, rq_job_id, active = _job_files(job), job.rq_job_id, job.status in Job.ACTIVE
        job.delete()
        transaction.on_commit(lambda: _delete_files(names, folder=f"jobs/{job_id}"))
        if active:
            transaction.on_commit(lambda: _rq_cancel(rq_job_id))


def job_purge_files(*, job_id: UUID) -> int:
    """Free a job's disk space: its recording and stems go; the score and its MIDI stay. Returns files removed."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job_id)
        names = ([job.audio.name] if job.audio else []) + [s.audio.name for s in job.stems.all() if s.audio]
        job.stems.all().delete()
        job.audio = ""
        job.save(update_fields=["audio", "updated_at"])
        transaction.on_commit(lambda: _delete_files(names))
    return len(names)
