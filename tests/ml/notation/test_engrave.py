"""The engraver on hand-written performances: metre, pickup, grid, tempo, voices, hands, drums."""
from __future__ import annotations

from fractions import Fraction

import pytest

from ml.notation.engrave import engrave
from ml.notation.score import ScoreDoc
from ml.notes import Note, Track, Transcription

# I-IV-V-I in C, as (bass, chord) per bar: downbeats are heard where the harmony moves.
PROGRESSION = [(36, (60, 64, 67)), (41, (60, 65, 69)), (43, (59, 62, 67)), (36, (60, 64, 67))]


def piano(notes: list[Note], *, name: str = "Piano", program: int = 0, instrument: str = "piano") -> Transcription:
    return Transcription(tracks=[Track(name, instrument, program, False, notes)], duration=60.0)


def at(beat_seconds: float, rows: list[tuple[int, float, float, int]], shift: float = 0.0) -> list[Note]:
    """Notes from (pitch, start beat, length in beats, velocity) at a steady beat."""
    return [Note(p, shift + s * beat_seconds, shift + (s + d) * beat_seconds, v) for p, s, d, v in rows]


def events(doc: ScoreDoc, part: int = 0, staff: int | None = None, number: int | None = None):
    """(measure index, offset, duration, pitches, grace) of every event, bar by bar."""
    out = []
    for m, measure in enumerate(doc.parts[part].measures):
        for voice in measure.voices:
            if (staff is None or voice.staff == staff) and (number is None or voice.number == number):
                out += [(m, e.offset, e.duration, sorted(n.pitch for n in e.notes), e.grace) for e in voice.events]
    return out


def waltz(bars: int = 12) -> list[Note]:
    rows = []
    for bar in range(bars):
        bass, chord = PROGRESSION[bar % 4]
        start = 3 * bar
        rows.append((bass, start, 1, 100))
        rows += [(p, start + beat, 0.8, 60) for beat in (1, 2) for p in chord]
        rows.append((chord[-1] + 12, start, 2.9, 90))
    return rows


def test_a_waltz_is_written_in_three_four_with_the_bass_on_each_downbeat():
    doc = engrave(piano(at(60 / 160, waltz())), title="Waltz")
    assert {m.time for m in doc.measures} == {(3, 4)}
    assert doc.measures[0].tempo == pytest.approx(160, rel=0.03)
    bass = [(m, offset) for m, offset, _, pitches, _ in events(doc, staff=1) if pitches]
    assert bass[:12] == [(m, 0) for m in range(12)]



@pytest.mark.parametrize("quarters_per_minute", [170, 190])
def test_a_fast_waltz_keeps_its_quarter_beat_rather_than_a_beat_of_two_quarters_across_its_bars(quarters_per_minute):
    # The tracker may settle on two quarters (85-95 a minute), a pulse that straddles the bar
    # lines; the halves of that beat group in threes, so the quarter is the beat.
    doc = engrave(piano(at(60 / quarters_per_minute, waltz())), title="Fast waltz")
    assert {m.time for m in doc.measures} == {(3, 4)}
    assert doc.measures[0].tempo == pytest.approx(quarters_per_minute, rel=0.03)
    bass = [(m, offset) for m, offset, _, pitches, _ in events(doc, staff=1) if pitches]
    assert bass[:12] == [(m, 0) for m in range(12)]


def test_a_jig_is_written_in_six_eight_with_quarter_eighth_figures():
    rows = []
    for bar in range(12):
        bass, chord = PROGRESSION[bar % 4]
        start = 6 * bar  # in eighths
        rows.append((bass, start, 6, 100))
        melody = [chord[2] + 12, chord[1] + 12, chord[0] + 12, chord[1] + 12]
        rows += [(p, start + s, d, 95 if s in (0, 3) else 70) for p, (s, d) in zip(melody, [(0, 2), (2, 1), (3, 2), (5, 1)])]
    doc = engrave(piano(at(60 / 330, rows)), title="Jig")  # eighths at 330 a minute: dotted quarter = 110
    assert {m.time for m in doc.measures} == {(6, 8)}
    assert doc.measures[0].tempo == pytest.approx(165, rel=0.03)  # quarters per minute
    melody = [(offset, duration) for m, offset, duration, p, _ in events(doc, staff=0) if m == 1]
    assert melody == [(0, 1), (1, Fraction(1, 2)), (Fraction(3, 2), 1), (Fraction(5, 2), Fraction(1, 2))]



