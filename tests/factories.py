"""Test data in one place."""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

PASSWORD = "a-long-test-password-42"


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)


def upload_of(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def make_job(owner, title: str = "Recording", status: str = "queued", audio: bytes = b"RIFF", **fields):
    """A job with an input file stored, in any state."""
    from django.core.files.base import ContentFile

    from transcription.models import Job

    job = Job(owner=owner, title=title, status=status, **fields)
    if status == "failed" and not job.error:
        job.error = "The recording was silent."
    job.audio.save(f"{title}.wav", ContentFile(audio), save=False)
    job.save()
    return job


def make_score(owner, title: str = "Minuet", instrument: str = "piano", **job_fields):
    """A finished job with its score: a C major arpeggio, real ABC and MIDI files."""
    from ml.notes import Note, Track, Transcription

    job = make_job(owner, title, "done", audio_duration=job_fields.pop("audio_duration", 12.0), **job_fields)
    notes = [Note(60 + step, i * 0.5, i * 0.5 + 0.45, 80) for i, step in enumerate([0, 4, 7, 12, 7, 4, 0, 0])]
    transcription = Transcription(tracks=[Track(instrument.capitalize(), instrument, notes=notes)], duration=4.0)
    return engraved_score(job, transcription)


def engraved_score(job, transcription, *, tempo_bpm: float | None = None):
    """``job``'s score as the worker stores it: the notes, their engraving and their MIDI file."""
    import tempfile

    from django.core.files.base import ContentFile

    from ml.midi import write_midi
    from ml.notation.engrave import engrave
    from transcription.models import Score

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "score.mid"
        write_midi(transcription, path)
        midi = path.read_bytes()
    doc = engrave(transcription, title=job.title, tempo_bpm=tempo_bpm)
    score = Score(job=job, title=job.title, notes=transcription.to_dict(), doc=doc.to_dict())
    score.midi.save("score.mid", ContentFile(midi), save=False)
    score.save()
    return score
