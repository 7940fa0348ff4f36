"""The real yt-dlp download path, against a small HTTP server on 127.0.0.1.

YouTube can't be reached from tests, so the scope is widened, in these tests
only, to yt-dlp's generic extractor and the host 127.0.0.1. The server serves a
page describing the recording (schema.org JSON-LD, which the generic extractor
reads, duration included) and the audio itself, as WebM/Opus like YouTube's
audio-only streams.
"""
from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import imageio_ffmpeg
import pytest
import yt_dlp

from ml import audio
from ml.sources.youtube import (
    YOUTUBE_ONLY,
    FetchScope,
    InvalidSourceError,
    LiveVideoError,
    NotDownloadableError,
    SourceError,
    SourceTooLongError,
    VideoInfo,
    check_video,
    download_audio,
    fetch_metadata,
)

TUNE_SECONDS = 4
# An HLS media playlist without #EXT-X-ENDLIST: a stream that is still live.
LIVE_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"
    b"#EXTINF:2.0,\nsegment100.aac\n#EXTINF:2.0,\nsegment101.aac\n"
)
LOCAL_ONLY = FetchScope(extractors=("generic",), hosts=frozenset({"127.0.0.1"}))


@pytest.fixture(scope="module")
def tune_webm(tmp_path_factory) -> bytes:
    """A few seconds of a 440 Hz tone, encoded the way YouTube serves audio (Opus in WebM)."""
    path = tmp_path_factory.mktemp("tune") / "tune.webm"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={TUNE_SECONDS}",
         "-c:a", "libopus", "-b:a", "160k", str(path)],
        check=True,
    )
    return path.read_bytes()


class _Site:
    """What the test server serves, and which paths were asked for."""

    def __init__(self, base: str, tune: bytes) -> None:
        self.base = base
        self.tune = tune
        self.requested: list[str] = []
        self.cookies: list[str | None] = []  # the Cookie header of each request

    def page_url(self, name: str) -> str:
        return f"{self.base}/watch/{name}"

    def page(self, name: str) -> bytes | None:
        kinds = {
            # name: (schema.org type, ISO 8601 duration, served media)
            "short": ("AudioObject", f"PT{TUNE_SECONDS}S", "/media/tune.webm"),
            "long": ("AudioObject", "PT20M", "/media/long.webm"),
            "video-only": ("VideoObject", f"PT{TUNE_SECONDS}S", "/media/video.mp4"),
            "broken": ("AudioObject", f"PT{TUNE_SECONDS}S", "/media/missing.webm"),  # the audio itself 404s
        }
        if name not in kinds:
            return None
        kind, duration, media = kinds[name]
        json_ld = {
            "@context": "https://schema.org", "@type": kind, "name": f"Test tune ({name})",
            "duration": duration, "contentUrl": self.base + media,
            "encodingFormat": "audio/webm" if kind == "AudioObject" else "video/mp4",
            "thumbnailUrl": f"{self.base}/thumbs/{name}.jpg",
        }
        return (
            "<!doctype html><html><head><title>Test tune</title>"
            f'<script type="application/ld+json">{json.dumps(json_ld)}</script>'
            "</head><body></body></html>"
        ).encode()


@pytest.fixture
def site(tune_webm, monkeypatch) -> Iterator[_Site]:
    # A proxy configured in the environment must not swallow requests to ourselves.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            site.cookies.append(self.headers.get("Cookie"))
            if self.path == "/watch/elsewhere":
                # A page that sends its visitor on to another host (an internal one, say).
                target = site.base.replace("127.0.0.1", "localhost") + "/internal"
                self._send(f'<meta http-equiv="refresh" content="0;url={target}">'.encode(), "text/html")
            elif self.path.startswith("/watch/") and (body := site.page(self.path.removeprefix("/watch/"))):
                self._send(body, "text/html; charset=utf-8")
            elif self.path == "/media/tune.webm":
                self._send(site.tune, "audio/webm")
            elif self.path == "/live/stream.m3u8":
                self._send(LIVE_PLAYLIST, "application/vnd.apple.mpegurl")
            else:
                self.send_error(404)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = _Site(f"http://127.0.0.1:{server.server_port}", tune_webm)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join()


