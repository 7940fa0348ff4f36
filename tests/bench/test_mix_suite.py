"""The mix suite end to end, with a tiny untrained HTDemucs standing in for the real weights.

The real htdemucs_6s cannot be downloaded here, so this checks what the suite
reports and that its verdicts are not rubber stamps: an untrained separator
must score no better than silence (0 dB SDR), the pipeline behind it below
the bare models on the whole mix, and the suite must say so.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import corpus, render, run
from ml import weights
from tests.ml.separation.test_demucs import TINY, save_tiny_model

SECONDS = 4.0


@pytest.fixture
def rendered_cache(tmp_path: Path) -> Path:
    if problem := render.cannot_render():
        pytest.skip(problem)
    return tmp_path / "cache"


def test_the_mix_suite_scores_separation_and_the_bare_models(tmp_path: Path, rendered_cache: Path, monkeypatch,
                                                            capsys) -> None:
    model_dir = tmp_path / "models"
    monkeypatch.setitem(weights.CATALOGUE, TINY, save_tiny_model(model_dir))
    out = tmp_path / "mix.json"

    status = run.main([
        "--suite", "mix", "--pieces", "1", "--seconds", str(SECONDS), "--device", "cpu",
        "--cache", str(rendered_cache), "--model-dir", str(model_dir), "--separation-model", TINY,
        "--out", str(out),
    ])

    assert status == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    stems = report["separation"]["per_stem"]
    assert set(stems) == {*corpus.PITCHED_ROLES, corpus.DRUMS}
    for stem, row in stems.items():
        assert math.isfinite(row["separated_sdr"]) and math.isfinite(row["mixture_sdr"])
        # Untrained weights separate nothing: no better than answering silence (0 dB).
        assert row["separated_sdr"] < 1.0, stem
    comparison = report["bare_model"]["comparison"]
    assert set(corpus.PITCHED_ROLES) <= set(comparison)
    assert any(not row["pipeline_not_below"] for row in comparison.values())
    assert "separation: SDR in dB" in printed and "NOT met" in printed


def test_the_bare_models_alone_need_no_separation_weights(tmp_path: Path, rendered_cache: Path, capsys) -> None:
    out = tmp_path / "bare.json"

    status = run.main([
        "--suite", "mix", "--pieces", "1", "--seconds", str(SECONDS), "--device", "cpu",
        "--cache", str(rendered_cache), "--model-dir", str(tmp_path / "empty"), "--bare-models-only",
        "--out", str(out),
    ])

    assert status == 0
    report = json.loads(out.read_text())
    assert {row["instrument"] for row in report["rows"]} == set(corpus.PITCHED_ROLES)
    # The bass line stands out of a mix even unseparated; the scores are real ones.
    bass = next(row for row in report["rows"] if row["instrument"] == "bass")
    assert bass["onset_f1"] > 0.5
    assert "separation" not in report and "separate" not in {stage["stage"] for stage in report["stages"]}
