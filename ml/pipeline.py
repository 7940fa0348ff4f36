"""The facade the web app and the CLI call: a recording in, a note list (and stems) out.

Progress is a plain callback ``progress(stage_label, overall_fraction)``; the
fraction runs from 0 to 1 and never goes back. The caller (an RQ job) turns the
calls into database rows and live events; this package knows nothing of Django.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ml import weights
from ml.audio import load
from ml.constants import TRANSKUN_SAMPLE_RATE
from ml.errors import MLError, ModelUnavailableError
from ml.notes import Track, Transcription

if TYPE_CHECKING:
    import torch

    from ml.models.transkun import TranskunTranscriber

Progress = Callable[[str, float], None]

# What a user can ask for; each is a stem of the separator and a transcriber below.
INSTRUMENTS = ("piano", "guitar", "bass", "vocals", "drums", "other")
INSTRUMENT_NAMES = {
    "piano": "Piano", "guitar": "Guitar", "bass": "Bass", "vocals": "Vocals", "drums": "Drums", "other": "Other",
}

PIANO_BACKENDS = ("transkun", "bytedance")

# The whole job is read, separated in one step, then transcribed stem by stem.
SAMPLE_RATE = TRANSKUN_SAMPLE_RATE  # every stage works on 44.1 kHz audio

STAGE_READING = "Reading audio"
STAGE_SPLITTING_VOCALS = "Separating vocals"  # only with the vocals model in MODEL_DIR
STAGE_SEPARATING = "Separating instruments"
STAGE_SAVING_STEMS = "Saving instrument tracks"
STAGE_DONE = "Done"

# Where each stage starts on the overall 0..1 scale: decoding takes seconds,
# separation and the models nearly all the rest.
_READ_END = 0.05
_SEPARATE_END = 0.40
_VOCALS_END = (_READ_END + _SEPARATE_END) / 2  # vocals first, then the rest, when both run
_TRANSCRIBE_END = 0.98


class UnknownInstrumentError(MLError):
    default_message = "That instrument is not one Rescored can transcribe."


def transcribing_stage(instrument: str) -> str:
    return f"Transcribing {instrument}"


def transcribing_together_stage(instruments: Sequence[str]) -> str:
    """The one stage of instruments transcribed side by side: "Transcribing piano, bass and drums"."""
    names = list(instruments)
    return transcribing_stage(names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}")


STAGE_TRANSCRIBING = transcribing_stage("piano")  # the stage of a plain piano transcription


@dataclass(frozen=True)
class PipelineOptions:
    """What the user chose. ``instruments=None`` means "auto": after separation,
    the stems with real content; without separation, piano."""

    instruments: tuple[str, ...] | None = None
    separate: bool = False
    device: str | None = None
    model_dir: Path | None = None  # where separation weights live (see ml.weights)
    separation_model: str = "htdemucs_6s"
    # Split the voice off first with this model when its files are in model_dir
    # (never downloaded on the fly); None: the separation model alone.
    vocals_model: str | None = weights.BS_ROFORMER_VOCALS
    download_weights: bool = True  # fetch missing separation weights where there is internet
    # "transkun" (ships with its pip package) or "bytedance" (its checkpoint in model_dir).
    piano_backend: str = "transkun"
    # Transkun segments per network pass; None: by device (see ml.models.transkun.DEFAULT_BATCH_SEGMENTS).
    transkun_batch_segments: int | None = None
    # Transcribe the instruments side by side rather than one after another. None: where
    # the piano model runs on a GPU, so that the CPU's models (basic-pitch, drums) work
    # while it does; on a CPU alone they would only take cores from each other.
    side_by_side: bool | None = None

    def __post_init__(self) -> None:
        if self.piano_backend not in PIANO_BACKENDS:
            raise UnknownInstrumentError(f"“{self.piano_backend}” is not a piano transcription backend.")
        for name in self.instruments or ():
            if name not in INSTRUMENTS:
                raise UnknownInstrumentError(f"“{name}” is not an instrument Rescored can transcribe.")


@dataclass
class PipelineResult:
    transcription: Transcription
    stems: dict[str, Path] = field(default_factory=dict)  # instrument → listenable audio file


def transcribe_recording(
    path: str | os.PathLike[str],
    *,
    options: PipelineOptions = PipelineOptions(),
    stems_dir: Path | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Transcribe a recording in any common audio format into one track per instrument.

    Raises ml.errors.AudioError for files that are not usable audio and
    ml.errors.ModelUnavailableError when a model cannot be loaded. Silence is
    valid input and gives tracks without notes.
    """

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    report(STAGE_READING, 0.0)
    # Keep the file's channels: the models average (or separate) them themselves.
    audio = load(path, sample_rate=SAMPLE_RATE, mono=False)
    duration = audio.shape[0] / SAMPLE_RATE

    stem_files: dict[str, Path] = {}
    # Stems are encoded for listening (CPU, ffmpeg) while the models transcribe
    # (GPU where there is one): a job waits for the longer of the two, not their sum.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stems") as background:
        saving = None
        if options.separate:
            stems = separate_recording(audio, options=options, progress=report)
            instruments = list(options.instruments or _stems_with_content(stems))
            sources = {name: stems[name] for name in instruments}
            if stems_dir is not None:
                saving = background.submit(_write_stems, stems, stems_dir)
            start = _SEPARATE_END
        else:
            instruments = list(options.instruments or ("piano",))
            sources = {name: audio for name in instruments}
            start = _READ_END

        if len(instruments) > 1 and _side_by_side(options):
            tracks = _transcribe_side_by_side(instruments, sources, options=options, report=report, start=start)
        else:
            tracks = _transcribe_one_by_one(instruments, sources, options=options, report=report, start=start)
        if saving is not None:
            report(STAGE_SAVING_STEMS, _TRANSCRIBE_END)  # what is left of it: usually nothing
            stem_files = saving.result()

    report(STAGE_DONE, 1.0)
    return PipelineResult(Transcription(tracks=tracks, duration=duration), stems=stem_files)


