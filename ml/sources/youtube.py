"""YouTube as a source of recordings: check the link, read the metadata, download the audio.

Three steps, each usable on its own:

1. ``normalize_youtube_url`` runs when the form is submitted: it accepts every
   common way of writing a YouTube video link and reduces it to one canonical
   ``https://www.youtube.com/watch?v=<id>``, so nothing the user typed except the
   11-character video id ever reaches the downloader.
2. ``fetch_metadata`` asks YouTube about the video and refuses live streams and
   videos over the length limit before a single byte of audio is downloaded.
3. ``download_audio`` downloads the best audio-only stream in its original
   container (WebM/Opus or M4A/AAC); ``ml.audio`` decodes both with ffmpeg, so no
   post-processing runs here.

Only YouTube is ever contacted: the URL's host must be in ``FetchScope.hosts``
and yt-dlp may only use the extractors in ``FetchScope.extractors`` (by default
just ``youtube``, never yt-dlp's generic extractor, which would fetch any page it
is given). Tests widen the scope to a server on 127.0.0.1; production never does.

yt-dlp's failures are turned into ``SourceError`` subclasses whose text tells the
user what happened and what to do; yt-dlp's own text stays in ``__cause__``.
"""
from __future__ import annotations

import copy
import http.cookiejar
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yt_dlp
from yt_dlp.cookies import YoutubeDLCookieJar
from yt_dlp.utils import DownloadError, GeoRestrictedError, YoutubeDLError

from ml.errors import MLError

logger = logging.getLogger(__name__)

DEFAULT_MAX_SECONDS = 15 * 60
CANONICAL_URL = "https://www.youtube.com/watch?v={video_id}"

# ---------------------------------------------------------------------------
# Errors. Each message says what happened and what the user can do about it.
# ---------------------------------------------------------------------------

_UPLOAD_INSTEAD = "upload the recording as an audio file instead"
_COOKIES_HINT = "A site administrator can allow this by configuring a YouTube cookies file for the server."


class SourceError(MLError):
    """A YouTube link could not be turned into a recording. Subclasses say why."""

    default_message = (
        f"We couldn't get this video from YouTube. Please try again later, or {_UPLOAD_INSTEAD}."
    )


class InvalidSourceError(SourceError):
    """The text is not a link to one YouTube video (refused before any job is queued)."""

    default_message = (
        "Only YouTube video links are supported. Paste a link such as "
        f"https://www.youtube.com/watch?v=… or {_UPLOAD_INSTEAD}."
    )


class SourceTooLongError(SourceError):
    """The video is longer than the configured maximum (refused before downloading)."""

    default_message = (
        "This video is too long for us to transcribe. "
        "Trim the part you need and upload it as an audio file instead."
    )


class PrivateVideoError(SourceError):
    default_message = (
        "This video is private (or only for the channel's members), so we can't download it. "
        "If you have the recording, upload it as an audio file instead."
    )


class PaidVideoError(SourceError):
    default_message = (
        "This video is only for paying viewers (a rental, a purchase or YouTube Premium), "
        "so we can't download it. If you have the recording, upload it as an audio file instead."
    )


class VideoRemovedError(SourceError):
    default_message = (
        "This video is no longer on YouTube: it was removed or the link is wrong. "
        f"Check the link, or {_UPLOAD_INSTEAD}."
    )


class AgeRestrictedError(SourceError):
    default_message = (
        "YouTube only shows this video to signed-in adults, so we can't download it. "
        f"Please {_UPLOAD_INSTEAD}. {_COOKIES_HINT}"
    )


class RegionBlockedError(SourceError):
    default_message = (
        "This video isn't available in the country our server is in, so we can't download it. "
        f"Please {_UPLOAD_INSTEAD}."
    )


class LiveVideoError(SourceError):
    default_message = (
        "This is a live stream or premiere, which we can't transcribe while it is live or upcoming. "
        f"Try again once it has ended and YouTube has published the recording, or {_UPLOAD_INSTEAD}."
    )


