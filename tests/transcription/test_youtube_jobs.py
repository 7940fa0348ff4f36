"""Jobs from a YouTube link: refused before queueing when the link is wrong; otherwise the
CPU queue fetches the audio (real yt-dlp, against a local server) and hands the job to the GPU queue."""
from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import imageio_ffmpeg
import pytest
from django.urls import reverse

from ml.sources import FetchScope, LiveVideoError, SourceError
from transcription import services
from transcription.models import Job

LOCAL_ONLY = FetchScope(extractors=("generic",), hosts=frozenset({"127.0.0.1"}))
# An HLS media playlist without #EXT-X-ENDLIST: a stream that is still live.
LIVE_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"
    b"#EXTINF:2.0,\nsegment100.aac\n#EXTINF:2.0,\nsegment101.aac\n"
)


def post(client, **data):
    return client.post(reverse("transcription:job_new"), data)


@pytest.mark.django_db
def test_link_is_normalised_and_queued_for_download(client_alice, queue, download_queue, separation_installed,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_alice, url="https://youtu.be/dQw4w9WgXcQ?t=42&si=tracking", separate="on",
                        instruments=["bass", "drums"])
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.source == Job.Source.YOUTUBE
    assert job.source_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert job.instruments == ["bass", "drums"] and job.separate
    assert download_queue.job_ids == [job.rq_job_id] and queue.count == 0


@pytest.mark.django_db
def test_a_link_pasted_without_https_gets_past_the_browser_and_is_accepted(client_alice, queue, download_queue):
    page = client_alice.get(reverse("transcription:job_new")).content.decode()
    assert 'name="url"' in page and 'type="url"' not in page  # a browser would refuse "youtu.be/…" itself

    response = post(client_alice, url="  youtu.be/dQw4w9WgXcQ?si=tracking ")
    assert response.status_code == 302
    assert Job.objects.get().source_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "reason"),
    [("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "playlist, not a single video"),
     ("https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw", "YouTube channel, not a video"),
     ("https://youtube.com.evil.org/watch?v=dQw4w9WgXcQ", "Only YouTube video links are supported")],
)
def test_the_form_says_why_a_link_is_refused(client_alice, queue, url, reason):
    response = post(client_alice, url=url)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not Job.objects.exists() and queue.count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://vimeo.com/12345", "http://127.0.0.1/watch?v=dQw4w9WgXcQ",
                                 "https://www.youtube.com/@somechannel", "not a link"])
def test_links_we_cannot_use_are_refused_with_a_message(client_alice, queue, url):
    response = post(client_alice, url=url)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Job.objects.exists() and queue.count == 0


@pytest.mark.django_db
def test_neither_file_nor_link_is_refused(client_alice, queue):
    response = post(client_alice)
    assert response.status_code == 400
    assert "Please choose a recording to upload or paste a YouTube link" in response.content.decode()


@pytest.mark.django_db
def test_unknown_instrument_is_refused(client_alice, queue):
    response = post(client_alice, url="https://youtu.be/dQw4w9WgXcQ", instruments=["kazoo"])
    assert response.status_code == 400 and not Job.objects.exists()


