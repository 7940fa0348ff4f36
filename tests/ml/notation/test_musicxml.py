"""MusicXML output, checked against the official MusicXML 4.0 schema and by what
music21 reads back from it."""
from __future__ import annotations

import functools
from collections import Counter, defaultdict
from pathlib import Path

import music21
import musicxml
import xmlschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from ml.notation import quantize_transcription, to_abc
from ml.notation.musicxml import render_musicxml, to_musicxml
from ml.notation.spelling import shares_a_position, spell_chord
from ml.notes import Note, Track, Transcription

# At 60 BPM a quarter note is one second and one grid step (a sixteenth) 0.25 s.
STEP = 0.25
STEPS_PER_QUARTER = 4
BAR_STEPS = 16

# The musicxml package ships the W3C's MusicXML 4.0 XSD; the two schemas it imports
# by URL come from xmlschema's copies of the W3C originals, so nothing is fetched.
MUSICXML_XSD = Path(musicxml.__file__).parent / "generate_classes" / "musicxml_4_0.xsd"
_W3C = Path(xmlschema.__file__).parent / "schemas"
_IMPORTED = {"xml.xsd": _W3C / "XML" / "xml.xsd", "xlink.xsd": _W3C / "XLINK" / "xlink.xsd"}


class _LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        name = url.rsplit("/", 1)[-1]
        return self.resolve_filename(str(_IMPORTED[name]), context) if name in _IMPORTED else None


@functools.cache
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(MUSICXML_XSD), parser))


def valid(xml: str) -> etree._Element:
    """The parsed document, after asserting it is valid MusicXML 4.0."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(no_network=True))
    assert schema().validate(root), schema().error_log
    return root


def piano(*notes: Note) -> Transcription:
    return Transcription(tracks=[Track(name="Piano", instrument="piano", notes=list(notes))], duration=60.0)


def note(pitch: int, start_step: int, steps: int) -> Note:
    return Note(pitch=pitch, onset=start_step * STEP, offset=(start_step + steps) * STEP)


# The first onset is the downbeat of bar 1; this bass note pins it to step 0.
DOWNBEAT = note(36, 0, 1)


def xml_of(transcription: Transcription) -> str:
    return to_musicxml(transcription, title="Test", tempo_bpm=60)


def read_back(xml: str) -> list[list[tuple[int, float, float]]]:
    """Per staff (music21 reads a piano part as two), (midi, onset, duration) in
    quarter lengths as music21 reads them, tied notes joined into one."""
    score = music21.converter.parseData(xml, format="musicxml")
    # music21 joins ties only between equal Pitch objects, and a G with a written
    # natural sign is not equal to a plain G; both sound the same, so drop the sign.
    for pitch in score.pitches:
        if pitch.accidental is not None and pitch.accidental.name == "natural":
            pitch.accidental = None
    staves = []
    for part in score.parts:
        joined = part.stripTies()
        staves.append(
            sorted(
                (p.midi, float(n.getOffsetInHierarchy(joined)), float(n.quarterLength))
                for n in joined.recurse().notes
                for p in n.pitches
            )
        )
    return staves


def measure_steps(root: etree._Element) -> dict[tuple[str, str, str], int]:
    """Steps of music in each (part, measure, voice): chord members take no time."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for part in root.iter("part"):
        for measure in part.iter("measure"):
            for n in measure.iter("note"):
                if n.find("chord") is None:
                    totals[part.get("id"), measure.get("number"), n.findtext("voice")] += int(n.findtext("duration"))
    return dict(totals)


def assert_full_measures(root: etree._Element) -> None:
    totals = measure_steps(root)
    assert totals and all(steps == BAR_STEPS for steps in totals.values()), totals
    # And the backups return exactly to the start of the bar.
    for measure in root.iter("measure"):
        for backup in measure.iter("backup"):
            assert int(backup.findtext("duration")) == BAR_STEPS


