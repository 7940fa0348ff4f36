"""`python manage.py transcribe INPUT --out DIR`: the pipeline without the web app.

A stable interface: DIR/score.mid and DIR/score.abc are always written; later
versions add files beside them, never change these.
"""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ml.errors import MLError
from ml.midi import write_midi
from ml.notation.abc import to_abc
from ml.pipeline import transcribe_file


class Command(BaseCommand):
    help = "Transcribe a recording to DIR/score.mid and DIR/score.abc."

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path, help="an audio file (wav, mp3, flac, ogg, m4a)")
        parser.add_argument("--out", type=Path, required=True, help="folder to write the score into")
        parser.add_argument("--device", default=settings.ML_DEVICE or None, help="cpu or cuda (default: auto)")

    def handle(self, *args, input: Path, out: Path, device: str | None, **options):
        if not input.is_file():
            raise CommandError(f"{input} is not a file")
        last = {"stage": None}

        def progress(stage: str, fraction: float) -> None:
            if stage != last["stage"]:
                last["stage"] = stage
                self.stderr.write(f"{stage}…")

        try:
            transcription = transcribe_file(input, device=device, progress=progress)
        except MLError as exc:
            raise CommandError(str(exc)) from exc
        out.mkdir(parents=True, exist_ok=True)
        write_midi(transcription, out / "score.mid")
        (out / "score.abc").write_text(to_abc(transcription, title=input.stem), encoding="utf-8")
        notes = sum(len(t.notes) for t in transcription.tracks)
        self.stdout.write(f"{notes} notes → {out / 'score.mid'}, {out / 'score.abc'}")