class BotCheckError(SourceError):
    default_message = (
        "YouTube asked our server to prove it isn't a bot and refused the download. "
        f"Please try again later, or {_UPLOAD_INSTEAD}. {_COOKIES_HINT}"
    )


class RateLimitedError(SourceError):
    default_message = (
        "YouTube is limiting downloads from our server right now. "
        f"Please try again in an hour, or {_UPLOAD_INSTEAD}."
    )


class NotDownloadableError(SourceError):
    default_message = (
        "YouTube doesn't offer a downloadable audio track for this video (it may be copy-protected). "
        f"Please {_UPLOAD_INSTEAD}."
    )


# Messages for the ways a pasted link can fail to name one video.
EMPTY_LINK_MESSAGE = "Paste the link of a YouTube video."
PLAYLIST_MESSAGE = (
    "This link is to a YouTube playlist, not a single video. "
    "Open the video you want in the playlist and copy its link."
)
CHANNEL_MESSAGE = "This link is to a YouTube channel, not a video. Open the video you want and copy its link."
NO_VIDEO_MESSAGE = (
    "This YouTube link doesn't point to a video. "
    "Open the video and copy its link from the address bar or the Share button."
)
BAD_VIDEO_ID_MESSAGE = (
    "This YouTube link looks cut off or mistyped: the video code in it isn't valid. "
    "Copy the link again from the video's Share button."
)

# ---------------------------------------------------------------------------
# 1. Link rules
# ---------------------------------------------------------------------------

# The id, then nothing or something that can't be part of one: a second "?t=30"
# typed onto a watch link, "&t=30" onto a youtu.be link, or the full stop of the
# sentence the link was copied from. yt-dlp reads such links the same way.
_VIDEO_ID_RE = re.compile(r"([A-Za-z0-9_-]{11})(?:[^A-Za-z0-9_-].*)?", re.DOTALL)
# Quotes or brackets a link was pasted in, from a chat message or Markdown.
_WRAPPERS = "<>\"'()[]"
# Exact host names: a suffix match would let "youtube.com.evil.com" through.
_SHORT_LINK_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_YOUTUBE_HOSTS = frozenset({
    "youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
    "youtube-nocookie.com", "www.youtube-nocookie.com",
})
# /shorts/<id>, /embed/<id>, /live/<id> and the old /v/<id>.
_ID_PATH_KINDS = frozenset({"shorts", "embed", "live", "v"})
_CHANNEL_PATH_RE = re.compile(r"^/(?:@|channel/|c/|user/)")
_MAX_LINK_LENGTH = 2000


def normalize_youtube_url(text: str) -> str:
    """Return ``https://www.youtube.com/watch?v=<id>`` for any common link to one YouTube video.

    Accepts watch, youtu.be, shorts, embed, live and music/mobile links, with or
    without scheme or ``www``, and drops every other parameter (``t``, ``list``,
    ``si``, ``feature``, …). Raises ``InvalidSourceError`` for anything else.
    """
    text = text.strip().strip(_WRAPPERS).strip()
    if not text:
        raise InvalidSourceError(EMPTY_LINK_MESSAGE)
    if len(text) > _MAX_LINK_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidSourceError()
    if "://" not in text and not text.startswith("//"):
        text = f"https://{text}"  # people paste "youtu.be/…" without a scheme
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise InvalidSourceError() from None
    host = parts.hostname
    if (
        parts.scheme not in ("http", "https", "")
        or parts.username is not None  # "youtube.com@evil.com" tricks
        or port is not None
        or (host not in _YOUTUBE_HOSTS and host not in _SHORT_LINK_HOSTS)
    ):
        raise InvalidSourceError()

    query = parse_qs(parts.query)
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in _SHORT_LINK_HOSTS:
        candidate = segments[0] if len(segments) == 1 else None
    elif segments == ["watch"]:
        candidate = query.get("v", [None])[0]
    elif len(segments) == 2 and segments[0] in _ID_PATH_KINDS and segments[1] != "videoseries":
        # "/embed/videoseries?list=…" embeds a playlist; "videoseries" happens to be 11 letters long.
        candidate = segments[1]
    else:
        candidate = None

    if candidate is None:
        if "list" in query or segments[:1] == ["playlist"]:
            raise InvalidSourceError(PLAYLIST_MESSAGE)
        if _CHANNEL_PATH_RE.match(parts.path):
            raise InvalidSourceError(CHANNEL_MESSAGE)
        raise InvalidSourceError(NO_VIDEO_MESSAGE)
    if not (match := _VIDEO_ID_RE.fullmatch(candidate)):
        raise InvalidSourceError(BAD_VIDEO_ID_MESSAGE)
    return CANONICAL_URL.format(video_id=match[1])