@pytest.mark.parametrize("eighths_per_minute", [180, 220])
def test_a_moderate_six_eight_of_quarter_eighth_figures_is_not_three_four_at_the_eighths(eighths_per_minute):
    # Dotted quarter = 60-73: its eighths are slow enough to be a waltz's quarters, but the
    # long-short figures leave each beat's second eighth empty, which a waltz's accompaniment never does.
    rows = []
    for bar in range(12):
        bass, chord = PROGRESSION[bar % 4]
        start = 6 * bar  # in eighths
        rows.append((bass, start, 6, 100))
        melody = [chord[2] + 12, chord[1] + 12, chord[0] + 12, chord[1] + 12]
        rows += [(p, start + s, d, 95 if s in (0, 3) else 70) for p, (s, d) in zip(melody, [(0, 2), (2, 1), (3, 2), (5, 1)])]
    doc = engrave(piano(at(60 / eighths_per_minute, rows)), title="Barcarolle")
    assert {m.time for m in doc.measures[1:]} == {(6, 8)}
    assert doc.measures[0].tempo == pytest.approx(eighths_per_minute / 2, rel=0.03)  # quarters per minute
    melody = [(offset, duration) for m, offset, duration, p, _ in events(doc, staff=0) if m == 2]
    assert melody == [(0, 1), (1, Fraction(1, 2)), (Fraction(3, 2), 1), (Fraction(5, 2), Fraction(1, 2))]


def test_an_upbeat_becomes_a_pickup_bar_as_long_as_the_notes_before_the_first_downbeat():
    rows = [(67, -1, 0.5, 80), (69, -0.5, 0.5, 80)]  # two eighths lead into bar 1
    for bar in range(10):
        bass, chord = PROGRESSION[bar % 4]
        rows.append((bass, 4 * bar, 4, 100))
        rows += [(chord[-1] + 12 - 2 * (beat % 2), 4 * bar + beat, 1, 100 if beat == 0 else 70) for beat in range(4)]
    doc = engrave(piano(at(0.5, rows, shift=0.5)), title="Pickup")
    assert doc.measures[0].length == 1
    assert [m.length for m in doc.measures[1:]] == [4] * (len(doc.measures) - 1)
    assert events(doc, staff=0)[:2] == [(0, 0, Fraction(1, 2), [67], False), (0, Fraction(1, 2), Fraction(1, 2), [69], False)]
    assert events(doc, staff=1)[0][:2] == (1, 0)


def test_triplets_and_swung_pairs_are_written_as_thirds_of_a_beat_straight_beats_stay_straight():
    rows = []
    for bar in range(8):
        bass, chord = PROGRESSION[bar % 4]
        base = 4 * bar
        rows.append((bass, base, 4, 100))
        rows += [(72, base, 0.5, 100), (74, base + 0.5, 0.5, 70)]  # straight eighths
        rows += [(76, base + 1, 1 / 3, 80), (77, base + 1 + 1 / 3, 1 / 3, 70), (79, base + 1 + 2 / 3, 1 / 3, 70)]
        rows += [(81, base + 2, 2 / 3, 80), (79, base + 2 + 2 / 3, 1 / 3, 70)]  # swung long-short
        rows += [(77 - k, base + 3 + k / 4, 0.25, 80 if k == 0 else 65) for k in range(4)]  # straight sixteenths
    # Played a little unevenly, as people do.
    notes = [Note(n.pitch, n.onset + (0.012 if i % 3 == 1 else -0.006), n.offset, n.velocity) for i, n in enumerate(at(0.6, rows))]
    doc = engrave(piano(notes), title="Triplets")
    assert doc.measures[0].time == (4, 4)
    bar = [(offset, duration) for m, offset, duration, p, _ in events(doc, staff=0) if m == 2]
    third = Fraction(1, 3)
    assert bar == [
        (0, Fraction(1, 2)), (Fraction(1, 2), Fraction(1, 2)),
        (1, third), (1 + third, third), (1 + 2 * third, third),
        (2, 2 * third), (2 + 2 * third, third),
        (3, Fraction(1, 4)), (Fraction(13, 4), Fraction(1, 4)), (Fraction(7, 2), Fraction(1, 4)), (Fraction(15, 4), Fraction(1, 4)),
    ]


def test_a_tempo_change_gets_a_new_tempo_mark_at_the_bar_where_it_happens():
    rows = []
    for bar in range(24):
        bass, chord = PROGRESSION[bar % 4]
        rows.append((bass, 4 * bar, 2, 100))
        rows += [(chord[-1] + 12, 4 * bar + beat, 1, 100 if beat == 0 else 70) for beat in range(4)]
    slow, fast = 60 / 100, 60 / 140
    notes = [
        Note(n.pitch, *(t * slow if t <= 48 else 48 * slow + (t - 48) * fast for t in (n.onset, n.offset)), n.velocity)
        for n in at(1.0, rows)
    ]
    doc = engrave(piano(notes), title="Più mosso")
    marks = [(i, m.tempo) for i, m in enumerate(doc.measures) if m.tempo]
    assert len(marks) == 2
    (first_bar, first), (second_bar, second) = marks
    assert first_bar == 0 and first == pytest.approx(100, rel=0.03)
    assert 11 <= second_bar <= 13 and second == pytest.approx(140, rel=0.03)


