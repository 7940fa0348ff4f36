"""What the score player needs beside the notation: the recording, its stems,
and where the score starts in them.

The engraver writes the score at the tempo it heard and stores where bar 1
starts in the recording (ScoreDoc.audio_offset), so recording time = offset +
score time. Scores engraved before that field existed started bar 1 on the first
pitched onset, which is derived here from the stored performance.
"""
from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from django.http import FileResponse, HttpResponse
from django.urls import reverse

from ml.notes import Transcription
from transcription.models import Score

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def score_recording_offset(*, score: Score) -> float:
    """Seconds into the recording (and its stems) at which the score's first bar starts."""
    stored = (score.doc or {}).get("audio_offset")
    if isinstance(stored, int | float):
        return float(stored)
    try:
        performance = Transcription.from_dict(score.notes)
    except (ValueError, KeyError, TypeError):  # an old or empty note list: no known offset
        return 0.0
    onsets = [note.onset for track in performance.tracks if not track.is_drum for note in track.notes]
    return float(min(onsets, default=0.0))


def score_recordings(*, score: Score, share_token: str = "") -> list[dict]:
    """The recordings to play beside the score: the original first, then each separated stem.
    With a share token the URLs go through the share link, as its holder has no login."""
    if share_token:
        recording_url = reverse("share_link_recording", args=[share_token])
        stem_url = lambda instrument: reverse("share_link_stem", args=[share_token, instrument])  # noqa: E731
    else:
        recording_url = reverse("editor:score_recording", args=[score.id])
        stem_url = lambda instrument: reverse("editor:score_stem", args=[score.id, instrument])  # noqa: E731
    recordings = []
    if score.job.audio:
        recordings.append({"id": "original", "label": "Original recording", "url": recording_url})
    for stem in score.job.stems.all():
        recordings.append({"id": f"stem-{stem.instrument}", "label": f"{stem.instrument.title()} (separated)",
                           "url": stem_url(stem.instrument)})
    return recordings


def ranged_file_response(request, field_file) -> HttpResponse:
    """The file, or the byte range the browser asked for: <audio> can only seek
    in a response that honours Range requests."""
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    size = field_file.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        response = FileResponse(field_file.open("rb"), content_type=content_type, filename=Path(field_file.name).name)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with field_file.open("rb") as handle:
        handle.seek(start)
        body = handle.read(end - start + 1)
    response = HttpResponse(body, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
