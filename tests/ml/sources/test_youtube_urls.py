"""Which pasted links are accepted as YouTube videos, and what each one becomes."""
from __future__ import annotations

import pytest

from ml.sources.youtube import (
    BAD_VIDEO_ID_MESSAGE,
    CHANNEL_MESSAGE,
    EMPTY_LINK_MESSAGE,
    NO_VIDEO_MESSAGE,
    PLAYLIST_MESSAGE,
    InvalidSourceError,
    normalize_youtube_url,
)

VIDEO_ID = "dQw4w9WgXcQ"
CANONICAL = f"https://www.youtube.com/watch?v={VIDEO_ID}"

ACCEPTED = [
    # watch pages, every host spelling, with and without scheme
    f"https://www.youtube.com/watch?v={VIDEO_ID}",
    f"http://www.youtube.com/watch?v={VIDEO_ID}",
    f"https://youtube.com/watch?v={VIDEO_ID}",
    f"www.youtube.com/watch?v={VIDEO_ID}",
    f"youtube.com/watch?v={VIDEO_ID}",
    f"//www.youtube.com/watch?v={VIDEO_ID}",
    f"https://m.youtube.com/watch?v={VIDEO_ID}",
    f"m.youtube.com/watch?v={VIDEO_ID}&feature=youtu.be",
    f"https://music.youtube.com/watch?v={VIDEO_ID}&si=AbCdEfGh",
    f"HTTPS://WWW.YOUTUBE.COM/watch?v={VIDEO_ID}",
    f"  https://www.youtube.com/watch?v={VIDEO_ID}\n",
    # tracking and position parameters, before or after v=
    f"https://www.youtube.com/watch?v={VIDEO_ID}&t=42s",
    f"https://www.youtube.com/watch?v={VIDEO_ID}&t=1m30s",
    f"https://www.youtube.com/watch?v={VIDEO_ID}&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&index=3",
    f"https://www.youtube.com/watch?feature=share&v={VIDEO_ID}",
    f"https://www.youtube.com/watch?v={VIDEO_ID}&pp=ygUEcmljaw%3D%3D&ab_channel=RickAstley",
    f"https://www.youtube.com/watch?v={VIDEO_ID}#t=30",
    # short links
    f"https://youtu.be/{VIDEO_ID}",
    f"youtu.be/{VIDEO_ID}",
    f"https://youtu.be/{VIDEO_ID}?si=Xy12_abcDEF-ghij",
    f"https://youtu.be/{VIDEO_ID}?t=15",
    f"https://youtu.be/{VIDEO_ID}?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
    f"https://www.youtu.be/{VIDEO_ID}/",
    # shorts, embeds, live, the old /v/ form
    f"https://www.youtube.com/shorts/{VIDEO_ID}",
    f"https://youtube.com/shorts/{VIDEO_ID}?feature=share",
    f"https://m.youtube.com/shorts/{VIDEO_ID}/",
    f"https://www.youtube.com/embed/{VIDEO_ID}",
    f"https://www.youtube.com/embed/{VIDEO_ID}?start=10&autoplay=1",
    f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}",
    f"https://www.youtube.com/live/{VIDEO_ID}",
    f"https://youtube.com/live/{VIDEO_ID}?si=abc&feature=shared",
    f"https://www.youtube.com/v/{VIDEO_ID}",
    # ids use letters, digits, "-" and "_"
    "https://youtu.be/a-b_c-d_e-f",
    # everyday slips: a second "?" or a "&" typed on, the sentence's full stop, quotes or brackets around it
    f"https://www.youtube.com/watch?v={VIDEO_ID}?t=30",
    f"youtu.be/{VIDEO_ID}&t=30",
    f"https://youtube.com/watch?v={VIDEO_ID}.",
    f"https://youtu.be/{VIDEO_ID}%20",
    f"<https://youtu.be/{VIDEO_ID}>",
    f'"https://www.youtube.com/watch?v={VIDEO_ID}"',
    f"(https://youtu.be/{VIDEO_ID})",
    f"https://youtu.be/{VIDEO_ID}',",
]


@pytest.mark.parametrize("link", ACCEPTED)
def test_common_youtube_links_become_the_canonical_watch_url(link):
    expected = "https://www.youtube.com/watch?v=a-b_c-d_e-f" if "a-b_c-d_e-f" in link else CANONICAL
    assert normalize_youtube_url(link) == expected