def test_piano_is_one_part_with_a_treble_and_a_bass_staff():
    xml = xml_of(piano(note(60, 0, 4), note(48, 0, 4)))
    root = valid(xml)
    assert [p.findtext("part-name") for p in root.iter("score-part")] == ["Piano"]
    assert root.findtext(".//midi-program") == "1"  # General MIDI's acoustic grand, counted from 1
    attributes = root.find("part/measure/attributes")
    assert attributes.findtext("divisions") == "4"
    assert attributes.findtext("key/fifths") == "0"
    assert (attributes.findtext("time/beats"), attributes.findtext("time/beat-type")) == ("4", "4")
    assert attributes.findtext("staves") == "2"
    assert [(c.get("number"), c.findtext("sign"), c.findtext("line")) for c in attributes.iter("clef")] == [
        ("1", "G", "2"),
        ("2", "F", "4"),
    ]
    assert [n.findtext("staff") for n in root.iter("note")] == ["1", "1", "2", "2"]
    assert read_back(xml) == [[(60, 0.0, 1.0)], [(48, 0.0, 1.0)]]


def test_title_and_tempo_as_metronome_mark_and_playback_tempo():
    root = valid(to_musicxml(piano(note(60, 0, 4)), title='Für "Elise" & <Co>', tempo_bpm=72.4))
    assert root.findtext("work/work-title") == 'Für "Elise" & <Co>'
    assert root.findtext("movement-title") == 'Für "Elise" & <Co>'
    direction = root.find("part/measure/direction")
    assert direction.findtext("direction-type/metronome/beat-unit") == "quarter"
    assert direction.findtext("direction-type/metronome/per-minute") == "72"
    assert direction.find("sound").get("tempo") == "72"


def test_estimated_tempo_and_notes_are_those_the_abc_writer_uses():
    notes = [note(60 + (k % 5), 2 * k, 2) for k in range(24)] + [note(43, 8 * k, 8) for k in range(6)]
    transcription = piano(*notes)
    abc_tempo = next(line for line in to_abc(transcription, title="T").splitlines() if line.startswith("Q:"))
    root = valid(to_musicxml(transcription, title="T"))
    assert abc_tempo == f"Q:1/4={root.find('.//sound').get('tempo')}"
    score = quantize_transcription(transcription, tempo_bpm=int(abc_tempo.split("=")[1]))
    assert len(root.findall("part/measure")) == score.bar_count


def test_chords_are_written_with_chord_and_keep_every_pitch():
    xml = xml_of(piano(DOWNBEAT, note(60, 4, 4), note(64, 4, 4), note(67, 4, 4)))
    root = valid(xml)
    treble = [n for n in root.iter("note") if n.findtext("staff") == "1" and n.find("rest") is None]
    assert [(n.findtext("pitch/step"), n.find("chord") is not None) for n in treble] == [
        ("C", False),
        ("E", True),
        ("G", True),
    ]
    assert read_back(xml) == [[(60, 1.0, 1.0), (64, 1.0, 1.0), (67, 1.0, 1.0)], [(36, 0.0, 0.25)]]


def test_a_note_over_the_bar_line_is_tied_into_the_next_bar():
    xml = xml_of(piano(DOWNBEAT, note(67, 12, 8)))  # the last beat of bar 1 and half of bar 2
    root = valid(xml)
    g = [n for n in root.iter("note") if n.findtext("pitch/step") == "G"]
    assert [[t.get("type") for t in n.iter("tie")] for n in g] == [["start"], ["stop"]]
    assert [[t.get("type") for t in n.iter("tied")] for n in g] == [["start"], ["stop"]]
    assert [n.findtext("type") for n in g] == ["quarter", "quarter"]
    assert read_back(xml) == [[(67, 3.0, 2.0)], [(36, 0.0, 0.25)]]


def test_a_tied_chord_ties_every_note_and_a_long_note_inside_a_bar_is_tied_too():
    xml = xml_of(piano(DOWNBEAT, note(64, 1, 21), note(72, 1, 21)))  # 15 steps in bar 1, 6 in bar 2
    root = valid(xml)
    assert_full_measures(root)
    assert read_back(xml) == [[(64, 0.25, 5.25), (72, 0.25, 5.25)], [(36, 0.0, 0.25)]]


def test_sharps_flats_and_naturals_are_spelled_and_shown_as_engravers_do():
    # C#4 C4 C#4 in bar 1 (a natural, then the sharp again), Bb4 held over the bar line (no flat on
    # the tied note), C#4 in bar 2 (sharp again after the bar line), then B4 (a courtesy natural).
    notes = [note(61, 0, 2), note(60, 2, 2), note(61, 4, 2), note(70, 8, 12), note(61, 20, 2), note(71, 24, 2)]
    xml = xml_of(piano(*notes))
    root = valid(xml)
    written = [
        (n.findtext("pitch/step"), n.findtext("pitch/alter"), n.findtext("accidental"))
        for n in root.iter("note")
        if n.find("pitch") is not None
    ]
    assert written == [
        ("C", "1", "sharp"),
        ("C", None, "natural"),
        ("C", "1", "sharp"),
        ("B", "-1", "flat"),
        ("B", "-1", None),  # the tied continuation in bar 2
        ("C", "1", "sharp"),
        ("B", None, "natural"),
    ]
    assert [p for p, _, _ in read_back(xml)[0]] == [60, 61, 61, 61, 70, 71]


