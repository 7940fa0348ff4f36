"""`python manage.py transcribe INPUT --out DIR [--instruments piano,bass,...] [--no-separate]`:
the pipeline without the web app.

A stable interface: DIR/score.mid and DIR/score.abc are always written, and
`transcribe FILE --out DIR` alone transcribes solo piano as it always has. Beside
them: DIR/score.musicxml, DIR/score.pdf, DIR/performance.mid (the notes with the
recording's own timing) and one MIDI per track (DIR/<instrument>.mid). Later
versions add files, never change these.
"""
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ml.errors import MLError
from ml.midi import write_midi
from ml.notation.abc import score_to_abc
from ml.notation.engrave import engrave
from ml.notation.musicxml import score_to_musicxml
from ml.notation.pdf import to_pdf
from ml.notation.score_midi import score_to_midi
from ml.notes import Transcription
from ml.pipeline import INSTRUMENTS, PipelineOptions, transcribe_recording
from ml.sources import YOUTUBE_ONLY, download_audio, fetch_metadata, normalize_youtube_url


class Command(BaseCommand):
    help = "Transcribe a recording or a YouTube link to DIR/score.mid, DIR/score.abc and one MIDI per track."

    def add_arguments(self, parser):
        parser.add_argument("input", help="an audio file (wav, mp3, flac, ogg, m4a) or a YouTube link")
        parser.add_argument("--out", type=Path, required=True, help="folder to write the score into")
        parser.add_argument(
            "--instruments", default="piano",
            help=f"comma-separated, from {', '.join(INSTRUMENTS)}, or 'auto' (default: piano)",
        )
        parser.add_argument(
            "--no-separate", action="store_true",
            help="transcribe the whole mix (separation is on whenever instruments other than piano alone are asked for)",
        )
        parser.add_argument("--device", default=settings.ML_DEVICE or None, help="cpu or cuda (default: auto)")

    def handle(self, *args, input: str, out: Path, instruments: str, no_separate: bool, device, **options):
        chosen = None if instruments.strip() == "auto" else tuple(i.strip() for i in instruments.split(",") if i.strip())
        # Solo piano, the default, needs no separation; anything else is a band to take apart.
        separate = not no_separate and chosen != ("piano",)
        try:
            pipeline_options = PipelineOptions(
                instruments=chosen, separate=separate, device=device, model_dir=Path(settings.MODEL_DIR),
                separation_model=settings.SEPARATION_MODEL, download_weights=settings.MODEL_DOWNLOAD,
                piano_backend=settings.PIANO_BACKEND, vocals_model=settings.VOCALS_MODEL,
                transkun_batch_segments=settings.TRANSKUN_BATCH_SEGMENTS,
            )
            with tempfile.TemporaryDirectory() as tmp:
                audio_path, title = self._audio_for(input, Path(tmp))
                result = transcribe_recording(
                    audio_path, options=pipeline_options, stems_dir=out / "stems", progress=self._progress()
                )
        except MLError as exc:
            raise CommandError(str(exc)) from exc
        self._write(result.transcription, out, title)

    def _audio_for(self, source: str, tmp: Path) -> tuple[Path, str]:
        path = Path(source)
        if path.is_file():
            return path, path.stem
        if "://" not in source and not source.strip().lower().startswith(("youtu", "www.", "music.", "m.")):
            raise CommandError(f"{source} is not a file")
        url = normalize_youtube_url(source)
        # The same limits, cookies and scope as the web app's download worker.
        fetch = {
            "max_seconds": settings.MAX_AUDIO_MINUTES * 60,
            "cookies_file": Path(settings.YOUTUBE_COOKIES_FILE) if settings.YOUTUBE_COOKIES_FILE else None,
            "scope": settings.SOURCE_FETCH_SCOPE or YOUTUBE_ONLY,
        }
        video = fetch_metadata(url, **fetch)
        self.stderr.write(f"Downloading “{video.title}”…")
        return download_audio(url, tmp, video=video, **fetch), video.title

    def _progress(self):
        last = {"stage": None}

        def progress(stage: str, fraction: float) -> None:
            if stage != last["stage"]:
                last["stage"] = stage
                self.stderr.write(f"{stage}…")

        return progress

    def _write(self, transcription: Transcription, out: Path, title: str) -> None:
        """score.mid plays the notation; <instrument>.mid (one per track) and
        performance.mid keep the recording's own timing, as transcribed."""
        out.mkdir(parents=True, exist_ok=True)
        doc = engrave(transcription, title=title)
        (out / "score.mid").write_bytes(score_to_midi(doc))
        write_midi(transcription, out / "performance.mid")
        (out / "score.abc").write_text(score_to_abc(doc).text, encoding="utf-8")
        musicxml = score_to_musicxml(doc)
        (out / "score.musicxml").write_text(musicxml, encoding="utf-8")
        (out / "score.pdf").write_bytes(to_pdf(musicxml, title=title))
        for track in transcription.tracks:
            write_midi(Transcription(tracks=[track], duration=transcription.duration), out / f"{track.instrument}.mid")
        notes = sum(len(t.notes) for t in transcription.tracks)
        names = ", ".join(t.name for t in transcription.tracks)
        self.stdout.write(
            f"{notes} notes ({names}) → {out}/score.mid, score.abc, score.musicxml, score.pdf, performance.mid"
        )