def _transcribe_one_by_one(
    instruments: list[str], sources: dict[str, np.ndarray], *, options: PipelineOptions, report: Progress,
    start: float,
) -> list[Track]:
    tracks = []
    share = (_TRANSCRIBE_END - start) / max(len(instruments), 1)
    for index, instrument in enumerate(instruments):
        stage = transcribing_stage(instrument)
        begin = start + index * share
        report(stage, begin)
        track = _transcribe_stem(
            instrument, sources[instrument], options=options,
            progress=lambda f, stage=stage, begin=begin: report(stage, begin + share * min(f, 1.0)),
        )
        tracks.append(track)
    return tracks


class _Stopped(Exception):
    """Raised inside a transcriber's thread when another instrument failed or the job was cancelled."""


# How often the caller hears about side-by-side progress (and may cancel), in seconds.
_SIDE_BY_SIDE_REPORT_SECONDS = 0.25


def _side_by_side(options: PipelineOptions) -> bool:
    if options.side_by_side is not None:
        return options.side_by_side
    from ml.registry import canonical_device

    return canonical_device(options.device).type == "cuda"


def _transcribe_side_by_side(
    instruments: list[str], sources: dict[str, np.ndarray], *, options: PipelineOptions, report: Progress,
    start: float,
) -> list[Track]:
    """Every instrument in its own thread, as one stage; tracks in the order asked for.

    Progress goes to ``report`` from this thread only, never from the workers: the
    caller's callback may write to a database and raises to cancel the job. When
    one instrument fails or the callback raises, the others stop at their next
    progress step and the exception is raised here.
    """
    stage = transcribing_together_stage(instruments)
    done = dict.fromkeys(instruments, 0.0)
    lock = threading.Lock()
    stop = threading.Event()

    def transcribe(instrument: str) -> Track:
        def progress(fraction: float) -> None:
            if stop.is_set():
                raise _Stopped()
            with lock:
                done[instrument] = max(done[instrument], min(fraction, 1.0))

        return _transcribe_stem(instrument, sources[instrument], options=options, progress=progress)

    report(stage, start)
    with ThreadPoolExecutor(max_workers=len(instruments), thread_name_prefix="transcribe") as workers:
        futures = [workers.submit(transcribe, instrument) for instrument in instruments]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=_SIDE_BY_SIDE_REPORT_SECONDS, return_when=FIRST_EXCEPTION)
                for future in finished:
                    future.result()  # a failure is raised now, not after the slowest instrument
                with lock:
                    fraction = sum(done.values()) / len(done)
                report(stage, start + (_TRANSCRIBE_END - start) * fraction)
        except BaseException:
            stop.set()  # the others end at their next progress step; leaving the pool waits for them
            raise
    return [future.result() for future in futures]


