"""Test settings: the real settings, with a Redis port of the suite's own and
short worker timings so failure paths can be tested in seconds."""
import os

# Keep the suite off the Redis that a running scripts/run may have started.
os.environ.setdefault("EMBEDDED_REDIS_PORT", "6392")

from rescored_site.settings import *  # noqa: E402,F403
from rescored_site.settings import BASE_DIR, DATABASES  # noqa: E402

MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "test-media"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
JOB_HEARTBEAT_SECONDS = 1
JOB_STALE_AFTER_SECONDS = 4
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a worker in another process can see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
# CI has no internet: a test that needs weights brings its own, never downloads.
MODEL_DOWNLOAD = False
