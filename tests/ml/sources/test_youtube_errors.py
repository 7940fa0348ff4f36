"""yt-dlp's failures become errors that tell the user what happened and what to do.

The texts are what YouTube's player says (yt-dlp passes its "reason" through),
raised by a stand-in extractor through yt-dlp's own error path: the
extractor's raise_* helpers, YoutubeDL's extraction wrapper and report_error,
so the DownloadError and its message are exactly what yt-dlp gives us.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
import yt_dlp
from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.extractor.youtube import YoutubeIE
from yt_dlp.utils import DownloadError, ExtractorError

from ml.errors import MLError
from ml.sources.youtube import (
    AgeRestrictedError,
    BotCheckError,
    FetchScope,
    InvalidSourceError,
    LiveVideoError,
    NotDownloadableError,
    PaidVideoError,
    PrivateVideoError,
    RateLimitedError,
    RegionBlockedError,
    SourceError,
    VideoRemovedError,
    fetch_metadata,
    map_ytdlp_error,
)

VIDEO_ID = "dQw4w9WgXcQ"
URL = f"https://www.youtube.com/watch?v={VIDEO_ID}"
# yt-dlp appends this to every YouTube reason that contains "sign in".
LOGIN_HINT = YoutubeIE()._youtube_login_hint


class _FailingExtractor(InfoExtractor):
    """Stands in for the youtube extractor and fails the way it fails."""

    IE_NAME = "youtube"
    _VALID_URL = r"https://www\.youtube\.com/watch\?v=(?P<id>[\w-]{11})"

    def __init__(self, fail: Callable[[InfoExtractor], None]) -> None:
        super().__init__()
        self._fail = fail

    def _real_extract(self, url):
        self._fail(self)


def ytdlp_failure(fail: Callable[[InfoExtractor], None]) -> DownloadError:
    """The DownloadError that YoutubeDL.extract_info raises when the extractor does ``fail``."""
    ydl = yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True}, auto_init=False)
    ydl.add_info_extractor(_FailingExtractor(fail))
    with pytest.raises(DownloadError) as caught:
        ydl.extract_info(URL, download=False)
    return caught.value


def says(reason: str) -> Callable[[InfoExtractor], None]:
    """YouTube's player refuses with ``reason`` (how _video.py reports a playability status)."""
    return lambda ie: ie.raise_no_formats(reason, expected=True)


def geo_blocked(countries: list[str] | None) -> Callable[[InfoExtractor], None]:
    message = "The uploader has not made this video available in your country"
    return lambda ie: ie.raise_geo_restricted(message, countries, metadata_available=True)


def raises(message: str) -> Callable[[InfoExtractor], None]:
    def fail(ie: InfoExtractor) -> None:
        raise ExtractorError(message, expected=True)

    return fail