# ---------------------------------------------------------------------------
# 2. Metadata
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchScope:
    """Where yt-dlp may go. The default is production's: YouTube watch pages only.

    ``extractors`` are yt-dlp extractor names (regexes, matched whole, ignoring
    case); ``hosts`` are the exact host names a URL handed to this module may have.
    """

    extractors: tuple[str, ...] = ("youtube",)
    # normalize_youtube_url always produces this host, so nothing else is needed.
    hosts: frozenset[str] = frozenset({"www.youtube.com"})


YOUTUBE_ONLY = FetchScope()


@dataclass(frozen=True, slots=True)
class VideoInfo:
    id: str
    title: str
    duration: float | None  # seconds; None when the site does not say
    thumbnail_url: str | None
    is_live: bool  # live now, upcoming, or a just-ended stream still being processed
    # What yt-dlp extracted, so that downloading the video need not ask YouTube
    # again: every extra request brings its "confirm you're not a bot" check nearer.
    extracted: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)


def fetch_metadata(
    url: str,
    *,
    cookies_file: Path | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    scope: FetchScope = YOUTUBE_ONLY,
) -> VideoInfo:
    """Describe the video at ``url`` without downloading it.

    Raises ``LiveVideoError`` / ``SourceTooLongError`` when it can't be
    transcribed, and the other ``SourceError`` subclasses when YouTube refuses.
    """
    _check_in_scope(url, scope)
    with _youtube_dl(scope=scope, cookies_file=cookies_file) as ydl:
        video = _video_info(_extract(ydl, url))
    check_video(video, max_seconds=max_seconds)
    return video


def check_video(video: VideoInfo, *, max_seconds: float) -> None:
    """Refuse live streams and videos longer than ``max_seconds``.

    An unknown duration is let through: YouTube reports one for every finished
    video, and the audio loader measures the downloaded file anyway.
    """
    if video.is_live:
        raise LiveVideoError()
    if video.duration is not None and video.duration > max_seconds:
        raise SourceTooLongError(
            f"This video is {_clock(video.duration)} long, and we can transcribe up to "
            f"{_limit_text(max_seconds)}. Trim the part you need and upload it as an audio file instead."
        )


# ---------------------------------------------------------------------------
# 3. Download
# ---------------------------------------------------------------------------

# Audio-only streams only: they are a fraction of the size of video, and keeping
# YouTube's own container means no ffmpeg post-processing step here.
AUDIO_FORMAT = "bestaudio"


def download_audio(
    url: str,
    dest_dir: Path,
    *,
    progress: Callable[[float], None] | None = None,
    cookies_file: Path | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    scope: FetchScope = YOUTUBE_ONLY,
    video: VideoInfo | None = None,
) -> Path:
    """Download the best audio-only stream of ``url`` into ``dest_dir``; return the file's path.

    ``video``: what ``fetch_metadata`` returned for this ``url``; its extraction is
    reused, so YouTube is asked about the video once, not twice. The metadata is
    checked (``check_video``) before any audio is fetched. ``progress`` receives
    increasing fractions in 0..1 and ends with 1.0.
    """
    _check_in_scope(url, scope)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    reporter = _ProgressReporter(progress)
    with _youtube_dl(scope=scope, cookies_file=cookies_file, dest_dir=dest_dir, progress_hook=reporter.hook) as ydl:
        # One extraction serves both the check and the download (no second round trip).
        if video is not None and video.extracted is not None:
            info = copy.deepcopy(dict(video.extracted))  # processing writes into it
        else:
            info = _extract(ydl, url)
        check_video(_video_info(info), max_seconds=max_seconds)
        try:
            result = ydl.process_ie_result(info, download=True)
        except YoutubeDLError as error:
            # Format selection raises a bare ExtractorError here; downloads raise DownloadError.
            raise map_ytdlp_error(error) from error
    downloads = result.get("requested_downloads") or []
    if not downloads or not Path(downloads[0]["filepath"]).is_file():
        raise SourceError()
    reporter.finish()
    return Path(downloads[0]["filepath"])


