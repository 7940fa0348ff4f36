"""ABC output, checked by what abcjs itself parses and plays from it."""
from __future__ import annotations

import pytest

from ml.notation import to_abc
from ml.notes import Note, Track, Transcription

from . import abcjs_report, assert_well_formed, played

# At 60 BPM a quarter note is one second and one grid step (a sixteenth) 0.25 s.
STEP = 0.25


def piano(*notes: Note) -> Transcription:
    return Transcription(tracks=[Track(name="Piano", instrument="piano", notes=list(notes))], duration=60.0)


def note(pitch: int, start_step: int, steps: int) -> Note:
    return Note(pitch=pitch, onset=start_step * STEP, offset=(start_step + steps) * STEP)


# The first onset is the downbeat of bar 1; this bass note pins it to step 0 so
# treble notes can start anywhere in the bar.
DOWNBEAT = note(36, 0, 1)


def abc_of(transcription: Transcription, **kwargs) -> str:
    return to_abc(transcription, title="Test", tempo_bpm=60, **kwargs)


def test_header_names_title_metre_unit_tempo_grand_staff_and_key():
    abc = abc_of(piano(note(60, 0, 4)))
    lines = abc.splitlines()
    assert lines[:5] == ["X:1", "T:Test", "M:4/4", "L:1/16", "Q:1/4=60"]
    assert "%%score {1 | 2}" in lines
    assert "V:1 clef=treble name=\"Piano\"" in lines
    assert "V:2 clef=bass" in lines
    assert lines.index("K:C") > lines.index("V:2 clef=bass")


def test_grand_staff_parses_as_braced_treble_and_bass():
    report = abcjs_report(abc_of(piano(note(60, 0, 4))))
    assert_well_formed(report)
    assert [(v["clef"], v["brace"]) for v in report["voices"]] == [("treble", "start"), ("bass", "end")]


def test_notes_from_middle_c_up_go_to_treble_and_below_to_bass():
    report = abcjs_report(abc_of(piano(note(59, 0, 4), note(60, 0, 4), note(21, 4, 4), note(108, 4, 4))))
    assert_well_formed(report)
    assert played(report, 0) == [(60, 0, 4), (108, 4, 4)]
    assert played(report, 1) == [(21, 4, 4), (59, 0, 4)]


def test_natural_after_sharp_in_the_same_bar_sounds_natural():
    # C#4 C4 in one bar, then C4 in the next bar: the bar line cancels the sharp.
    notes = [note(61, 0, 4), note(60, 4, 4), note(61, 8, 4), note(60, 12, 4), note(60, 16, 4)]
    abc = abc_of(piano(*notes))
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(60, 4, 4), (60, 12, 4), (60, 16, 4), (61, 0, 4), (61, 8, 4)]
    assert "^C4 =C4 ^C4 =C4 | C4" in abc


def test_natural_in_another_octave_after_sharp_is_marked_for_every_reading():
    # abcjs carries ^c to c only; readers who carry it to C as well must see =C.
    report = abcjs_report(abc_of(piano(note(73, 0, 4), note(60, 4, 4), note(72, 8, 4))))
    assert_well_formed(report)  # includes: same pitches when accidentals hold per letter
    assert played(report, 0) == [(60, 4, 4), (72, 8, 4), (73, 0, 4)]


def test_flats_and_sharps_are_written_explicitly_every_time():
    abc = abc_of(piano(note(70, 0, 4), note(70, 4, 4), note(66, 8, 4), note(66, 12, 4)))
    assert "_B4 _B4 ^F4 ^F4" in abc
    report = abcjs_report(abc)
    assert played(report, 0) == [(66, 8, 4), (66, 12, 4), (70, 0, 4), (70, 4, 4)]


def test_note_crossing_a_bar_line_is_split_and_tied():
    abc = abc_of(piano(DOWNBEAT, note(61, 12, 8)))
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(61, 12, 8)]  # one note, as abcjs plays the tie
    assert [h[2:] for h in report["voices"][0]["heads"]] == [[0.75, 0.25], [1.0, 0.25]]
    assert "^C4- | ^C4" in abc  # the new bar repeats the sharp: ABC bars reset accidentals


def test_unwritable_length_becomes_tied_standard_values():
    # Five sixteenths: a quarter tied to a sixteenth.
    abc = abc_of(piano(note(64, 0, 5)))
    assert "E4- E" in abc
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(64, 0, 5)]


def test_notes_starting_together_form_a_chord_tied_as_a_whole_across_the_bar():
    abc = abc_of(piano(DOWNBEAT, note(60, 8, 12), note(64, 8, 12), note(67, 8, 12)))
    assert "[CEG]8- | [CEG]4" in abc
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(60, 8, 12), (64, 8, 12), (67, 8, 12)]


def test_chord_tied_across_a_line_break_stays_in_its_own_voice():
    # Voices are written line by line: the treble's open tie at the end of line 1
    # must not reach the bass chord that abcjs reads next.
    tied_chord = [note(60, 56, 16), note(64, 56, 16)]  # bar 4, beat 3 to bar 5, beat 3
    bass_chord = [note(43, 0, 4), note(47, 0, 4)]
    report = abcjs_report(abc_of(piano(*tied_chord, *bass_chord)))
    assert_well_formed(report)
    assert report["systems"] == 2
    assert played(report, 0) == [(60, 56, 16), (64, 56, 16)]
    assert played(report, 1) == [(43, 0, 4), (47, 0, 4)]


