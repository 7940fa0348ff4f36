"""The notation benchmark's scoring: bar positions, the whole-bar shift, playback timing."""
from collections import Counter
from fractions import Fraction

from bench.notation import _bar_position, note_matches, played_back, written_notes
from ml.notation.engrave import engrave
from ml.notes import Note, Track, Transcription


def test_pickup_positions_count_back_from_the_downbeat_and_later_bars_from_their_start():
    bar, pickup = Fraction(4), Fraction(1)
    assert _bar_position(Fraction(1, 2), pickup, bar) == (0, Fraction(-1, 2))
    assert _bar_position(Fraction(1), pickup, bar) == (1, 0)
    assert _bar_position(Fraction(11, 2), pickup, bar) == (2, Fraction(1, 2))
    assert _bar_position(Fraction(5), Fraction(0), bar) == (1, 1)


def test_a_score_off_by_whole_bars_still_matches_but_one_off_by_a_beat_does_not():
    truth = Counter({(60, 1, Fraction(0)): 1, (62, 1, Fraction(1)): 1, (64, 2, Fraction(0)): 1})
    two_bars_late = Counter({(p, bar + 2, pos): c for (p, bar, pos), c in truth.items()})
    a_beat_late = Counter({(p, bar, pos + 1): c for (p, bar, pos), c in truth.items()})
    assert note_matches(truth, two_bars_late) == (3, -2)
    assert note_matches(truth, a_beat_late)[0] == 0


def test_an_engraved_performance_plays_back_on_its_notes():
    notes = [Note(60 + (i % 5), 1.0 + 0.5 * i, 1.45 + 0.5 * i, 100 if i % 4 == 0 else 70) for i in range(32)]
    doc = engrave(Transcription([Track("Piano", "piano", 0, False, notes)], 20.0), title="Playback")
    counts, heads = written_notes(doc)
    assert sum(counts.values()) == len(notes)
    played = played_back(doc, heads, notes)
    assert sorted(round(n.onset, 2) for n in played) == sorted(round(n.onset, 2) for n in notes)