class _ProgressReporter:
    """Turns yt-dlp's byte counts into fractions that only ever go up.

    Steps under 1% are dropped: the callback may write a database row each time.
    """

    _MIN_STEP = 0.01

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self._callback = callback
        self._last = 0.0

    def hook(self, status: dict[str, Any]) -> None:
        if status.get("status") != "downloading":
            return
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        if not total:
            return  # size unknown: no honest fraction to give
        fraction = min(status.get("downloaded_bytes", 0) / total, 1.0)
        if fraction >= 1.0 or fraction - self._last >= self._MIN_STEP:
            self._emit(fraction)

    def finish(self) -> None:
        self._emit(1.0)

    def _emit(self, fraction: float) -> None:
        if self._callback is not None and fraction > self._last:
            self._last = fraction
            self._callback(fraction)


# ---------------------------------------------------------------------------
# yt-dlp plumbing
# ---------------------------------------------------------------------------


def _check_in_scope(url: str, scope: FetchScope) -> None:
    """Refuse a URL outside the scope before yt-dlp sees it (a second guard after the extractor list)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidSourceError() from None
    if parts.scheme not in ("http", "https") or parts.username is not None or parts.hostname not in scope.hosts:
        raise InvalidSourceError()


class _YtDlpLog:
    """Sends yt-dlp's console output to logging. Its errors are raised to us as
    exceptions too, so they are logged as warnings to avoid double error reports."""

    def debug(self, message: str) -> None:
        logger.debug("%s", message)

    def info(self, message: str) -> None:
        logger.info("%s", message)

    def warning(self, message: str) -> None:
        logger.warning("%s", message)

    def error(self, message: str) -> None:
        logger.warning("%s", message)


@contextmanager
def _youtube_dl(
    *,
    scope: FetchScope,
    cookies_file: Path | None,
    dest_dir: Path | None = None,
    progress_hook: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[yt_dlp.YoutubeDL]:
    params: dict[str, Any] = {
        # The security boundary: no other extractor (above all "generic") is loaded.
        "allowed_extractors": list(scope.extractors),
        "format": AUDIO_FORMAT,
        "noplaylist": True,
        "fixup": "never",  # keep the file as YouTube serves it; ffmpeg is not needed here
        "logger": _YtDlpLog(),
        "quiet": True,
        "noprogress": True,
        "color": {"stdout": "no_color", "stderr": "no_color"},
        "socket_timeout": 30,
        "retries": 3,
        "outtmpl": "%(id)s.%(ext)s",
        "restrictfilenames": True,
        "progress_hooks": [progress_hook] if progress_hook else [],
    }
    if dest_dir is not None:
        params["paths"] = {"home": str(dest_dir), "temp": str(dest_dir)}
    with tempfile.TemporaryDirectory(prefix="rescored-yt-") as scratch:
        if cookies_file is not None:
            params["cookiefile"] = _usable_cookies(cookies_file, Path(scratch))
        with yt_dlp.YoutubeDL(params) as ydl:
            yield ydl


def _usable_cookies(cookies_file: Path, scratch: Path) -> str | None:
    """A private copy of the administrator's cookies file, or None when it can't be used.

    yt-dlp writes the cookie jar back when it closes; the copy keeps the
    administrator's file unchanged (and lets it be read-only). A wrong path or a
    file in the wrong format is logged and skipped rather than failing every link
    with an error the user can do nothing about: most videos need no cookies, and
    those that do end with a message that mentions the cookies file.
    """
    try:
        copy = shutil.copy(cookies_file, scratch / "cookies.txt")
        YoutubeDLCookieJar(copy).load()
    except (OSError, http.cookiejar.LoadError) as error:
        logger.error("The YouTube cookies file %s can't be used, so it is ignored: %s", cookies_file, error)
        return None
    return str(copy)


def _extract(ydl: yt_dlp.YoutubeDL, url: str) -> dict[str, Any]:
    # process=False: no format selection yet, so the checks run on what the site
    # reported and the same result can then be downloaded with process_ie_result.
    try:
        info = ydl.extract_info(url, download=False, process=False)
    except YoutubeDLError as error:
        raise map_ytdlp_error(error) from error
    if not info or info.get("_type", "video") != "video":
        raise InvalidSourceError(NO_VIDEO_MESSAGE)  # a playlist or a redirect, not one video
    return info


def _video_info(info: dict[str, Any]) -> VideoInfo:
    live_status = info.get("live_status")
    thumbnails = [t for t in info.get("thumbnails") or [] if t.get("url")]
    # yt-dlp lists thumbnails worst first; "preference" ranks YouTube's sizes.
    best_thumbnail = max(thumbnails, key=lambda t: (t.get("preference") or 0, t.get("width") or 0), default=None)
    duration = info.get("duration")
    return VideoInfo(
        id=str(info["id"]),
        title=info.get("title") or str(info["id"]),
        duration=float(duration) if duration is not None else None,
        thumbnail_url=info.get("thumbnail") or (best_thumbnail or {}).get("url"),
        is_live=bool(info.get("is_live")) or live_status in ("is_live", "is_upcoming", "post_live"),
        extracted=info,
    )


# What YouTube (via yt-dlp) says, lower-cased, mapped to what we tell the user.
# Order matters: "Video unavailable. The uploader has not made this video
# available in your country" is a region block, not a removal.
_ERROR_RULES: tuple[tuple[type[SourceError], tuple[str, ...]], ...] = (
    (RegionBlockedError, (
        "available in your country", "blocked it in your country", "from your location",
    )),
    (BotCheckError, ("not a bot", "captcha", "your ip is likely being blocked")),
    (PaidVideoError, ("requires payment", "music premium", "youtube premium", "premium members")),
    (RateLimitedError, ("content isn't available, try again later", "http error 429", "too many requests")),
    (AgeRestrictedError, ("confirm your age", "age-restricted", "inappropriate for some users")),
    (PrivateVideoError, ("private video", "video is private", "members-only", "join this channel")),
    (LiveVideoError, (
        "live event will begin", "premieres in", "premiere will begin", "live stream recording is not available",
        "this live event has ended",
    )),
    (VideoRemovedError, (
        "video unavailable", "has been removed", "no longer available", "has been terminated",
        "does not exist", "video is unavailable", "video is not available",
    )),
    (InvalidSourceError, ("no suitable extractor", "unsupported url")),
    (NotDownloadableError, ("requested format is not available", "no video formats found", "drm protected")),
)


def map_ytdlp_error(error: BaseException) -> SourceError:
    """Translate a yt-dlp ``DownloadError`` / ``ExtractorError`` into the error we show the user."""
    cause = error.exc_info[1] if isinstance(error, DownloadError) and error.exc_info else error
    if isinstance(cause, GeoRestrictedError):
        return RegionBlockedError()
    # YouTube writes "you’re" with a typographic apostrophe.
    text = str(error).lower().replace("\u2019", "'")
    for error_class, phrases in _ERROR_RULES:
        if any(phrase in text for phrase in phrases):
            return error_class()
    return SourceError()


def _clock(seconds: float) -> str:
    """1234.5 -> "20:34"; 3725 -> "1:02:05"."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _limit_text(seconds: float) -> str:
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return _clock(seconds)