class _Site(BaseHTTPRequestHandler):
    pages: dict[str, tuple[str, str]] = {}  # name → (ISO duration, title)
    media = b""
    requested: list[str] = []  # paths asked for, in order

    def do_GET(self):  # noqa: N802 - the http.server API
        self.requested.append(self.path)
        if self.path == "/media/slow.webm":
            self._send_slowly(self.media, "audio/webm")
            return
        if self.path.startswith("/media/"):
            self._send(self.media, "audio/webm")
            return
        if self.path.endswith(".m3u8"):
            self._send(LIVE_PLAYLIST, "application/vnd.apple.mpegurl")
            return
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.pages:
            self.send_error(404)
            return
        duration, title = self.pages[name]
        base = f"http://127.0.0.1:{self.server.server_port}"
        json_ld = {"@context": "https://schema.org", "@type": "AudioObject", "name": title,
                   "duration": duration, "contentUrl": f"{base}/media/{name}.webm", "encodingFormat": "audio/webm",
                   "thumbnailUrl": f"{base}/thumbs/{name}.jpg"}
        html = f'<html><head><title>{title}</title><script type="application/ld+json">{json.dumps(json_ld)}</script></head></html>'
        self._send(html.encode(), "text/html")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_slowly(self, body: bytes, content_type: str) -> None:
        """About three seconds for the whole file, as a real download takes a while."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = len(body) // 20 + 1
        for start in range(0, len(body), step):
            self.wfile.write(body[start:start + step])
            self.wfile.flush()
            time.sleep(0.15)

    def log_message(self, *args):
        pass


@pytest.fixture
def video_site(piano_wav, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # a configured proxy must not swallow requests to ourselves
    webm = tmp_path / "piece.webm"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(piano_wav),
                    "-c:a", "libopus", "-b:a", "128k", str(webm)], check=True)
    _Site.media = webm.read_bytes()
    _Site.requested = []
    _Site.pages = {"piece": ("PT10S", "Nocturne in E-flat"), "long": ("PT20M", "A very long concert"),
                   "slow": ("PT10S", "Nocturne on a slow line")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SOURCE_FETCH_SCOPE = LOCAL_ONLY  # this test only: the local server stands in for YouTube
    yield f"http://127.0.0.1:{server.server_port}/watch"
    server.shutdown()


def link_job(owner, url) -> Job:
    # Made directly: the form would rightly refuse a link that is not YouTube's.
    job = Job.objects.create(owner=owner, title="YouTube video", source=Job.Source.YOUTUBE, source_url=url)
    services.job_enqueue_download(job_id=job.id)
    return job


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_link_job_downloads_then_transcribes(user, client_alice, queue, run_worker, video_site):
    job = link_job(user, f"{video_site}/piece")
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.title == "Nocturne in E-flat"
    assert job.audio_duration == pytest.approx(9.9, abs=0.3)
    assert {"Fetching video details", "Downloading audio", "Transcribing piano"} <= set(job.stage_timings)
    assert len(job.score.notes["tracks"][0]["notes"]) > 40
    assert "Nocturne in E-flat" in client_alice.get(job.get_absolute_url()).content.decode()
    # The video's page was read once: its details serve the download too (fewer bot checks).
    assert _Site.requested == ["/watch/piece", "/media/piece.webm"]


@pytest.mark.django_db(transaction=True)
def test_too_long_video_fails_before_download(user, client_alice, queue, run_worker, video_site, settings):
    settings.MAX_AUDIO_MINUTES = 15
    job = link_job(user, f"{video_site}/long")
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "15 minutes" in job.error
    assert not job.audio


@pytest.mark.django_db(transaction=True)
def test_the_length_limit_is_the_configured_one(user, queue, run_worker, video_site, settings):
    settings.MAX_AUDIO_MINUTES = 0.1  # 6 seconds: the 10-second piece is now too long
    job = link_job(user, f"{video_site}/piece")
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("This video is 0:10 long, and we can transcribe up to 0:06.")
    assert not job.audio and queue.count == 0
    # The history still says which video it was.
    assert job.title == "Nocturne in E-flat" and job.audio_duration == pytest.approx(9.9, abs=0.3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("page", "message"),
    [("gone.m3u8", LiveVideoError.default_message),  # a stream that is still live
     ("gone", SourceError.default_message)],  # the site answers 404
)
def test_a_video_that_cannot_be_fetched_ends_the_job_with_its_message(user, queue, run_worker, video_site, page,
                                                                        message):
    job = link_job(user, f"{video_site}/{page}")
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None  # never left "running"
    assert job.error == message and "upload" in job.error
    assert not job.audio and queue.count == 0  # nothing handed to the GPU queue


@pytest.mark.django_db(transaction=True)
def test_download_progress_moves_the_job_percent(user, queue, video_site, monkeypatch):
    seen: list[tuple[str, int]] = []
    timings_while_downloading: list[dict] = []
    real_report = services.job_report_progress

    def report_and_record(*, job_id, stage, fraction, **more):
        real_report(job_id=job_id, stage=stage, fraction=fraction, **more)
        job = Job.objects.get(id=job_id)
        seen.append((job.stage, job.percent))
        if stage == services.STAGE_DOWNLOADING:
            timings_while_downloading.append(job.stage_timings)

    monkeypatch.setattr(services, "job_report_progress", report_and_record)  # the real write, observed
    job = link_job(user, f"{video_site}/slow")
    services.job_download(job_id=job.id)

    downloading = [percent for stage, percent in seen if stage == services.STAGE_DOWNLOADING]
    assert len(set(downloading)) >= 3, seen  # the bar moves while the audio arrives, not just at the end
    assert downloading == sorted(downloading) and downloading[-1] > 50
    # While the audio arrives, the finished stage's time is already on the job (and its page).
    assert all(timings.get(services.STAGE_FETCHING, 0) > 0 for timings in timings_while_downloading)
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.audio and job.title == "Nocturne on a slow line"
    assert job.thumbnail_url == f"{video_site.removesuffix('/watch')}/thumbs/slow.jpg"
    assert queue.job_ids == [job.rq_job_id]  # handed on to the transcription queue


@pytest.mark.django_db(transaction=True)
def test_cancelling_while_the_audio_downloads_stops_the_download(user, queue, video_site, monkeypatch):
    real_report = services.job_report_progress
    reports_after_cancel: list[str] = []

    def report_then_cancel(*, job_id, stage, fraction, **more):
        if Job.objects.get(id=job_id).status == Job.Status.CANCELLED:
            reports_after_cancel.append(stage)
        real_report(job_id=job_id, stage=stage, fraction=fraction, **more)
        if stage == services.STAGE_DOWNLOADING and fraction > 0:
            services.job_cancel(job_id=job_id)  # the owner clicks Cancel mid-download

    monkeypatch.setattr(services, "job_report_progress", report_then_cancel)
    job = link_job(user, f"{video_site}/slow")
    started = time.monotonic()
    services.job_download(job_id=job.id)

    assert time.monotonic() - started < 2.5  # the slow file takes 3 s to arrive: it was not waited for
    assert len(reports_after_cancel) <= 1  # the next report is where the worker notices, and stops
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and not job.audio and queue.count == 0
