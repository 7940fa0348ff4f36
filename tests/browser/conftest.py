"""A real browser (Debian's Chromium, driven by Playwright) against the real ASGI
server (daphne: HTTP and WebSocket) and a real worker process."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rescored_site.embedded_redis import is_listening

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server_url(process_env):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rescored_site.asgi:application"],
        cwd=REPO, env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not is_listening(port):
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "daphne did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def start_worker(process_env):
    """Start a real worker process in burst mode; it exits when the queue is empty."""
    workers = []

    def start() -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "gpu", "--burst",
             "--worker-class", "transcription.worker.TranscriptionWorker"],
            cwd=REPO, env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.kill()


@contextmanager
def chromium_page(monkeypatch, *extra_args: str, height: int = 900) -> Iterator:
    """A Playwright page in Debian's Chromium; the test is skipped where Chromium is missing."""
    # Playwright's sync API keeps an event loop running in this thread; the ORM
    # calls the test makes beside it are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); scripts/test installs it where it can")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", *extra_args],
        )
        yield browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": height}).new_page()
        browser.close()


@pytest.fixture
def page(monkeypatch):
    with chromium_page(monkeypatch) as page:
        yield page