CASES = [
    (PrivateVideoError, says(f"Private video. Sign in if you've been granted access to this video. {LOGIN_HINT}")),
    (PrivateVideoError, says("This video is private")),
    (PrivateVideoError, says(
        "Join this channel to get access to members-only content like this video, and other exclusive perks.")),
    (PaidVideoError, says("This video requires payment to watch.")),
    (PaidVideoError, says("Video unavailable. This video is only available to Music Premium members")),
    (VideoRemovedError, says("Video unavailable. This video has been removed by the uploader")),
    (VideoRemovedError, says(
        "Video unavailable. This video is no longer available because the YouTube account "
        "associated with this video has been terminated.")),
    (VideoRemovedError, says("Video unavailable. This video is no longer available due to a copyright claim by SME")),
    (VideoRemovedError, says("This video has been removed for violating YouTube's policy on hate speech.")),
    (VideoRemovedError, says("This video has been removed for violating YouTube's Terms of Service")),
    (VideoRemovedError, says("Video unavailable")),
    (VideoRemovedError, says("Video unavailable. This video is unavailable")),
    (VideoRemovedError, says("This video does not exist.")),
    (VideoRemovedError, says("This video is not available.")),
    (AgeRestrictedError, says(
        f"Sign in to confirm your age. This video may be inappropriate for some users. {LOGIN_HINT}")),
    (RegionBlockedError, geo_blocked(["DE", "FR"])),
    (RegionBlockedError, geo_blocked(None)),
    (RegionBlockedError, says(
        "Video unavailable. This video contains content from SME, who has blocked it in your country "
        "on copyright grounds")),
    (LiveVideoError, says("This live event will begin in 3 hours.")),
    (LiveVideoError, says("This live event will begin in a few moments.")),
    (LiveVideoError, says("Premieres in 10 hours")),
    (LiveVideoError, says("This live stream recording is not available.")),
    (BotCheckError, says(f"Sign in to confirm you\u2019re not a bot. {LOGIN_HINT}")),
    (BotCheckError, says("Sign in to confirm you're not a bot. This helps protect our community.")),
    (BotCheckError, says("Video unavailable. YouTube is requiring a captcha challenge before playback")),
    (BotCheckError, raises("All player responses are invalid. Your IP is likely being blocked by Youtube")),
    (RateLimitedError, says(
        "This content isn't available, try again later. The current session has been rate-limited by YouTube "
        "for up to an hour. It is recommended to use `-t sleep` to add a delay between video requests to avoid "
        "exceeding the rate limit. For more information, refer to  "
        "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#this-content-isnt-available-try-again-later")),
    (RateLimitedError, raises("Unable to download API page: HTTP Error 429: Too Many Requests")),
    (NotDownloadableError, says("This video is DRM protected")),
    (SourceError, raises(
        "Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>")),
]


@pytest.mark.parametrize(("expected", "fail"), CASES)
def test_each_youtube_refusal_becomes_its_own_error(expected, fail):
    error = map_ytdlp_error(ytdlp_failure(fail))

    assert type(error) is expected
    assert isinstance(error, MLError)
    assert str(error) == expected.default_message


def test_the_bare_extractor_error_maps_the_same_as_the_wrapped_one():
    error = ExtractorError("Video unavailable. This video has been removed by the uploader", expected=True)

    assert type(map_ytdlp_error(error)) is VideoRemovedError


def test_a_video_without_audio_only_streams_is_not_downloadable():
    # "Requested format is not available" comes from format selection, which
    # process_ie_result runs outside the extraction wrapper: a bare ExtractorError.
    ydl = yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True, "format": "bestaudio"}, auto_init=False)
    video_only = {
        "id": VIDEO_ID, "title": "t", "extractor": "youtube", "extractor_key": "Youtube",
        "webpage_url": URL,
        "formats": [{"format_id": "137", "url": "https://example.invalid/v", "ext": "mp4",
                     "vcodec": "avc1", "acodec": "none"}],
    }
    with pytest.raises(ExtractorError) as caught:
        ydl.process_ie_result(video_only, download=False)

    assert type(map_ytdlp_error(caught.value)) is NotDownloadableError


def test_a_non_youtube_url_that_reaches_ytdlp_finds_no_extractor():
    # Hosts widened on purpose: the extractor list alone must stop it, with no request made.
    scope = FetchScope(hosts=frozenset({"vimeo.com"}))

    with pytest.raises(InvalidSourceError):
        fetch_metadata("https://vimeo.com/76979871", scope=scope)


SIX_REFUSALS = [PrivateVideoError, VideoRemovedError, AgeRestrictedError, RegionBlockedError, LiveVideoError,
                BotCheckError]
# ... and one more kind, for the rentals and YouTube Premium videos.
REFUSALS = [*SIX_REFUSALS, PaidVideoError]


def test_the_refusals_are_distinct_and_point_to_uploading_the_file():
    messages = [cls.default_message for cls in REFUSALS]

    assert len(set(REFUSALS)) == len(set(messages)) == 7
    assert all("upload" in message and "audio file" in message for message in messages)


@pytest.mark.parametrize("cls", [AgeRestrictedError, BotCheckError])
def test_refusals_that_cookies_can_fix_tell_the_user_an_administrator_can_help(cls):
    assert "administrator" in cls.default_message and "cookies file" in cls.default_message
