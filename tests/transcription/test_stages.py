"""The order a job's stage times are shown in, whatever order the database returns them in."""
from __future__ import annotations

from transcription.stages import in_run_order


def test_stages_come_in_the_order_they_run():
    timings = {"Writing score": 1.0, "Saving instrument tracks": 0.2, "Transcribing drums": 2.0,
               "Transcribing piano": 3.0, "Separating vocals": 4.0, "Downloading audio": 5.0, "Reading audio": 0.1}
    assert [stage for stage, _ in in_run_order(timings)] == [
        "Downloading audio", "Reading audio", "Separating vocals", "Transcribing piano", "Transcribing drums",
        "Saving instrument tracks", "Writing score",
    ]


def test_instruments_transcribed_side_by_side_sit_with_the_transcription_and_unknown_stages_go_last():
    timings = {"Something new": 1.0, "Writing score": 1.0, "Transcribing piano, bass and drums": 9.0,
               "Reading audio": 0.1}
    assert [stage for stage, _ in in_run_order(timings)] == [
        "Reading audio", "Transcribing piano, bass and drums", "Writing score", "Something new",
    ]
