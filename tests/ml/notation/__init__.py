"""Notation tests, and the bridge to abcjs they share: ABC goes to
tests/js/abc_check.mjs, which reports what abcjs itself parses and plays."""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CHECK_SCRIPT = REPO / "tests" / "js" / "abc_check.mjs"
BAR_WHOLE_NOTES = 1.0  # a 4/4 bar


def abcjs_reports(abc_texts: Iterable[str]) -> list[dict[str, Any]]:
    """One report per tune; all tunes go through one node process as a tunebook."""
    abc_texts = list(abc_texts)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so abcjs cannot check the ABC")
    if not (REPO / "node_modules" / "abcjs" / "package.json").is_file():
        pytest.fail("node_modules/abcjs is missing: run `npm ci` in the repository root")
    # A blank line ends a tune in ABC, which is what separates the tunes of a tunebook.
    result = subprocess.run(
        [node, str(CHECK_SCRIPT)],
        input="\n\n".join(abc_texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert len(reports) == len(abc_texts), "abcjs did not see every tune"
    return reports


def abcjs_report(abc: str) -> dict[str, Any]:
    return abcjs_reports([abc])[0]


def to_steps(whole_notes: float, steps_per_quarter: int = 4) -> int:
    """abcjs times are floats in whole notes; the grid is whole steps."""
    steps = whole_notes * 4 * steps_per_quarter
    assert abs(steps - round(steps)) < 1e-6, f"{whole_notes} whole notes is off the grid"
    return round(steps)


def played(report: dict[str, Any], voice: int, steps_per_quarter: int = 4) -> list[tuple[int, int, int]]:
    """(midi, start, duration) in grid steps, as abcjs plays the voice, sorted."""
    return sorted(
        (pitch, to_steps(start, steps_per_quarter), to_steps(duration, steps_per_quarter))
        for pitch, start, duration in report["voices"][voice]["notes"]
    )


def assert_well_formed(report: dict[str, Any]) -> None:
    """What every generated tune must satisfy, whatever its notes."""
    assert report["warnings"] == []
    bar_counts = {len(voice["bars"]) for voice in report["voices"]}
    assert len(bar_counts) == 1, f"voices have different bar counts: {bar_counts}"
    assert report["tracks"] == len(report["voices"])
    for voice in report["voices"]:
        assert voice["errors"] == []
        assert all(abs(bar - BAR_WHOLE_NOTES) < 1e-9 for bar in voice["bars"]), voice["bars"]
        mismatched = [head for head in voice["heads"] if head[0] != head[1]]
        assert mismatched == [], "accidentals read differently per octave and per letter"
