"""What a user sees in a real browser: the upload, live progress, and the score drawn by abcjs."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_user
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_upload_watch_live_progress_and_see_the_score(page, live_server_url, start_worker, queue, piano_wav):
    make_user("pianist")
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "pianist")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/new/")

    page.set_input_files("input[name=audio]", str(piano_wav))
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*-*/")
    assert page.locator("[data-stage]").inner_text() == "Waiting for a worker"
    # The progress socket is open before the worker starts, so what follows is pushed live.
    page.wait_for_function("window.rescoredSocketDown === false", timeout=10_000)

    start_worker()
    page.wait_for_function(
        "document.querySelector('[data-stage]') && "
        "document.querySelector('[data-stage]').textContent === 'Transcribing piano'",
        timeout=60_000,
    )
    # The stage already done is listed with its time while the piano is transcribed (pushed, not reloaded).
    page.wait_for_function(
        "document.querySelector('[data-timings]') && "
        "/Reading audio [0-9.]+ s/.test(document.querySelector('[data-timings]').textContent)",
        timeout=30_000,
    )
    page.screenshot(path=ARTIFACTS / "job-progress.png", full_page=True)

    page.wait_for_selector(".abc-render svg", timeout=120_000)
    page.screenshot(path=ARTIFACTS / "job-done.png", full_page=True)
    assert Job.objects.get().status == Job.Status.DONE
    # abcjs drew a grand staff: two staves per system, with notes on them.
    assert page.locator(".abc-render svg .abcjs-staff").count() >= 2
    assert page.locator(".abc-render svg .abcjs-note").count() > 20
    # Each export downloads a real file of its kind.
    signatures = {"MIDI": b"MThd", "MusicXML": b"<?xml", "PDF": b"%PDF", "ABC": b"X:1"}
    for label, signature in signatures.items():
        with page.expect_download() as download:
            page.get_by_role("link", name=label, exact=True).click()
        assert download.value.failure() is None, (label, download.value.failure())
        assert download.value.path().read_bytes().startswith(signature), label