def test_download_saves_decodable_audio_and_reports_progress_up_to_one(site, tmp_path):
    fractions: list[float] = []

    path = download_audio(site.page_url("short"), tmp_path / "job", progress=fractions.append, scope=LOCAL_ONLY)

    assert path.parent == tmp_path / "job" and path.suffix == ".webm"
    assert path.read_bytes() == site.tune  # the original container, untouched
    assert audio.probe(path).duration == pytest.approx(TUNE_SECONDS, abs=0.1)
    assert len(fractions) >= 3
    assert fractions == sorted(set(fractions)), "progress only goes up"
    assert 0 < fractions[0] < 1 and fractions[-1] == 1.0


def test_metadata_comes_from_the_site_without_downloading(site):
    info = fetch_metadata(site.page_url("short"), scope=LOCAL_ONLY)

    assert info.title == "Test tune (short)"
    assert info.duration == TUNE_SECONDS
    assert info.thumbnail_url == f"{site.base}/thumbs/short.jpg"
    assert info.is_live is False
    assert site.requested == ["/watch/short"]


def test_the_metadata_fetched_first_serves_the_download_without_asking_again(site, tmp_path):
    # Every request to YouTube brings its bot check nearer: the page is read once.
    video = fetch_metadata(site.page_url("short"), scope=LOCAL_ONLY)

    path = download_audio(site.page_url("short"), tmp_path, video=video, scope=LOCAL_ONLY)

    assert path.read_bytes() == site.tune
    assert site.requested == ["/watch/short", "/media/tune.webm"]


def test_a_video_over_the_limit_is_refused_before_its_audio_is_fetched(site, tmp_path):
    with pytest.raises(SourceTooLongError) as caught:
        download_audio(site.page_url("long"), tmp_path, max_seconds=15 * 60, scope=LOCAL_ONLY)

    assert str(caught.value).startswith("This video is 20:00 long, and we can transcribe up to 15 minutes.")
    assert site.requested == ["/watch/long"]
    assert list(tmp_path.iterdir()) == []


def test_fetch_metadata_refuses_a_video_over_the_limit(site):
    with pytest.raises(SourceTooLongError):
        fetch_metadata(site.page_url("long"), max_seconds=60, scope=LOCAL_ONLY)


def test_a_recording_without_an_audio_only_stream_is_not_downloaded(site, tmp_path):
    with pytest.raises(NotDownloadableError):
        download_audio(site.page_url("video-only"), tmp_path, scope=LOCAL_ONLY)

    assert "/media/video.mp4" not in site.requested


def test_an_http_failure_gives_the_general_message_and_keeps_the_detail_for_logs(site):
    with pytest.raises(SourceError) as caught:
        fetch_metadata(site.page_url("gone"), scope=LOCAL_ONLY)

    assert type(caught.value) is SourceError
    assert str(caught.value) == SourceError.default_message
    assert "HTTP Error 404" in str(caught.value.__cause__)


def test_a_download_that_fails_midway_gives_the_general_message_and_no_file(site, tmp_path):
    fractions: list[float] = []

    with pytest.raises(SourceError) as caught:
        download_audio(site.page_url("broken"), tmp_path / "job", progress=fractions.append, scope=LOCAL_ONLY)

    assert type(caught.value) is SourceError and "HTTP Error 404" in str(caught.value.__cause__)
    assert "/media/missing.webm" in site.requested
    assert fractions == [] or fractions[-1] < 1.0  # never reported as complete
    assert not any(path.suffix == ".webm" for path in (tmp_path / "job").iterdir())


@pytest.mark.parametrize("action", ["fetch_metadata", "download_audio"])
def test_production_scope_never_contacts_a_local_address(site, tmp_path, action):
    url = site.page_url("short")

    with pytest.raises(InvalidSourceError):
        if action == "fetch_metadata":
            fetch_metadata(url)
        else:
            download_audio(url, tmp_path)

    assert site.requested == []


def test_production_scope_loads_the_youtube_video_extractor_and_nothing_else():
    ydl = yt_dlp.YoutubeDL({"allowed_extractors": list(YOUTUBE_ONLY.extractors), "quiet": True})

    assert list(ydl._ies) == ["Youtube"]  # above all, no "Generic", which would fetch any page