def transcribe_file(
    path: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> Transcription:
    """Transcribe a solo piano recording (no separation)."""
    options = PipelineOptions(instruments=("piano",), device=str(device) if device is not None else None)
    return transcribe_recording(path, options=options, progress=progress).transcription


def preload(device: str | torch.device | None = None) -> None:
    """Load the models every job may need now (a worker calls this at start) so the
    first job does not wait; each stays loaded for the life of the process. The
    separation models load on the first job that separates (their weights may
    not be installed)."""
    from ml.drums import templates
    from ml.models import basic_pitch

    _piano_transcriber(device)
    basic_pitch.get_session()
    templates.load()


def _transcribe_stem(
    instrument: str, audio: np.ndarray, *, options: PipelineOptions, progress: Callable[[float], None]
) -> Track:
    if instrument == "piano":
        transcriber = _piano_transcriber(
            options.device, backend=options.piano_backend, model_dir=options.model_dir,
            batch_segments=options.transkun_batch_segments,
        )
        notes = transcriber.transcribe(audio, progress=lambda done, total: progress(done / total))
        return Track(name=INSTRUMENT_NAMES["piano"], instrument="piano", program=0, notes=notes)
    if instrument == "drums":
        from ml.models import drums

        return drums.transcribe(audio, sample_rate=SAMPLE_RATE, progress=progress)
    from ml.models import basic_pitch

    return basic_pitch.transcribe(audio, instrument=instrument, sample_rate=SAMPLE_RATE, progress=progress)


def separate_recording(audio: np.ndarray, *, options: PipelineOptions, progress: Progress) -> dict[str, np.ndarray]:
    """The pipeline's separation stage on its own (the benchmark scores its stems).

    Stems by name, float ``(samples, channels)`` at SAMPLE_RATE: the voice split
    off first where the vocals model is in place, then the rest.
    """
    from ml import separation
    from ml.separation import vocals

    def stage(label: str, begin: float, end: float) -> Callable[[float], None]:
        progress(label, begin)
        return lambda fraction: progress(label, begin + (end - begin) * fraction)

    vocals_first = options.vocals_model is not None and vocals.files_in_place(
        model_dir=options.model_dir, model=options.vocals_model
    )
    if vocals_first:
        splitter = vocals.VocalSplitter(model_dir=options.model_dir, model=options.vocals_model, device=options.device)
        voice, audio = splitter.split(audio, progress=stage(STAGE_SPLITTING_VOCALS, _READ_END, _VOCALS_END))
    stems = separation.separate(
        audio, sample_rate=SAMPLE_RATE, model_dir=options.model_dir, model=options.separation_model,
        device=options.device, download=options.download_weights,
        progress=stage(STAGE_SEPARATING, _VOCALS_END if vocals_first else _READ_END, _SEPARATE_END),
    )
    return separation.with_vocals(stems, voice) if vocals_first else stems


def _stems_with_content(stems: dict[str, np.ndarray]) -> Sequence[str]:
    from ml import separation

    chosen = [name for name in separation.stems_with_content(stems) if name in INSTRUMENTS]
    return chosen or ["piano"]


def _write_stems(stems: dict[str, np.ndarray], stems_dir: Path) -> dict[str, Path]:
    from ml import separation

    return separation.write_stems(stems, stems_dir, sample_rate=SAMPLE_RATE)


def _piano_transcriber(
    device: str | torch.device | None,
    *,
    backend: str = "transkun",
    model_dir: Path | None = None,
    batch_segments: int | None = None,
) -> TranskunTranscriber:
    # Imported here, not at the top: torch and the model code take seconds and
    # hundreds of MB to import, and web processes import this module only to
    # enqueue jobs.
    if backend == "bytedance":
        from ml.models.bytedance_piano import ByteDancePianoTranscriber

        if model_dir is None:
            raise ModelUnavailableError("No folder for model files was given (the MODEL_DIR setting).")
        return ByteDancePianoTranscriber.from_model_dir(model_dir=model_dir, device=device)
    from ml import registry
    from ml.models.transkun import TranskunTranscriber

    return TranskunTranscriber(registry.get_model(registry.TRANSKUN, device=device), batch_segments=batch_segments)