def test_clusters_put_two_notes_on_one_position_with_both_accidentals():
    root = valid(xml_of(piano(note(67, 0, 4), note(68, 0, 4), note(69, 0, 4))))  # G, G#, A
    heads = [(n.findtext("pitch/step"), n.findtext("accidental")) for n in root.iter("note") if n.findtext("pitch/step")]
    assert heads == [("G", "natural"), ("G", "sharp"), ("A", None)]


def test_rests_fill_every_bar_of_both_staves_and_an_empty_bar_is_a_whole_bar_rest():
    root = valid(xml_of(piano(note(60, 0, 3), note(64, 37, 1))))  # bar 2 is empty
    assert_full_measures(root)
    bar_two = root.findall("part/measure")[1]
    rests = [n.find("rest") for n in bar_two.iter("note")]
    assert [r.get("measure") for r in rests] == ["yes", "yes"]
    assert [n.findtext("staff") for n in bar_two.iter("note")] == ["1", "2"]
    assert root.findall("part/measure")[-1].findtext("barline/bar-style") == "light-heavy"


def test_beams_group_short_notes_by_the_beat():
    # Two eighths, then four sixteenths, then a dotted eighth and a sixteenth, then a quarter.
    notes = [note(60, 0, 2), note(62, 2, 2)] + [note(64 + k, 4 + k, 1) for k in range(4)]
    notes += [note(72, 8, 3), note(74, 11, 1), note(76, 12, 4)]
    root = valid(xml_of(piano(*notes)))
    treble = [n for n in root.iter("note") if n.findtext("staff") == "1"]
    assert [[(b.get("number"), b.text) for b in n.iter("beam")] for n in treble] == [
        [("1", "begin")],
        [("1", "end")],
        [("1", "begin"), ("2", "begin")],
        [("1", "continue"), ("2", "continue")],
        [("1", "continue"), ("2", "continue")],
        [("1", "end"), ("2", "end")],
        [("1", "begin")],
        [("1", "end"), ("2", "backward hook")],
        [],
    ]
    assert [(n.findtext("type"), n.find("dot") is not None) for n in treble][6:] == [
        ("eighth", True),
        ("16th", False),
        ("quarter", False),
    ]


def test_an_empty_score_is_one_bar_of_rest():
    xml = to_musicxml(Transcription(tracks=[], duration=0.0), title="Silence", tempo_bpm=None)
    root = valid(xml)
    assert len(root.findall("part")) == 1
    assert [n.find("rest").get("measure") for n in root.iter("note")] == ["yes"]
    assert_full_measures(root)
    assert read_back(xml) == [[]]


def test_other_instruments_get_one_staff_their_program_and_drums_are_left_out():
    transcription = Transcription(
        tracks=[
            Track(name="Piano", instrument="piano", program=0, notes=[note(60, 0, 4)]),
            Track(name="Drums", instrument="drums", program=0, is_drum=True, notes=[note(36, 0, 1)]),
            Track(name="Cello", instrument="cello", program=42, notes=[note(43, 0, 4), note(48, 4, 4)]),
            Track(name="Flute", instrument="flute", program=73, notes=[note(84, 2, 2)]),
        ]
        + [Track(name=f"Violin {k}", instrument="violin", program=40, notes=[note(76, 0, 4)]) for k in range(8)],
        duration=10.0,
    )
    xml = xml_of(transcription)
    root = valid(xml)
    parts = root.findall("part-list/score-part")
    assert [p.findtext("part-name") for p in parts][:3] == ["Piano", "Cello", "Flute"]
    assert [p.findtext("midi-instrument/midi-program") for p in parts][:3] == ["1", "43", "74"]
    channels = [int(p.findtext("midi-instrument/midi-channel")) for p in parts]
    assert 10 not in channels and all(1 <= c <= 16 for c in channels)
    cello = root.findall("part")[1].find("measure/attributes")
    assert cello.find("staves") is None
    assert [(c.get("number"), c.findtext("sign")) for c in cello.iter("clef")] == [(None, "F")]
    assert root.findall("part")[2].findtext("measure/attributes/clef/sign") == "G"
    assert root.findall("part")[1].find("measure/direction") is None  # the tempo is written once
    assert_full_measures(root)
    assert read_back(xml)[:4] == [[(60, 0.0, 1.0)], [], [(43, 0.0, 1.0), (48, 1.0, 1.0)], [(84, 0.5, 0.5)]]


