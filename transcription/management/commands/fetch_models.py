"""`python manage.py fetch_models [NAME ...] [--list]`: put model files into settings.MODEL_DIR.

Each file is verified against its pinned sha256 before it is moved into place,
so an interrupted or corrupted download leaves nothing behind. Files already
present and intact are left alone, which makes the command safe to rerun (for
example on every deploy).
"""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ml import weights
from ml.errors import ModelUnavailableError


class Command(BaseCommand):
    help = "Download and verify model files into MODEL_DIR; --list shows what is present or missing."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="NAME", help="models to fetch (default: all)")
        parser.add_argument("--list", action="store_true", dest="list_only", help="show the state of each file, download nothing")
        parser.add_argument("--model-dir", type=Path, help="folder to use instead of settings.MODEL_DIR")

    def handle(self, *args, names: list[str], list_only: bool, model_dir: Path | None, **options):
        model_dir = model_dir or Path(settings.MODEL_DIR)
        unknown = [name for name in names if name not in weights.CATALOGUE]
        if unknown:
            raise CommandError(f"Unknown model {', '.join(unknown)}; known: {', '.join(weights.CATALOGUE)}")
        names = names or list(weights.CATALOGUE)
        self.stdout.write(f"Model folder: {model_dir.resolve()}")
        failures = []
        for name in names:
            self.stdout.write(f"{name}: {weights.CATALOGUE[name].description}")
            for item in weights.check(name, model_dir=model_dir):
                size = f"{item.file.size / 1e6:.1f} MB" if item.file.size is not None else "size not published"
                label = f"  {item.path.relative_to(model_dir)} ({size})"
                if list_only or item.state is weights.FileState.PRESENT:
                    self.stdout.write(f"{label}: {item.state.value}")
                    continue
                self.stdout.write(f"{label}: {item.state.value}, fetching from {item.file.source}…")
                try:
                    weights.fetch(item.file, folder=item.path.parent)
                except ModelUnavailableError as error:
                    failures.append(item.file.name)
                    # The operator reads this, so the technical cause goes beside the sentence.
                    self.stderr.write(f"    failed: {error} ({error.__cause__ or 'no further detail'})")
                else:
                    self.stdout.write("    verified and installed")
        if failures:
            raise CommandError(f"Could not fetch {', '.join(failures)}; see the messages above.")
