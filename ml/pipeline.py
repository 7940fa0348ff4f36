"""The facade the web app and the CLI call: a recording in, a note list out.

Progress is a plain callback ``progress(stage_label, overall_fraction)``; the
fraction runs from 0 to 1 and never goes back. The caller (an RQ job) turns the
calls into database rows and live events; this package knows nothing of Django.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ml.audio import load
from ml.constants import TRANSKUN_SAMPLE_RATE
from ml.notes import Track, Transcription

if TYPE_CHECKING:
    import torch

    from ml.models.transkun import TranskunTranscriber

Progress = Callable[[str, float], None]

STAGE_READING = "Reading audio"
STAGE_TRANSCRIBING = "Transcribing piano"
STAGE_DONE = "Done"

# Where the transcription stage starts and ends on the overall 0..1 scale:
# decoding takes seconds, the model nearly all the rest.
_TRANSCRIBING_START = 0.05
_TRANSCRIBING_END = 0.98


def transcribe_file(
    path: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> Transcription:
    """Transcribe a piano recording in any common audio format.

    Raises ml.errors.AudioError for files that are not usable audio and
    ml.errors.ModelUnavailableError when the model cannot be loaded. Silence is
    valid input and gives a track without notes.
    """
    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    report(STAGE_READING, 0.0)
    # Keep the file's channels: the model averages their spectra itself.
    audio = load(path, sample_rate=TRANSKUN_SAMPLE_RATE, mono=False)

    def segment_done(done: int, total: int) -> None:
        # min(): should the model ever run more segments than it announced,
        # the stage stops at its end instead of overtaking "Done".
        share = min(done / total, 1.0)
        report(STAGE_TRANSCRIBING, _TRANSCRIBING_START + (_TRANSCRIBING_END - _TRANSCRIBING_START) * share)

    report(STAGE_TRANSCRIBING, _TRANSCRIBING_START)
    notes = _piano_transcriber(device).transcribe(audio, progress=segment_done)

    report(STAGE_DONE, 1.0)
    piano = Track(name="Piano", instrument="piano", program=0, notes=notes)
    return Transcription(tracks=[piano], duration=audio.shape[0] / TRANSKUN_SAMPLE_RATE)


def preload(device: str | torch.device | None = None) -> None:
    """Load the models now (a worker calls this at start) so the first job does not wait."""
    _piano_transcriber(device)


def _piano_transcriber(device: str | torch.device | None) -> TranskunTranscriber:
    # Imported here, not at the top: torch and the model code take seconds and
    # hundreds of MB to import, and web processes import this module only to
    # enqueue jobs.
    from ml import registry
    from ml.models.transkun import TranskunTranscriber

    return TranskunTranscriber(registry.get_model(registry.TRANSKUN, device=device))