def test_programs_default_to_piano_when_the_score_comes_without_them():
    score = quantize_transcription(piano(note(60, 0, 4)), tempo_bpm=60)
    root = valid(render_musicxml(score, title="T"))
    assert root.findtext(".//midi-program") == "1"


@st.composite
def notes(draw: st.DrawFn, max_size: int) -> list[Note]:
    rows = draw(
        st.lists(
            st.tuples(
                # A band around middle C makes semitone clusters and staff splits common.
                st.one_of(st.integers(21, 108), st.integers(57, 62)),
                # Grid-aligned onsets make chords common; free ones exercise snapping.
                st.one_of(st.floats(0.0, 12.0, allow_nan=False), st.integers(0, 48).map(lambda k: k * STEP)),
                st.floats(0.01, 4.0, allow_nan=False),
            ),
            max_size=max_size,
        )
    )
    return [Note(pitch=p, onset=onset, offset=onset + length) for p, onset, length in rows]


@st.composite
def transcriptions(draw: st.DrawFn) -> Transcription:
    tracks = [Track(name="Piano", instrument="piano", program=0, notes=draw(notes(max_size=30)))]
    if draw(st.booleans()):
        tracks.append(Track(name="Drums", instrument="drums", is_drum=True, notes=draw(notes(max_size=5))))
    if draw(st.booleans()):
        tracks.append(Track(name="Cello", instrument="cello", program=42, notes=draw(notes(max_size=10))))
    return Transcription(tracks=tracks, duration=20.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcriptions(), st.one_of(st.none(), st.floats(40.0, 240.0)))
@example(  # a natural after a sharp, tied over a bar line (music21 once read it as two notes)
    Transcription(
        tracks=[Track("Piano", "piano", 0, False, [Note(21, 0.0, 1.0, 80), Note(31, 6.0, 8.0, 80), Note(32, 3.0, 6.0, 80)])],
        duration=20.0,
    ),
    None,
)
def test_any_notes_give_valid_musicxml_with_full_measures_and_every_note_kept(transcription, tempo):
    xml = to_musicxml(transcription, title="Property", tempo_bpm=tempo)
    root = valid(xml)
    assert_full_measures(root)

    written_tempo = int(root.find(".//sound").get("tempo"))
    score = quantize_transcription(transcription, tempo_bpm=written_tempo)
    assert len(root.findall("part")) == len(score.parts)
    assert all(len(part.findall("measure")) == score.bar_count for part in root.iter("part"))
    # Every chord member sounds once, at its onset, for its length (a chord with two notes
    # on one position is cut to its first piece, never tied).
    staves = [staff for part in score.parts for staff in part.staves]
    heard_by_staff = read_back(xml)
    assert len(heard_by_staff) == len(staves)
    for staff, heard in zip(staves, heard_by_staff):
        chords = staff.chords
        expected = Counter((p, c.start / STEPS_PER_QUARTER) for c in chords for p in c.pitches)
        assert Counter((p, onset) for p, onset, _ in heard) == expected
        length_at = {
            (p, c.start / STEPS_PER_QUARTER): (
                c.duration / STEPS_PER_QUARTER,
                shares_a_position(spell_chord(c.pitches)),
            )
            for c in chords
            for p in c.pitches
        }
        for p, onset, duration in heard:
            length, cut = length_at[p, onset]
            assert 0 < duration <= length if cut else duration == length


@pytest.mark.parametrize("steps_per_quarter", [1, 2, 8])
def test_other_grids_give_their_divisions_and_full_measures(steps_per_quarter):
    notes = [note(60 + k, 3 * k, 5) for k in range(12)] + [DOWNBEAT]
    root = valid(to_musicxml(piano(*notes), title="Grid", tempo_bpm=60, steps_per_quarter=steps_per_quarter))
    assert root.findtext("part/measure/attributes/divisions") == str(steps_per_quarter)
    assert set(measure_steps(root).values()) == {4 * steps_per_quarter}
