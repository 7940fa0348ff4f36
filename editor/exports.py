"""A score in every format people use, written on demand from its canonical
notation (``Score.doc``), so an edited score exports its edits the moment they
are saved. "performance-midi" is the other truth: the recording as transcribed
(``Score.notes``), every nuance of timing kept.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ml.midi import write_midi
from ml.notation.abc import score_to_abc
from ml.notation.engrave import engrave
from ml.notation.musicxml import score_to_musicxml
from ml.notation.pdf import to_pdf
from ml.notation.score import ScoreDoc
from ml.notation.score_midi import score_to_midi
from ml.notes import Transcription
from transcription.models import Score


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    extension: str


FORMATS = ("midi", "musicxml", "pdf", "abc", "performance-midi")


def score_export(*, score: Score, format: str) -> Export:
    if format == "performance-midi":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "performance.mid"
            write_midi(Transcription.from_dict(score.notes), path)
            return Export(path.read_bytes(), "audio/midi", "performance.mid")
    doc = score_doc(score)
    if format == "midi":
        return Export(score_to_midi(doc), "audio/midi", "mid")
    if format == "musicxml":
        return Export(score_to_musicxml(doc).encode("utf-8"), "application/vnd.recordare.musicxml+xml", "musicxml")
    if format == "pdf":
        return Export(to_pdf(score_to_musicxml(doc), title=score.title), "application/pdf", "pdf")
    if format == "abc":
        return Export(score_to_abc(doc).text.encode("utf-8"), "text/vnd.abc; charset=utf-8", "abc")
    raise ValueError(f"unknown export format {format!r}")


def score_abc(score: Score) -> str:
    """The score's ABC as it stands now (edits included), for pages that show it."""
    return score_to_abc(score_doc(score)).text


def score_doc(score: Score) -> ScoreDoc:
    """The score's notation under its current title; a score saved before notation
    was stored is engraved from its notes."""
    doc = ScoreDoc.from_dict(score.doc) if score.doc else engrave(Transcription.from_dict(score.notes), title=score.title)
    doc.title = score.title
    return doc
