"""The abcjs bridge itself: it must report the faults the other tests rely on it to find."""
from __future__ import annotations

import pytest

from . import abcjs_report, abcjs_reports, assert_well_formed, played

HEADER = "X:1\nT:Check\nM:4/4\nL:1/16\nK:C\n"


def test_pitches_come_from_abcjs_with_accidentals_held_to_the_bar_line():
    report = abcjs_report(HEADER + "^C4 C4 =C4 C4 | C4 z12 |\n")
    assert [n[0] for n in report["voices"][0]["notes"]] == [61, 61, 60, 60, 60]
    assert_well_formed(report)


def test_an_accidental_read_differently_per_letter_is_caught():
    # abcjs holds ^c for that octave only; a per-letter reader hears C as C#.
    report = abcjs_report(HEADER + "^c4 C4 z8 |\n")
    assert [h[:2] for h in report["voices"][0]["heads"]] == [[73, 73], [60, 61]]
    with pytest.raises(AssertionError, match="per octave and per letter"):
        assert_well_formed(report)


def test_a_tie_drawn_between_different_pitches_is_caught():
    report = abcjs_report(HEADER + "z12 ^C4- | =C4 z12 |\n")
    assert report["voices"][0]["errors"] == ["tie at 1 is drawn from 61 to 60"]
    with pytest.raises(AssertionError):
        assert_well_formed(report)


def test_a_tie_continuation_sounds_its_tied_from_pitch_and_its_accidental_holds_for_nothing():
    # abcjs drops the continuation before reading pitches: the =D tied over the bar
    # line sounds D natural, but the bar's next D is read with the key's flat.
    report = abcjs_report(HEADER.replace("K:C", "K:Ebm") + "z12 =D4- | =D4 D4 z8 |\n")
    assert [n[0] for n in report["voices"][0]["notes"]] == [62, 61]
    assert [h[:2] for h in report["voices"][0]["heads"]] == [[62, 62], [62, 62], [61, 61]]
    assert_well_formed(report)


def test_an_over_full_bar_is_caught():
    report = abcjs_report(HEADER + "C16 C | z16 |\n")
    assert report["voices"][0]["bars"] == [1.0625, 1]
    with pytest.raises(AssertionError):
        assert_well_formed(report)


def test_an_unwritable_length_is_a_warning():
    report = abcjs_report(HEADER + "C5 z11 |\n")
    assert report["warnings"]
    with pytest.raises(AssertionError):
        assert_well_formed(report)


def test_voices_with_different_bar_counts_are_caught():
    report = abcjs_report(HEADER.replace("K:C", "V:1\nV:2\nK:C") + "[V:1] z16 | z16 |\n[V:2] z16 |\n")
    assert [len(v["bars"]) for v in report["voices"]] == [2, 1]
    with pytest.raises(AssertionError, match="different bar counts"):
        assert_well_formed(report)


def test_a_tunebook_gives_one_report_per_tune_in_order():
    first, second = abcjs_reports([HEADER + "C16 |\n", HEADER.replace("Check", "Two") + "c8 d8 |\n"])
    assert (first["title"], second["title"]) == ("Check", "Two")
    assert played(first, 0) == [(60, 0, 16)]
    assert played(second, 0) == [(72, 0, 8), (74, 8, 8)]