def test_chord_lasts_until_the_next_onset_in_its_staff():
    # The long E is cut where the next chord starts; the chord takes its longest member.
    abc = abc_of(piano(note(60, 0, 2), note(64, 0, 12), note(67, 4, 4)))
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(60, 0, 4), (64, 0, 4), (67, 4, 4)]


def test_semitone_cluster_that_shares_a_staff_position_keeps_every_pitch_untied():
    # G, G#/Ab and A cannot take three positions with single accidentals, and a
    # tie cannot tell two notes on one position apart: the chord is cut at its
    # first piece (the bar line here) rather than tied.
    abc = abc_of(piano(DOWNBEAT, note(67, 8, 12), note(68, 8, 12), note(69, 8, 12)))
    report = abcjs_report(abc)
    assert_well_formed(report)
    notes = played(report, 0)
    assert sorted((p, start) for p, start, _ in notes) == [(67, 8), (68, 8), (69, 8)]
    assert sorted(duration for _, _, duration in notes) == [8, 8, 8]


def test_gaps_are_rests_and_empty_bars_are_whole_rests():
    abc = abc_of(piano(note(60, 2, 2), note(62, 36, 4)))
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0) == [(60, 0, 2), (62, 34, 4)]  # bar 1 starts at the first onset
    assert "| z16 |" in abc
    assert len(report["voices"][0]["bars"]) == 3


def test_line_break_every_four_bars():
    report = abcjs_report(abc_of(piano(note(60, 0, 16 * 9))))
    assert_well_formed(report)
    assert len(report["voices"][0]["bars"]) == 9
    assert report["systems"] == 3


def test_title_with_abc_syntax_survives_as_text():
    title = 'My "song" 100% \\b\nT:second line'
    report = abcjs_report(to_abc(piano(note(60, 0, 4)), title=title, tempo_bpm=60))
    assert_well_formed(report)
    # abcjs shows an escaped % as a full-width one; the backslash becomes a look-alike.
    assert report["title"] == 'My "song" 100\u200b\uff05 \uff3cb T:second line'


def test_other_instruments_get_one_staff_with_a_clef_for_their_range():
    transcription = Transcription(
        tracks=[
            Track(name="Violin", instrument="violin", program=40, notes=[note(76, 0, 4), note(50, 4, 4)]),
            Track(name="Bass", instrument="bass", program=33, notes=[note(40, 0, 8), note(62, 8, 4)]),
            Track(name="Drums", instrument="drums", is_drum=True, notes=[note(36, 0, 1)]),
        ],
        duration=10.0,
    )
    abc = abc_of(transcription)
    assert "%%score 1 2" in abc
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert [v["clef"] for v in report["voices"]] == ["treble", "bass"]  # drums are not written yet
    assert played(report, 0) == [(50, 4, 4), (76, 0, 4)]
    assert played(report, 1) == [(40, 0, 8), (62, 8, 4)]


def test_nothing_to_write_still_renders_one_empty_bar():
    report = abcjs_report(to_abc(Transcription(tracks=[], duration=0.0), title="Silence"))
    assert_well_formed(report)
    assert [len(v["bars"]) for v in report["voices"]] == [1]
    assert report["voices"][0]["notes"] == []


def test_estimated_tempo_is_written_when_none_is_given():
    notes = [Note(60 + i % 5, i * 0.6, i * 0.6 + 0.5) for i in range(32)]  # 100 BPM quarters
    abc = to_abc(piano(*notes), title="Test")
    assert "Q:1/4=100" in abc.splitlines()
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert sorted(start for _, start, _ in played(report, 0)) == [4 * i for i in range(32)]


@pytest.mark.parametrize("steps_per_quarter", [1, 2, 8])
def test_other_grid_sizes_write_full_bars_in_their_own_length_unit(steps_per_quarter):
    # At 60 BPM one step is 1 / steps_per_quarter seconds.
    step = 1.0 / steps_per_quarter
    notes = [Note(60, 0.0, 3 * step), Note(61, 3 * step, 9 * step), Note(47, 5 * step, 40 * step)]
    abc = to_abc(piano(*notes), title="Grid", tempo_bpm=60, steps_per_quarter=steps_per_quarter)
    assert f"L:1/{4 * steps_per_quarter}" in abc.splitlines()
    report = abcjs_report(abc)
    assert_well_formed(report)
    assert played(report, 0, steps_per_quarter) == [(60, 0, 3), (61, 3, 6)]
    assert played(report, 1, steps_per_quarter) == [(47, 5, 35)]


def test_extreme_midi_pitches_are_written_and_heard_exactly():
    report = abcjs_report(abc_of(piano(note(0, 0, 4), note(127, 0, 4), note(1, 4, 4), note(126, 4, 4))))
    assert_well_formed(report)
    assert played(report, 0) == [(126, 4, 4), (127, 0, 4)]
    assert played(report, 1) == [(0, 0, 4), (1, 4, 4)]
