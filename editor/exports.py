"""A score in every format people use, written from its stored note list on demand.

Nothing is cached on disk: the note list is the one truth, so an edited score
exports its edits the moment they are saved.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ml.midi import write_midi
from ml.notation.abc import to_abc
from ml.notation.musicxml import to_musicxml
from ml.notation.pdf import to_pdf
from ml.notes import Transcription
from transcription.models import Score


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    extension: str


FORMATS = ("midi", "musicxml", "pdf", "abc")


def score_export(*, score: Score, format: str) -> Export:
    transcription = Transcription.from_dict(score.notes)
    if format == "midi":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "score.mid"
            write_midi(transcription, path)
            return Export(path.read_bytes(), "audio/midi", "mid")
    if format == "musicxml":
        xml = to_musicxml(transcription, title=score.title)
        return Export(xml.encode("utf-8"), "application/vnd.recordare.musicxml+xml", "musicxml")
    if format == "pdf":
        xml = to_musicxml(transcription, title=score.title)
        return Export(to_pdf(xml, title=score.title), "application/pdf", "pdf")
    if format == "abc":
        return Export(to_abc(transcription, title=score.title).encode("utf-8"), "text/vnd.abc; charset=utf-8", "abc")
    raise ValueError(f"unknown export format {format!r}")
