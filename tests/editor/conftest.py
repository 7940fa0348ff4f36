"""A finished score owned by alice, for the score page and its exports."""
import pytest
from django.core.files.base import ContentFile

from ml.notes import Note, Track, Transcription
from transcription.models import Job, Score

@pytest.fixture
def score(user):
    job = Job(owner=user, title="Minuet", status=Job.Status.DONE)
    job.audio.save("minuet.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    notes = Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=1.0)
    s = Score(job=job, title="Minuet", notes=notes.to_dict())
    s.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    s.save()
    return s


@pytest.fixture
def scale_score(user):
    """A score whose notation is known note by note: C D E F | G A B C' (quarters), treble staff."""
    from tests.ml.notation.test_edit import make_doc

    doc = make_doc([[(0, 1, [60]), (1, 1, [62]), (2, 1, [64]), (3, 1, [65])],
                    [(0, 1, [67]), (1, 1, [69]), (2, 1, [71]), (3, 1, [72])]])
    job = Job(owner=user, title="Scale", status=Job.Status.DONE)
    job.save()
    notes = Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=4.0)
    s = Score(job=job, title="Scale", notes=notes.to_dict(), doc=doc.to_dict())
    s.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    s.save()
    return s


def first_event(doc_dict: dict, measure: int = 0, index: int = 0) -> dict:
    return doc_dict["parts"][0]["measures"][measure][0]["events"][index]
