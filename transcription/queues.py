import django_rq
from rq import Queue

# Transcription needs the models: it goes to the queue a GPU worker serves
# (any worker serves it where there is no GPU).
TRANSCRIPTION_QUEUE = "gpu"


def transcription_queue() -> Queue:
    return django_rq.get_queue(TRANSCRIPTION_QUEUE)
