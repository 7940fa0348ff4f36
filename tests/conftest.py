"""Shared fixtures: a real Redis (the embedded one unless REDIS_URL is set), users,
logged-in clients, synthesized recordings and a real RQ worker."""
from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from rescored_site import embedded_redis
from tests import factories

# In CI the property tests replay the same examples every run, so a green main stays
# green; local runs keep exploring new ones (and pin what they find with @example).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def collector_as_usual():
    """Serving a score page freezes the objects alive then (editor.memory); each test
    starts and ends with the garbage collector seeing everything, as a new process does."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session", autouse=True)
def redis_server(tmp_path_factory):
    """The Redis the suite talks to: REDIS_URL's, or a private one started here."""
    if os.environ.get("REDIS_URL"):
        yield settings.REDIS_URL
        return
    port = settings.EMBEDDED_REDIS_PORT
    process = None
    if not embedded_redis.is_listening(port):
        process = embedded_redis.start(port, tmp_path_factory.mktemp("redis"))
    yield settings.REDIS_URL
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def queue(redis_server):
    """The transcription queue, emptied (with every other queue) before and after the test."""
    from transcription.queues import transcription_queue

    q = transcription_queue()
    q.connection.flushdb()
    yield q
    q.connection.flushdb()


@pytest.fixture
def download_queue(queue):
    from transcription.queues import download_queue

    return download_queue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def separation_installed(settings, tmp_path):
    """A MODEL_DIR where the separation model's files are in place, as the web form
    checks them (by name only). Empty stand-ins: a worker would refuse them."""
    from ml import weights

    settings.MODEL_DIR = tmp_path / "models"
    folder = weights.model_folder(settings.SEPARATION_MODEL, model_dir=settings.MODEL_DIR)
    folder.mkdir(parents=True)
    for file in weights.CATALOGUE[settings.SEPARATION_MODEL].files:
        (folder / file.name).touch()
    return settings.MODEL_DIR


@pytest.fixture
def user(db):
    return factories.make_user("alice")


@pytest.fixture
def other_user(db):
    return factories.make_user("mallory")


@pytest.fixture
def client_alice(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def piano_wav(tmp_path_factory) -> Path:
    """A short piano phrase with known notes, rendered to a WAV file."""
    from tests.synth import PIANO_PHRASE, render_notes, write_wav

    path = tmp_path_factory.mktemp("audio") / "phrase.wav"
    write_wav(path, render_notes(PIANO_PHRASE), 44100)
    return path


@pytest.fixture
def process_env(settings, redis_server):
    """Environment for a server or worker process that shares this test's database and Redis."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


@pytest.fixture
def run_worker(queue, download_queue):
    """Run a real worker on both queues in burst mode: it drains them, then returns."""
    from transcription.worker import TranscriptionWorker

    def run() -> None:
        TranscriptionWorker([queue, download_queue], connection=queue.connection).work(burst=True)

    return run
