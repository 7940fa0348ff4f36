"""Listening to a score in a real browser: the transcription through abcjs's synth with
our own samples, the recording and its stems in step with it, exports and the print view."""
from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import pretty_midi
import pytest
from django.core.files.base import ContentFile
from lxml import etree

from ml.notes import Note, Track, Transcription
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.factories import PASSWORD, engraved_score, make_user
from tests.synth import render_notes, write_wav
from transcription.models import Job, Stem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TEMPO = 120  # a bar of 4/4 lasts 2 s
BEAT = 60 / TEMPO
LEAD_IN = 0.75  # silence before the first note: where bar 1 starts in the recording


def _phrase() -> Transcription:
    melody = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 60, 60]
    bass = [36, 43, 41, 43]
    piano = [Note(p, LEAD_IN + i * BEAT, LEAD_IN + (i + 0.9) * BEAT, 90) for i, p in enumerate(melody)]
    low = [Note(p, LEAD_IN + i * 4 * BEAT, LEAD_IN + (i * 4 + 3.8) * BEAT, 90) for i, p in enumerate(bass)]
    return Transcription(
        tracks=[Track("Piano", "piano", program=0, notes=piano), Track("Bass", "bass", program=33, notes=low)],
        duration=LEAD_IN + 16 * BEAT + 1,
    )


@pytest.fixture
def score(tmp_path):
    """A finished job as the worker leaves it: recording, a bass stem, notes, doc and ABC."""
    owner = make_user("listener")
    transcription = _phrase()
    job = Job(owner=owner, title="Scale study", status=Job.Status.DONE, percent=100, separate=True)
    mix, bass = tmp_path / "mix.wav", tmp_path / "bass.wav"
    write_wav(mix, render_notes([n for t in transcription.tracks for n in t.notes]), 44100)
    write_wav(bass, render_notes(transcription.tracks[1].notes), 44100)
    job.audio.save("scale.wav", ContentFile(mix.read_bytes()), save=False)
    job.save()
    Stem.objects.create(job=job, instrument="bass", audio=ContentFile(bass.read_bytes(), name="bass.wav"))
    return engraved_score(job, transcription, tempo_bpm=TEMPO)


@pytest.fixture
def browser_page(monkeypatch):
    """Chromium allowed to play sound without a gesture, recording every request it makes."""
    with chromium_page(monkeypatch, "--autoplay-policy=no-user-gesture-required", height=1000) as page:
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        yield page


def open_score(page, live_server_url, score):
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "listener")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server_url}/scores/{score.id}/")
    page.wait_for_selector("[data-player][data-ready='1']", timeout=20_000)


def position(page) -> float:
    return float(page.get_attribute("[data-player]", "data-position") or 0)


def wait_playing(page, source="score"):
    page.wait_for_selector(f"[data-player][data-state=playing][data-source='{source}']", timeout=30_000)
    time.sleep(0.3)


def synth_peak(page) -> float:
    return page.evaluate(
        """() => { const b = window.rescoredPlayer.synth().getAudioBuffer(); let peak = 0;
                   for (let c = 0; c < b.numberOfChannels; c++) for (const v of b.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
                   return peak; }"""
    )


