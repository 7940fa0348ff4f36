"""MusicXML output, checked against the official MusicXML 4.0 schema and by what
music21 reads back from it."""
from __future__ import annotations

import functools
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import music21
import musicxml
import xmlschema
from lxml import etree

from ml.notation.musicxml import score_to_musicxml
from ml.notation.score import ChordSymbol, ScoreDoc, Span

from .writer_docs import DocBuilder, Q

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


def xml_of(doc: ScoreDoc) -> etree._Element:
    return valid(score_to_musicxml(doc))


def assert_bars_add_up(root: etree._Element, doc: ScoreDoc) -> None:
    """In every part, every voice of every measure lasts exactly the measure."""
    divisions = int(root.find(".//divisions").text)
    for part in root.iter("part"):
        measures = part.findall("measure")
        assert len(measures) == len(doc.measures) or not doc.parts
        for xml_measure, measure in zip(measures, doc.measures):
            per_voice: dict[str, int] = defaultdict(int)
            for note in xml_measure.iter("note"):
                if note.find("chord") is not None or note.find("grace") is not None:
                    continue
                per_voice[note.findtext("voice")] += int(note.findtext("duration"))
            assert set(per_voice.values()) == {measure.length * divisions}, (part.get("id"), dict(per_voice))


def read_back(xml: str) -> list[list[tuple[int, Fraction, Fraction]]]:
    """What music21 (the reader MuseScore-style tools share) hears, per staff:
    (midi, offset, duration) in quarters, ties joined."""
    parsed = music21.converter.parseData(xml, format="musicxml")
    staves = []
    for part in parsed.parts:
        heard = []
        for element in part.stripTies().flatten().notes:
            if isinstance(element, music21.harmony.ChordSymbol) or element.duration.isGrace:
                continue
            pitches = element.pitches if element.pitches else ()
            for pitch in pitches:
                heard.append((pitch.midi, Fraction(element.offset), Fraction(element.quarterLength)))
        staves.append(sorted(heard))
    return staves


def test_piano_is_one_part_with_a_braced_treble_and_bass_staff():
    b = DocBuilder(2)
    piano = b.part(clefs=("treble", "bass"))
    b.add(piano, 0, 0, 4, 72)
    b.add(piano, 1, 0, 4, 36, staff=1)
    root = xml_of(b.doc)
    assert [p.findtext("part-name") for p in root.iter("score-part")] == ["Piano"]
    assert root.findtext(".//staves") == "2"
    assert [(c.findtext("sign"), c.findtext("line")) for c in root.iter("clef")] == [("G", "2"), ("F", "4")]
    assert_bars_add_up(root, b.doc)


def test_what_music21_reads_back_is_the_score_part_by_part():
    b = DocBuilder(3, key=-3)
    piano = b.part(clefs=("treble", "bass"))
    bass = b.part("Bass", instrument="bass", program=33, clefs=("bass",))
    b.add(piano, 0, 0, Q(3, 2), (63, "E", -1, 4), (67, "G", 0, 4))
    b.add(piano, 0, Q(3, 2), Q(5, 2), (72, "C", 0, 5), tie=True)  # over the bar line
    b.add(piano, 1, 0, 1, (72, "C", 0, 5))
    for k in range(3):
        b.add(piano, 1, 1 + Q(k, 3), Q(1, 3), (60 + k, "C", 0, 4) if k == 0 else (61 + k, "D", k - 1, 4))
    b.add(piano, 2, 0, 4, (48, "C", 0, 3), staff=1)
    b.add(bass, 0, 0, 4, (39, "E", -1, 2))
    xml = score_to_musicxml(b.doc)
    assert_bars_add_up(valid(xml), b.doc)
    treble, bass_staff, bass_part = read_back(xml)
    assert treble == sorted([
        (63, 0, Q(3, 2)), (67, 0, Q(3, 2)), (72, Q(3, 2), Q(7, 2)),
        (60, 5, Q(1, 3)), (62, Q(16, 3), Q(1, 3)), (63, Q(17, 3), Q(1, 3)),
    ])
    assert bass_staff == [(48, 8, 4)]
    assert bass_part == [(39, 0, 4)]


def test_triplets_carry_time_modification_and_one_bracket():
    b = DocBuilder(1)
    piano = b.part()
    for k in range(3):
        b.add(piano, 0, 2 + Q(2 * k, 3), Q(2, 3), 72 + k)
    root = xml_of(b.doc)
    notes = [n for n in root.iter("note") if n.find("time-modification") is not None]
    assert len(notes) == 3
    assert {(n.findtext("time-modification/actual-notes"), n.findtext("time-modification/normal-notes")) for n in notes} == {("3", "2")}
    assert [t.get("type") for n in notes for t in n.iter("tuplet")] == ["start", "stop"]
    assert [n.findtext("type") for n in notes] == ["quarter"] * 3