def test_a_held_note_under_a_moving_line_in_one_staff_is_a_second_voice():
    rows = []
    for bar in range(8):
        rows += [(76 + (beat % 2), 4 * bar + beat, 1, 80) for beat in range(4)]  # quarters above
        rows += [(67, 4 * bar, 2, 70), (65, 4 * bar + 2, 2, 70)]  # half notes below, same hand
    doc = engrave(piano(at(0.5, rows)), title="Two voices")
    upper = events(doc, staff=0, number=1)
    lower = events(doc, staff=0, number=2)
    assert [p for *_, p, _ in upper[:4]] == [[76], [77], [76], [77]]
    assert [(offset, duration, p) for _, offset, duration, p, _ in lower[:2]] == [(0, 2, [67]), (2, 2, [65])]


def test_hands_follow_a_melody_below_middle_c_and_a_bass_line_above_it():
    rows = []
    melody = [72, 71, 69, 67, 65, 64, 62, 60, 59, 57, 55, 57, 59, 60, 62, 64]
    for i, pitch in enumerate(melody):
        rows.append((pitch, i, 1, 90))
    for bar in range(4):
        rows.append((36 + 5 * (bar % 2), 4 * bar, 2, 70))
        rows.append((43 + 5 * (bar % 2), 4 * bar + 2, 2, 70))
    # Then a left-hand line climbing above middle C under a high right hand.
    for i, pitch in enumerate([48, 52, 55, 60, 62, 64, 62, 60]):
        rows.append((pitch, 16 + i, 1, 70))
        rows.append((84 if i % 2 == 0 else 88, 16 + i, 1, 90))
    doc = engrave(piano(at(0.5, rows)), title="Crossing")
    treble = {p for *_, pitches, _ in events(doc, staff=0) for p in pitches}
    bass = {p for *_, pitches, _ in events(doc, staff=1) for p in pitches}
    assert {55, 57, 59} <= treble and not {55, 57, 59} & bass - {55}
    assert {60, 62, 64} <= bass
    assert not {84, 88} & bass and not {36, 41, 43, 48} & treble


def test_a_drum_track_is_a_percussion_staff_with_drum_kit_positions_hands_above_feet_below():
    kick, snare, hat = 36, 38, 42
    rows = []
    for bar in range(4):
        b = 4 * bar
        rows += [(hat, b + k / 2, 0.1, 80) for k in range(8)]
        rows += [(kick, b, 0.1, 110), (kick, b + 2, 0.1, 110), (snare, b + 1, 0.1, 100), (snare, b + 3, 0.1, 100)]
    drums = Track("Drums", "drums", 0, True, at(0.5, rows))
    doc = engrave(Transcription(tracks=[drums], duration=10.0), title="Groove")
    part = doc.parts[0]
    assert part.is_drum and [s.clef for s in part.staves] == ["percussion"]
    positions = {
        n.pitch: (n.step, n.octave)
        for m in part.measures for v in m.voices for e in v.events for n in e.notes
    }
    assert positions == {kick: ("F", 4), snare: ("C", 5), hat: ("G", 5)}
    feet = events(doc, number=2)
    assert [(offset, p) for m, offset, _, p, _ in feet if m == 1] == [(0, [kick]), (2, [kick])]
    hands = [(offset, p) for m, offset, _, p, _ in events(doc, number=1) if m == 1]
    assert hands[:3] == [(0, [hat]), (Fraction(1, 2), [hat]), (1, [snare, hat])]


def test_a_quick_note_just_before_a_long_one_is_a_grace_note():
    rows = []
    for bar in range(6):
        bass, chord = PROGRESSION[bar % 4]
        rows.append((bass, 4 * bar, 4, 90))
        rows += [(chord[-1] + 12, 4 * bar + beat, 1, 80) for beat in range(4)]
    notes = at(0.5, rows)
    principal = next(n for n in notes if n.onset == 2 * 4 * 0.5 + 1.0 and n.pitch > 60)
    notes.append(Note(principal.pitch + 2, principal.onset - 0.06, principal.onset - 0.01, 70))
    doc = engrave(piano(notes), title="Grace")
    graces = [e for e in events(doc, staff=0) if e[4]]
    assert graces == [(2, 2, Fraction(1, 2), [principal.pitch + 2], True)]
    assert (2, 2, 1, [principal.pitch], False) in events(doc, staff=0)