def assert_all_requests_local(page, live_server_url):
    hosts = {urlparse(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    assert any("/static/soundfont/acoustic_grand_piano-mp3/" in url for url in page.requested)


def test_play_moves_the_cursor_then_pause_and_stop(browser_page, live_server_url, score):
    page = browser_page
    open_score(page, live_server_url, score)
    page.click("[data-action=play]")
    wait_playing(page)
    # The synth rendered real sound from our samples: the transcription is not silent.
    assert synth_peak(page) > 0.02
    first_x, first = page.get_attribute("[data-player]", "data-cursor-x"), position(page)
    time.sleep(1.5)
    later_x, later = page.get_attribute("[data-player]", "data-cursor-x"), position(page)
    assert 1.0 < later - first < 2.2, (first, later)
    assert later_x != first_x
    assert page.locator(".abc-render line.player-cursor").count() == 1
    assert page.locator(".abc-render .player-playing").count() >= 1
    page.screenshot(path=ARTIFACTS / "listening-playing.png", full_page=True)

    page.click("[data-action=pause]")
    paused = position(page)
    time.sleep(0.6)
    assert position(page) == paused
    assert page.get_attribute("[data-player]", "data-state") == "paused"
    page.click("[data-action=play]")
    wait_playing(page)
    assert position(page) >= paused

    page.click("[data-action=stop]")
    assert position(page) == 0
    assert page.locator(".abc-render line.player-cursor").count() == 0
    assert_all_requests_local(page, live_server_url)
    assert not [e for e in page.console_errors if "soundfont" in e or "Can't load" in e], page.console_errors


def test_tempo_slider_changes_the_speed(browser_page, live_server_url, score):
    page = browser_page
    open_score(page, live_server_url, score)
    page.click("[data-action=play]")
    wait_playing(page)
    full_speed_seconds = page.evaluate("window.rescoredPlayer.synth().getAudioBuffer().duration")
    page.fill("[data-tempo]", "50")
    page.dispatch_event("[data-tempo]", "change")
    page.wait_for_selector("[data-player][data-warp='50']")
    wait_playing(page)
    half_speed_seconds = page.evaluate("window.rescoredPlayer.synth().getAudioBuffer().duration")
    assert 1.8 < half_speed_seconds / full_speed_seconds < 2.2
    start = position(page)
    time.sleep(2)
    moved = position(page) - start
    assert 0.7 < moved < 1.4, moved  # two seconds of listening cover one second of score
    assert "60 bpm" in page.inner_text("[data-tempo-value]")


def test_recording_and_stem_play_in_step_with_the_score_and_ab_switches(browser_page, live_server_url, score):
    page = browser_page
    open_score(page, live_server_url, score)
    config = page.evaluate("JSON.parse(document.getElementById('player-config').textContent)")
    assert config["recordingOffset"] == pytest.approx(LEAD_IN, abs=0.01)
    assert [r["id"] for r in config["recordings"]] == ["original", "stem-bass"]

    page.check("input[name=player-source][value=original]")
    page.click("[data-action=play]")
    wait_playing(page, "original")
    time.sleep(1)
    state = page.evaluate(
        "(() => { const a = document.querySelector('audio[data-recording=original]');"
        " return {paused: a.paused, time: a.currentTime, position: window.rescoredPlayer.position()}; })()"
    )
    assert not state["paused"] and state["time"] > LEAD_IN + 0.8
    assert state["time"] - LEAD_IN == pytest.approx(state["position"], abs=0.1)

    # A/B: the transcription takes over at the same spot, the recording falls silent.
    before = position(page)
    page.click("[data-action=ab]")
    wait_playing(page, "score")
    assert page.evaluate("document.querySelector('audio[data-recording=original]').paused")
    assert page.evaluate("window.rescoredPlayer.synth().isRunning")
    assert before - 0.2 < position(page) < before + 1.2
    page.click("[data-action=ab]")
    wait_playing(page, "original")

    # A stem seeks to the same score time after a jump.
    page.check("input[name=player-source][value=stem-bass]")
    wait_playing(page, "stem-bass")
    page.evaluate("window.rescoredPlayer.seek(4)")
    time.sleep(0.5)
    stem_time = page.evaluate("document.querySelector('audio[data-recording=stem-bass]').currentTime")
    assert stem_time - LEAD_IN == pytest.approx(position(page), abs=0.15)
    assert stem_time > LEAD_IN + 4
    page.screenshot(path=ARTIFACTS / "listening-stem.png", full_page=True)
    assert_all_requests_local(page, live_server_url)


def test_mute_solo_seek_by_bar_loop_and_hear_a_note(browser_page, live_server_url, score):
    page = browser_page
    open_score(page, live_server_url, score)
    tracks = page.locator("[data-tracks] [data-track]")
    assert tracks.count() >= 2
    page.click("[data-action=play]")
    wait_playing(page)
    everything = synth_peak(page)
    energy = "(() => { const d = window.rescoredPlayer.synth().getAudioBuffer().getChannelData(0); let s = 0; for (const v of d) s += v * v; return s; })()"
    all_energy = page.evaluate(energy)
    # Solo the last track (the bass): the piano's notes leave the mix.
    tracks.last.locator("[data-solo]").check()
    wait_playing(page)
    solo_energy = page.evaluate(energy)
    assert 0 < solo_energy < all_energy * 0.9, (solo_energy, all_energy)
    tracks.last.locator("[data-solo]").uncheck()
    for i in range(tracks.count()):
        tracks.nth(i).locator("[data-mute]").check()
    wait_playing(page)
    assert synth_peak(page) < everything * 0.01
    page.click("[data-action=stop]")

    # Clicking a note in bar 3 moves the playhead to the start of bar 3, and plays that note.
    note = page.locator(".abc-render .abcjs-note.abcjs-mm2.abcjs-v0.abcjs-n1 .abcjs-notehead").first
    note.click()
    assert position(page) == pytest.approx(4.0, abs=0.05)
    page.wait_for_function("document.querySelector('[data-player]').dataset.heardPitches", timeout=10_000)

    # Loop bar 2: playing never leaves it.
    page.fill("[data-loop-from]", "2")
    page.fill("[data-loop-to]", "2")
    page.check("[data-loop]")
    for i in range(tracks.count()):
        tracks.nth(i).locator("[data-mute]").uncheck()
    page.click("[data-action=play]")
    wait_playing(page)
    seen = []
    for _ in range(14):
        seen.append(position(page))
        time.sleep(0.25)
    assert all(1.9 < p < 4.1 for p in seen), seen
    assert any(b < a for a, b in zip(seen, seen[1:], strict=False)), seen  # it wrapped back


def test_mute_rows_name_only_the_score_parts(browser_page, live_server_url, score):
    page = browser_page
    open_score(page, live_server_url, score)
    names = page.locator("[data-tracks] [data-track] .player-track-name").all_text_contents()
    assert names == [part["name"] for part in score.doc["parts"]] == ["Piano", "Bass"]


def test_a_share_link_holder_switches_tabs_and_plays_the_recording(browser_page, live_server_url, score):
    from accounts.services import share_link_create

    link = share_link_create(score=score, created_by=score.job.owner, expires_in_days=None)
    page = browser_page
    page.goto(f"{live_server_url}{link.get_absolute_url()}")  # not logged in
    page.wait_for_selector("[data-player][data-ready='1']", timeout=20_000)
    page.click(".editor-tabs [role=tab]:has-text('Bass')")
    page.wait_for_selector(".editor-tabs [role=tab][aria-selected=true]:has-text('Bass')", timeout=10_000)
    page.wait_for_selector("[data-player][data-ready='1']", timeout=20_000)
    page.check("input[name=player-source][value=original]")
    page.click("[data-action=play]")
    wait_playing(page, "original")
    time.sleep(1)
    assert page.evaluate("document.querySelector('audio[data-recording=original]').currentTime") > LEAD_IN + 0.5
    assert not any("/accounts/login/" in url for url in page.requested), page.requested
    page.screenshot(path=ARTIFACTS / "listening-share-link.png", full_page=True)


def test_each_export_downloads_a_valid_file_and_the_print_view_shows_the_score(browser_page, live_server_url, score, tmp_path):
    page = browser_page
    open_score(page, live_server_url, score)
    files = {}
    for label in ("MIDI", "MusicXML", "PDF", "ABC"):
        with page.expect_download() as download:
            page.get_by_role("link", name=label, exact=True).click()
        assert download.value.failure() is None, (label, download.value.failure())
        files[label] = download.value.path().read_bytes()
    midi = pretty_midi.PrettyMIDI(io.BytesIO(files["MIDI"]))
    assert sum(len(i.notes) for i in midi.instruments) >= 16
    xml = etree.fromstring(files["MusicXML"])
    assert xml.tag == "score-partwise" and xml.findall(".//note")
    assert files["PDF"].startswith(b"%PDF") and files["PDF"].count(b"/Type /Page") + files["PDF"].count(b"/Type/Page") >= 1
    assert files["ABC"].startswith(b"X:")

    with page.expect_popup() as popup:
        page.click("a.player-print")
    printed = popup.value
    printed.wait_for_selector(".print-score svg .abcjs-note", timeout=10_000)
    assert printed.locator(".print-score svg .abcjs-note").count() >= 16
    assert printed.locator("[data-player]").count() == 0
    printed.emulate_media(media="print")
    assert not printed.locator(".print-actions").is_visible()
    printed.screenshot(path=ARTIFACTS / "listening-print-view.png", full_page=True)
    pdf = printed.pdf()
    assert pdf.startswith(b"%PDF")
