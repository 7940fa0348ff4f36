"""Key signatures, spelling by key and line, and chord symbols on hand-written scores."""
from __future__ import annotations

from ml.notation.harmony import add_chord_symbols, apply_keys
from ml.notation.score import ScoreDoc
from tests.ml.notation.scoredocs import all_notes, doc_from_bars, melody, name

# Triads as MIDI pitches, voiced as a left hand would play them.
C, Dm, Em, F, G, G7, Am = [48, 52, 55], [50, 53, 57], [52, 55, 59], [53, 57, 60], [55, 59, 62], [43, 53, 59], [45, 52, 57]
Eb, Ab, Bb7, Cm = [51, 55, 58], [44, 51, 56], [46, 50, 56], [48, 51, 55]
E_major = [52, 56, 59]


def bars_of(pitches_per_bar: list[list[int]]) -> list[list[tuple]]:
    return [[(0, 4, chord)] for chord in pitches_per_bar]


def quarters(*pitches: int) -> list[tuple]:
    return [(i, 1, p) for i, p in enumerate(pitches)]


def symbols(doc: ScoreDoc) -> list[list[str]]:
    return [[c.symbol for c in m.chords] for m in doc.measures]


def test_a_piece_in_e_flat_major_gets_three_flats_and_no_sharps():
    tune = [quarters(63, 65, 67, 68), quarters(70, 72, 74, 75), quarters(70, 68, 67, 65), quarters(63, 67, 70, 75)]
    doc = doc_from_bars(tune, bars_of([Eb, Ab, Bb7, Eb]))
    apply_keys(doc)
    assert {(m.key_fifths, m.mode) for m in doc.measures} == {(-3, "major")}
    written = {name(n)[:-1] for n in all_notes(doc)}
    assert "Eb" in written and "Ab" in written and "Bb" in written
    assert not any(n.alter > 0 for n in all_notes(doc)), "D#, G# or A# where Eb, Ab, Bb belong"
    assert all(n.pitch == (n.octave + 1) * 12 + "C D EF G A B".index(n.step) + n.alter for n in all_notes(doc))


def test_a_minor_writes_its_raised_seventh_as_a_g_sharp_leading_tone():
    tune = [quarters(69, 71, 72, 74), quarters(76, 74, 72, 71), quarters(69, 68, 69, 71), quarters(68, 71, 68, 69)]
    doc = doc_from_bars(tune, bars_of([Am, [45, 50, 53], E_major, Am]))
    apply_keys(doc)
    assert {(m.key_fifths, m.mode) for m in doc.measures} == {(0, "minor")}
    sharps = [name(n) for n in all_notes(doc) if n.pitch % 12 == 8]
    assert sharps and all(s.startswith("G#") for s in sharps), sharps


def test_a_key_change_after_eight_bars_gets_a_new_signature_there_and_only_there():
    in_c = [quarters(72, 74, 76, 77), quarters(79, 77, 76, 74), quarters(72, 71, 72, 74), quarters(76, 74, 72, 72)]
    in_a_flat = [quarters(68, 70, 72, 73), quarters(75, 73, 72, 70), quarters(68, 67, 68, 70), quarters(72, 70, 68, 68)]
    left = bars_of([C, F, G7, C] * 2 + [Ab, [49, 53, 56], [39, 51, 55, 58], Ab] * 2)
    doc = doc_from_bars(in_c * 2 + in_a_flat * 2, left)
    apply_keys(doc)
    signatures = [m.key_fifths for m in doc.measures]
    assert signatures == [0] * 8 + [-4] * 8
    second_half = [name(n) for m in range(8, 16) for v in doc.parts[0].measures[m].voices for e in v.events for n in e.notes]
    assert any(s.startswith("Ab") for s in second_half) and not any("#" in s for s in second_half)