@pytest.mark.parametrize(
    ("instrument", "program", "low", "clef", "tablature"),
    [("guitar", 25, 52, "treble-8vb", True), ("bass", 33, 28, "bass", False), ("vocals", 53, 64, "treble", False)],
)
def test_other_instruments_get_their_own_clef(instrument, program, low, clef, tablature):
    rows = [(low + (i % 5), i, 1, 80) for i in range(16)]
    doc = engrave(piano(at(0.5, rows), name=instrument, program=program, instrument=instrument), title="Clef")
    assert [(s.clef, s.tablature) for s in doc.parts[0].staves] == [(clef, tablature)]


def test_beats_found_in_the_recording_set_the_beat_instead_of_the_notes():
    rows = [(60 + (i % 4), i, 0.9, 100 if i % 4 == 0 else 70) for i in range(32)]
    notes = at(0.5, rows)
    audio_beats = [k * 1.0 for k in range(17)]  # the recording's beat: every other note
    doc = engrave(piano(notes), title="Audio beats", audio_beats=audio_beats)
    assert doc.measures[0].tempo == pytest.approx(60, rel=0.01)
    offsets = [offset for m, offset, *_ in events(doc, staff=0) if m == 0]
    assert offsets[:4] == [0, Fraction(1, 2), 1, Fraction(3, 2)]


def test_the_score_knows_where_its_first_bar_starts_in_the_recording():
    rows = [(67, -1, 1, 80)] + [(60 + (i % 4), i, 1, 100 if i % 4 == 0 else 70) for i in range(32)]
    rows += [(36 + (bar % 2) * 5, 4 * bar, 4, 100) for bar in range(8)]
    doc = engrave(piano(at(0.5, rows, shift=2.5)), title="Offset")  # silence, then a one-beat pickup
    assert doc.measures[0].length == 1
    assert doc.audio_offset == pytest.approx(2.0, abs=0.02)
    assert ScoreDoc.from_dict(doc.to_dict()).audio_offset == doc.audio_offset


# Known tempo-octave failures (docs/benchmarks.md, "Notation: tempo, metre, bar positions"): from
# onsets alone a slow beat and its twice-as-fast division sound the same, and the tracker's
# tapping prior (around 120 a minute) picks the division. Strict: these start failing (XPASS) the
# day the engraver gets them right, so the marker must then be removed.
@pytest.mark.xfail(strict=True, reason="tracked at the dotted eighth: 6/8 written at twice the tempo")
def test_a_slow_siciliana_is_written_in_six_eight_at_its_own_slow_dotted_quarter():
    rows = []
    for bar in range(10):
        bass, chord = PROGRESSION[bar % 4]
        start = 6 * bar  # in eighths
        rows += [(bass, start, 3, 90), (bass + 7, start + 3, 3, 80)]
        top = [chord[2] + 12, chord[1] + 12, chord[0] + 12]
        for half in (0, 3):  # the siciliana figure: dotted eighth, sixteenth, eighth
            rows += [(top[0], start + half, 1.5, 95 if half == 0 else 85), (top[1], start + half + 1.5, 0.5, 70)]
            rows.append((top[2], start + half + 2, 1, 75))
    doc = engrave(piano(at(60 / 144, rows)), title="Siciliana")  # dotted quarter = 48
    assert {m.time for m in doc.measures} == {(6, 8)}
    assert doc.measures[0].tempo == pytest.approx(72, rel=0.04)  # quarters per minute


@pytest.mark.xfail(strict=True, reason="an adagio's beat is tracked at its eighths: every value halved")
def test_an_adagio_at_fifty_keeps_its_quarter_at_fifty():
    rows = []
    melody = [(0, 1.5), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5), (4, 2), (6, 0.5), (6.5, 0.5), (7, 1)]
    for bar in range(8):
        bass, chord = PROGRESSION[bar % 4]
        start = 8 * bar  # in eighths: the bass walks in eighths under a dotted melody
        rows += [(bass, start + k, 1, 85 if k % 2 == 0 else 65) for k in range(8)]
        top = [chord[2] + 12, chord[1] + 12, chord[0] + 12, chord[2] + 14]
        rows += [(top[i % 4], start + s, d, 95 if s in (0, 4) else 75) for i, (s, d) in enumerate(melody)]
    doc = engrave(piano(at(60 / 100, rows)), title="Adagio")  # eighths at 100: quarter = 50
    assert doc.measures[0].tempo == pytest.approx(50, rel=0.04)
