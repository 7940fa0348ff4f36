import django_rq
from rq import Queue

# Transcription needs the models: it goes to the queue a GPU worker serves
# (any worker serves it where there is no GPU). Fetching a link's audio needs
# only the network, so it never holds a GPU worker up.
TRANSCRIPTION_QUEUE = "gpu"
DOWNLOAD_QUEUE = "cpu"


def transcription_queue() -> Queue:
    return django_rq.get_queue(TRANSCRIPTION_QUEUE)


def download_queue() -> Queue:
    return django_rq.get_queue(DOWNLOAD_QUEUE)