def test_youtube_extractors_alone_refuse_a_local_address_even_if_the_host_were_allowed(site):
    # Both guards are independent: with only the host check widened, yt-dlp still
    # has no extractor that accepts the URL, so no request is made.
    scope = FetchScope(extractors=YOUTUBE_ONLY.extractors, hosts=frozenset({"127.0.0.1"}))

    with pytest.raises(InvalidSourceError):
        fetch_metadata(site.page_url("short"), scope=scope)

    assert site.requested == []


@pytest.mark.parametrize("action", ["fetch_metadata", "download_audio"])
def test_a_page_that_points_elsewhere_is_refused_without_following_it(site, tmp_path, action):
    # yt-dlp would hand the new address to whichever extractor takes it; we stop at
    # anything that is not one video, so the other host is never asked.
    with pytest.raises(InvalidSourceError):
        if action == "fetch_metadata":
            fetch_metadata(site.page_url("elsewhere"), scope=LOCAL_ONLY)
        else:
            download_audio(site.page_url("elsewhere"), tmp_path, scope=LOCAL_ONLY)

    assert site.requested == ["/watch/elsewhere"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("action", ["fetch_metadata", "download_audio"])
def test_a_live_stream_is_refused_before_anything_is_recorded(site, tmp_path, action):
    url = f"{site.base}/live/stream.m3u8"

    with pytest.raises(LiveVideoError):
        if action == "fetch_metadata":
            fetch_metadata(url, scope=LOCAL_ONLY)
        else:
            download_audio(url, tmp_path, scope=LOCAL_ONLY)

    assert all(path == "/live/stream.m3u8" for path in site.requested), "no segment was fetched"
    assert list(tmp_path.iterdir()) == []


COOKIES = "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsigned-in\n"


def test_the_administrators_cookies_are_sent_and_their_file_left_as_it_was(site, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(COOKIES)
    cookies.chmod(0o400)  # read-only is enough

    download_audio(site.page_url("short"), tmp_path / "job", cookies_file=cookies, scope=LOCAL_ONLY)

    assert site.cookies and all(header == "SID=signed-in" for header in site.cookies)
    assert cookies.read_text() == COOKIES


@pytest.mark.parametrize("contents", [None, "this is not a cookies file\n"])
def test_an_unusable_cookies_file_is_logged_and_links_still_work(site, tmp_path, caplog, contents):
    cookies = tmp_path / "cookies.txt"  # missing, or in the wrong format
    if contents is not None:
        cookies.write_text(contents)

    with caplog.at_level(logging.ERROR, logger="ml.sources.youtube"):
        info = fetch_metadata(site.page_url("short"), cookies_file=cookies, scope=LOCAL_ONLY)

    assert info.title == "Test tune (short)"
    assert site.cookies == [None]
    assert f"The YouTube cookies file {cookies} can't be used" in caplog.text


def _video(*, duration: float | None = 60.0, is_live: bool = False) -> VideoInfo:
    return VideoInfo(id="dQw4w9WgXcQ", title="t", duration=duration, thumbnail_url=None, is_live=is_live)


def test_live_streams_are_refused():
    with pytest.raises(LiveVideoError):
        check_video(_video(duration=None, is_live=True), max_seconds=900)


@pytest.mark.parametrize(
    ("duration", "max_seconds", "message_start"),
    [
        (900.4, 900, "This video is 15:00 long, and we can transcribe up to 15 minutes."),
        (3725, 900, "This video is 1:02:05 long, and we can transcribe up to 15 minutes."),
        (61, 60, "This video is 1:01 long, and we can transcribe up to 1 minute."),
        (100, 90, "This video is 1:40 long, and we can transcribe up to 1:30."),
    ],
)
def test_too_long_videos_are_refused_with_both_lengths(duration, max_seconds, message_start):
    with pytest.raises(SourceTooLongError) as caught:
        check_video(_video(duration=duration), max_seconds=max_seconds)

    assert str(caught.value).startswith(message_start)


@pytest.mark.parametrize("duration", [None, 1.0, 900.0])
def test_videos_within_the_limit_or_of_unknown_length_pass(duration):
    check_video(_video(duration=duration), max_seconds=900)