def test_key_meter_and_tempo_changes_and_a_pickup():
    b = DocBuilder(3, time=(3, 4), key=2)
    b.doc.measures[0].length = Q(1)
    b.doc.measures[2].time = (6, 8)
    b.doc.measures[2].length = Q(3)
    b.doc.measures[2].key_fifths = -1
    b.doc.measures[2].tempo = 90.0
    piano = b.part()
    b.add(piano, 0, 0, 1, (66, "F", 1, 4))
    b.add(piano, 2, 0, Q(3, 2), (70, "B", -1, 4))
    root = xml_of(b.doc)
    measures = root.findall(".//part/measure")
    assert (measures[0].get("number"), measures[0].get("implicit")) == ("0", "yes")
    assert measures[2].findtext("attributes/key/fifths") == "-1"
    assert measures[2].findtext("attributes/time/beat-type") == "8"
    assert [s.get("tempo") for s in root.iter("sound")] == ["120", "90"]
    assert_bars_add_up(root, b.doc)


def test_chord_symbols_dynamics_hairpins_pedal_articulations_and_grace_notes():
    b = DocBuilder(2)
    piano = b.part(clefs=("treble", "bass"))
    b.doc.measures[0].chords = [ChordSymbol(Q(0), "C"), ChordSymbol(Q(2), "F#m7b5/C")]
    b.add(piano, 0, 0, Q(1, 2), 74, grace=True)
    b.add(piano, 0, 0, 4, 72, dynamic="mf", articulations=("accent", "staccato"))
    b.add(piano, 1, 0, 4, 72, articulations=("tenuto",))
    b.add(piano, 0, 0, 4, 48, staff=1)
    piano.spans = [Span("crescendo", 0, 0, Q(0), 1, Q(0)), Span("pedal", 1, 0, Q(0), 0, Q(4))]
    root = xml_of(b.doc)
    harmonies = root.findall(".//harmony")
    assert [(h.findtext("root/root-step"), h.findtext("root/root-alter"), h.findtext("kind"), h.findtext("bass/bass-step"))
            for h in harmonies] == [("C", None, "major", None), ("F", "1", "half-diminished", "C")]
    assert root.find(".//dynamics/mf") is not None
    assert [w.get("type") for w in root.iter("wedge")] == ["crescendo", "stop"]
    assert [p.get("type") for p in root.iter("pedal")] == ["start", "stop"]
    assert {a.tag for a in root.iter("articulations") for a in a} == {"accent", "staccato", "tenuto"}
    grace = next(n for n in root.iter("note") if n.find("grace") is not None)
    assert grace.find("duration") is None and grace.findtext("pitch/step") == "D"
    assert_bars_add_up(root, b.doc)


def test_a_second_voice_rests_unseen_where_it_has_nothing_to_play():
    b = DocBuilder(1)
    piano = b.part()
    b.add(piano, 0, 0, 4, 72)
    b.add(piano, 0, 2, 2, 60, voice=2)
    root = xml_of(b.doc)
    hidden = [n for n in root.iter("note") if n.get("print-object") == "no"]
    assert [(n.findtext("voice"), n.findtext("duration")) for n in hidden] == [("2", str(2 * int(root.findtext(".//divisions"))))]
    assert_bars_add_up(root, b.doc)


def test_guitar_reads_an_octave_down_and_has_a_tab_staff_with_strings_and_frets():
    b = DocBuilder(1)
    guitar = b.part("Guitar", instrument="guitar", program=25, clefs=("treble-8vb",), tablature=True)
    b.add(guitar, 0, 0, 4, 40, 47, 52)  # an open E chord's low notes
    xml = score_to_musicxml(b.doc)
    root = valid(xml)
    clefs = root.findall(".//clef")
    assert (clefs[0].findtext("sign"), clefs[0].findtext("clef-octave-change")) == ("G", "-1")
    assert clefs[1].findtext("sign") == "TAB" and root.findtext(".//staff-details/staff-lines") == "6"
    frets = sorted((int(n.findtext(".//string")), int(n.findtext(".//fret"))) for n in root.iter("note") if n.find(".//fret") is not None)
    assert frets == [(4, 2), (5, 2), (6, 0)]
    notation, _tab = read_back(xml)
    assert notation == [(40, 0, 4), (47, 0, 4), (52, 0, 4)]


def test_drums_are_unpitched_kit_sounds_on_channel_10_with_x_heads_for_cymbals():
    b = DocBuilder(1)
    drums = b.part("Drums", instrument="drums", clefs=("percussion",), is_drum=True)
    for beat in range(4):
        b.add(drums, 0, beat, 1, (42, "G", 0, 5), (36, "F", 0, 4) if beat % 2 == 0 else (38, "C", 0, 5))
    root = xml_of(b.doc)
    assert root.findtext(".//clef/sign") == "percussion"
    assert {m.findtext("midi-channel") for m in root.iter("midi-instrument")} == {"10"}
    assert sorted(int(m.findtext("midi-unpitched")) for m in root.iter("midi-instrument")) == [37, 39, 43]
    hihats = [n for n in root.iter("note") if n.find("instrument").get("id").endswith("I42")]
    assert len(hihats) == 4 and {n.findtext("notehead") for n in hihats} == {"x"}
    assert {n.findtext("unpitched/display-step") for n in hihats} == {"G"}
    assert_bars_add_up(root, b.doc)


def test_titles_are_kept_whatever_their_characters():
    doc = DocBuilder(1, title='Für "Elise" & <Co> 夜').doc
    root = xml_of(doc)
    assert root.findtext(".//work-title") == 'Für "Elise" & <Co> 夜'


def test_an_empty_score_is_valid():
    xml_of(ScoreDoc(title="Empty", measures=[], parts=[]))
    xml_of(DocBuilder(2).doc)