NOT_YOUTUBE = [
    "https://vimeo.com/76979871",
    "https://www.dailymotion.com/video/x7tgad0",
    "https://soundcloud.com/artist/track",
    f"https://youtube.com.evil.com/watch?v={VIDEO_ID}",
    f"https://evil.com/youtube.com/watch?v={VIDEO_ID}",
    f"https://evil.com/?u=https://www.youtube.com/watch?v={VIDEO_ID}",
    f"https://notyoutube.com/watch?v={VIDEO_ID}",
    f"https://www.youtube.com.@evil.com/watch?v={VIDEO_ID}",
    f"https://www.youtube.com@evil.com/watch?v={VIDEO_ID}",
    f"https://user:pass@www.youtube.com/watch?v={VIDEO_ID}",
    f"https://www.youtube.com:8443/watch?v={VIDEO_ID}",
    f"https://www.youtube.com:notaport/watch?v={VIDEO_ID}",
    f"https://www.\u0443outube.com/watch?v={VIDEO_ID}",  # Cyrillic "у"
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    f"javascript://www.youtube.com/watch?v={VIDEO_ID}%0Aalert(1)",
    "file:///etc/passwd",
    f"file://www.youtube.com/watch?v={VIDEO_ID}",
    f"ftp://www.youtube.com/watch?v={VIDEO_ID}",
    f"data:text/html,<a href=https://youtu.be/{VIDEO_ID}>",
    # internal addresses, in every spelling
    f"http://127.0.0.1/watch?v={VIDEO_ID}",
    f"http://127.0.0.1:8000/watch?v={VIDEO_ID}",
    f"127.0.0.1/watch?v={VIDEO_ID}",
    f"http://localhost/watch?v={VIDEO_ID}",
    f"http://[::1]/watch?v={VIDEO_ID}",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://192.168.1.1/admin",
    "http://2130706433/",
    # a bare id is not a link
    VIDEO_ID,
    # spaces and control characters inside the text
    f"https://www.you tube.com/watch?v={VIDEO_ID}",
    f"https://www.youtube.com/watch?v={VIDEO_ID}\x00",
    "https://www.youtube.com/watch?v=" + VIDEO_ID + "&x=" + "a" * 3000,
]


@pytest.mark.parametrize("text", NOT_YOUTUBE)
def test_anything_but_youtube_is_refused(text):
    with pytest.raises(InvalidSourceError) as caught:
        normalize_youtube_url(text)
    assert "Only YouTube video links are supported" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", EMPTY_LINK_MESSAGE),
        ("   ", EMPTY_LINK_MESSAGE),
        ("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", PLAYLIST_MESSAGE),
        ("https://www.youtube.com/watch?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", PLAYLIST_MESSAGE),
        ("https://music.youtube.com/playlist?list=OLAK5uy_abc", PLAYLIST_MESSAGE),
        ("https://www.youtube.com/embed/videoseries?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", PLAYLIST_MESSAGE),
        ("https://www.youtube.com/@RickAstleyYT", CHANNEL_MESSAGE),
        ("https://www.youtube.com/@RickAstleyYT/videos", CHANNEL_MESSAGE),
        ("https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw", CHANNEL_MESSAGE),
        ("https://www.youtube.com/c/RickAstley", CHANNEL_MESSAGE),
        ("https://www.youtube.com/user/RickAstleyVEVO", CHANNEL_MESSAGE),
        ("https://www.youtube.com/", NO_VIDEO_MESSAGE),
        ("youtube.com", NO_VIDEO_MESSAGE),
        ("https://www.youtube.com/watch", NO_VIDEO_MESSAGE),
        ("https://www.youtube.com/watch?v=", NO_VIDEO_MESSAGE),
        ("https://www.youtube.com/results?search_query=never+gonna", NO_VIDEO_MESSAGE),
        ("https://www.youtube.com/feed/subscriptions", NO_VIDEO_MESSAGE),
        (f"https://www.youtube.com/shorts/{VIDEO_ID}/extra", NO_VIDEO_MESSAGE),
        ("https://youtu.be/", NO_VIDEO_MESSAGE),
        (f"https://youtu.be/{VIDEO_ID}/extra", NO_VIDEO_MESSAGE),
        ("https://www.youtube.com/watch?v=dQw4w9WgXc", BAD_VIDEO_ID_MESSAGE),  # 10 characters
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", BAD_VIDEO_ID_MESSAGE),  # 12 characters
        ("https://www.youtube.com/watch?v=dQw4w9WgX%21Q", BAD_VIDEO_ID_MESSAGE),  # "!" in the id
        ("https://www.youtube.com/watch?v=dQw4w9WgX.Q", BAD_VIDEO_ID_MESSAGE),
        ("https://youtu.be/dQw4w", BAD_VIDEO_ID_MESSAGE),
        ("https://www.youtube.com/shorts/abc", BAD_VIDEO_ID_MESSAGE),
        ("https://www.youtube.com/embed/../../etc/passwd", NO_VIDEO_MESSAGE),
    ],
)
def test_youtube_links_without_one_video_say_what_is_wrong(text, message):
    with pytest.raises(InvalidSourceError) as caught:
        normalize_youtube_url(text)
    assert str(caught.value) == message
