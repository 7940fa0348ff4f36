"""RQ entry points. Each takes an id, and hands the work to a service."""
from __future__ import annotations

import logging
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections
from rq.exceptions import AbandonedJobError
from rq.timeouts import JobTimeoutException

from ml.errors import MLError
from transcription import services

logger = logging.getLogger(__name__)


def run_transcription_job(job_id: str) -> None:
    close_old_connections()  # a long-lived worker may hold a connection the server dropped
    services.job_run(job_id=UUID(job_id))


def download_source_job(job_id: str) -> None:
    close_old_connections()
    services.job_download(job_id=UUID(job_id))


def job_failed_callback(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ calls this when the job raised, timed out, or was abandoned by a dead worker."""
    job_id = UUID(rq_job.args[0])
    services.job_fail(job_id=job_id, reason=failure_message(exc_value))


def failure_message(exc: BaseException | None) -> str:
    if isinstance(exc, MLError):
        return str(exc)
    if isinstance(exc, JobTimeoutException):
        minutes = settings.JOB_TIMEOUT_SECONDS / 60
        return (
            f"Transcription took longer than the allowed {minutes:g} minutes and was stopped. "
            "Please try a shorter recording."
        )
    if isinstance(exc, AbandonedJobError):
        return services.WORKER_DIED_MESSAGE
    logger.error("transcription failed unexpectedly: %r", exc)
    return (
        "Something went wrong on our side while transcribing this recording "
        f"({type(exc).__name__}). Please try again later."
    )
