"""A finished score owned by alice, for the score page and its exports."""
import pytest
from django.core.files.base import ContentFile

from ml.notes import Note, Track, Transcription
from transcription.models import Job, Score

ABC = "X:1\nT:Minuet <in> G & more\nM:4/4\nL:1/16\nK:C\nC4 E4 G8|]\n"


@pytest.fixture
def score(user):
    job = Job(owner=user, title="Minuet", status=Job.Status.DONE)
    job.audio.save("minuet.wav", ContentFile(b"RIFF"), save=False)
    job.save()
    notes = Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=1.0)
    s = Score(job=job, title="Minuet", notes=notes.to_dict(), abc=ABC)
    s.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    s.save()
    return s
