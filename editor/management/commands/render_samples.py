"""`python manage.py render_samples [--force]`: the per-note sounds the score player uses.

Renders them from the General MIDI SoundFont pretty_midi ships into
static/soundfont/ (git-ignored), where abcjs finds them as static files.
Quick when they are already there, so scripts/setup runs it every time.
"""
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from editor.samples import render_samples

SAMPLES_DIR = Path(settings.BASE_DIR) / "static" / "soundfont"


class Command(BaseCommand):
    help = "Render the player's per-note samples from a General MIDI SoundFont into static/soundfont/."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="render again even when up to date")
        parser.add_argument("--soundfont", type=Path, help="an .sf2 file instead of pretty_midi's TimGM6mb.sf2")
        parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="folder to write (default: static/soundfont)")

    def handle(self, *args, force: bool, soundfont: Path | None, out: Path, **options):
        started = time.monotonic()
        count = render_samples(out, soundfont=soundfont, force=force)
        if count:
            self.stdout.write(f"Rendered {count} samples into {out} in {time.monotonic() - started:.1f} s")
        else:
            self.stdout.write(f"Samples in {out} are up to date")