def test_a_chromatic_line_is_written_in_flats_falling_and_in_sharps_rising():
    falling = [quarters(76, 75, 74, 73), [(0, 4, 72)]]
    rising = [quarters(72, 73, 74, 75), [(0, 4, 76)]]
    for tune, expected in ((falling, ["E5", "Eb5", "D5", "Db5", "C5"]), (rising, ["C5", "C#5", "D5", "D#5", "E5"])):
        doc = doc_from_bars(
            [[(0, 4, [72, 76, 79])]] * 2 + tune + [[(0, 4, [72, 76, 79])]] * 2,
            bars_of([C, F, C, G, C, C]),
        )
        apply_keys(doc)
        assert doc.measures[0].key_fifths == 0
        assert melody(doc)[2:7] == expected


def test_two_notes_of_a_chord_are_kept_off_one_staff_position():
    # C major with a chromatic cluster G–Ab–C: G# would share G's line.
    doc = doc_from_bars(bars_of([[67, 68, 72], C, F, G, C]), bars_of([C, C, F, G, C]))
    apply_keys(doc)
    chord = doc.parts[0].measures[0].voices[0].events[0].notes
    positions = {(n.step, n.octave) for n in chord}
    assert len(positions) == 3


def test_c_am_f_g_progression_gives_those_chord_symbols_once_per_bar():
    tune = [quarters(72, 74, 76, 79), [(0, 2, 76), (2, 2, 72)], [(0, 1, 77), (1, 1, 76), (2, 2, 72)], [(0, 2, 74), (2, 2, 71)]]
    doc = doc_from_bars(tune, bars_of([[48, 55, 64], [45, 52, 60], [41, 48, 57], [43, 50, 59]]))
    apply_keys(doc)
    add_chord_symbols(doc)
    assert symbols(doc) == [["C"], ["Am"], ["F"], ["G"]]


def test_sevenths_slash_basses_and_flat_keys_are_spelled_as_musicians_write_them():
    left = [[(0, 2, [46, 50, 53, 56]), (2, 2, [39, 55, 58])], [(0, 4, [43, 51, 58])], [(0, 4, [44, 48, 51])], [(0, 4, [39, 55, 58])]]
    tune = [quarters(74, 75, 70, 67), quarters(70, 67, 63, 70), quarters(72, 68, 72, 75), quarters(75, 70, 67, 63)]
    doc = doc_from_bars(tune, left)
    apply_keys(doc)
    add_chord_symbols(doc)
    assert doc.measures[0].key_fifths == -3
    assert symbols(doc) == [["Bb7", "Eb"], ["Eb/G"], ["Ab"], ["Eb"]]


def test_a_silent_score_keeps_c_major_and_gets_no_symbols():
    doc = doc_from_bars([[], []])
    apply_keys(doc)
    add_chord_symbols(doc)
    assert [(m.key_fifths, m.mode) for m in doc.measures] == [(0, "major")] * 2
    assert symbols(doc) == [[], []]


def test_a_tune_over_a_held_tonic_bass_is_in_the_key_of_the_bass_not_a_fifth_below():
    scale = [quarters(60, 62, 64, 65), quarters(67, 69, 71, 72)] * 4
    doc = doc_from_bars(scale, [[(0, 4, 48)]] * 8)
    apply_keys(doc)
    assert {(m.key_fifths, m.mode) for m in doc.measures} == {(0, "major")}


def test_a_tied_chromatic_note_is_spelled_once_by_where_the_line_goes_after_the_tie():
    # C major: E5 D5 C5 then Db5 tied over the bar, falling to C5: Db, not C# tied to Db.
    tune = [quarters(76, 74, 72, 73), [(0, 1, 73), (1, 1, 72), (2, 2, 72)], [(0, 4, [72, 76, 79])], [(0, 4, [72, 76, 79])]]
    doc = doc_from_bars(tune, bars_of([C, F, G, C]))
    doc.parts[0].measures[0].voices[0].events[-1].notes[0].tie = True
    apply_keys(doc)
    assert doc.measures[0].key_fifths == 0
    assert melody(doc)[:6] == ["E5", "D5", "C5", "Db5", "Db5", "C5"]
