"""A job's stages in the order they run, so their times are shown in that order.

PostgreSQL's jsonb keeps no key order (it sorts keys by length), so
``Job.stage_timings`` comes back from the database shuffled: "Writing score"
would be listed before "Transcribing piano". The order is restored here from
what the stages are.
"""
from __future__ import annotations

from collections.abc import Mapping

from ml import pipeline

# The link job's stages (the download worker), then the transcription's, then storing.
STAGE_FETCHING = "Fetching video details"
STAGE_DOWNLOADING = "Downloading audio"
STAGE_WRITING = "Writing score"

_BEFORE_TRANSCRIBING = (
    STAGE_FETCHING, STAGE_DOWNLOADING, pipeline.STAGE_READING, pipeline.STAGE_SPLITTING_VOCALS,
    pipeline.STAGE_SEPARATING,
)
_AFTER_TRANSCRIBING = (pipeline.STAGE_SAVING_STEMS, STAGE_WRITING)
_TRANSCRIBING_PREFIX = pipeline.transcribing_stage("")


def _rank(stage: str) -> tuple[int, int]:
    if stage in _BEFORE_TRANSCRIBING:
        return 0, _BEFORE_TRANSCRIBING.index(stage)
    if stage.startswith(_TRANSCRIBING_PREFIX):
        # One instrument after another in the pipeline's order; "piano, bass and drums" at once first.
        instrument = stage.removeprefix(_TRANSCRIBING_PREFIX)
        return 1, pipeline.INSTRUMENTS.index(instrument) if instrument in pipeline.INSTRUMENTS else -1
    if stage in _AFTER_TRANSCRIBING:
        return 2, _AFTER_TRANSCRIBING.index(stage)
    return 3, 0  # a stage this list does not know: last, in the order given


def in_run_order(timings: Mapping[str, float]) -> list[tuple[str, float]]:
    """(stage, seconds) pairs in the order the stages run."""
    return sorted(timings.items(), key=lambda item: _rank(item[0]))
