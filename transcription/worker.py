"""The RQ worker class that runs transcriptions.

It does not fork per job (unlike RQ's default worker): the models stay loaded in
the worker process across jobs, and CUDA, which does not survive a fork, works.
Job timeouts still apply (SIGALRM in the worker's main thread).
"""
from __future__ import annotations

import logging

from django.conf import settings
from rq.worker import SimpleWorker

from transcription import queues, services

logger = logging.getLogger(__name__)


class TranscriptionWorker(SimpleWorker):
    def work(self, *args, **kwargs):
        # Jobs whose worker died while this one was down end now, with a reason.
        failed = services.job_fail_stale()
        if failed:
            logger.warning("failed %d job(s) left running by a dead worker", failed)
        for queue in self.queues:
            queue.started_job_registry.cleanup()
        # A worker that only fetches links (the cpu queue alone) never loads a model.
        if any(queue.name == queues.TRANSCRIPTION_QUEUE for queue in self.queues):
            from ml.pipeline import preload

            preload(device=settings.ML_DEVICE or None)
        return super().work(*args, **kwargs)
