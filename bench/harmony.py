"""Key, spelling and chord-symbol accuracy of ml.notation.harmony on music21's corpus.

Each score is turned into a ScoreDoc from its own rhythm and MIDI pitches only:
every note starts out spelled as a naive engraver would (sharps, C major), the
key signatures are cleared, and ``apply_keys`` / ``add_chord_symbols`` run on
that. The score's own key signatures, spellings and (for the Bach chorales
with a Riemenschneider analysis in the corpus) Roman numerals are the truth.

    python -m bench.harmony                  # the full set
    python -m bench.harmony --chorales 10    # fewer chorales, for a quick look

Measured:
- key: the key (tonic and mode) at the start of each piece, exact, or its
  relative (same signature, other mode) or parallel (same tonic, other mode);
  and the key signature of every measure against the score's (key changes);
- spelling: the share of notes written with the score's letter and accidental,
  with the key found here, and with the score's own key given (spelling alone);
  the naive C-major speller the engraver used before is the baseline;
- chords: for each Roman numeral of the analyses, weighted by its length,
  whether the symbol in force there has its root, and its root and triad type
  (major, minor, diminished, augmented);
- speed: seconds per 1000 notes for apply_keys + add_chord_symbols.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from ml.notation.harmony import (
    MAJOR,
    MINOR,
    Key,
    add_chord_symbols,
    apply_keys,
    detect_keys,
    iter_chord_spans,
    key_from_signature,
    parse_chord_symbol,
    respell,
)
from ml.notation.score import Event, Measure, Note, Part, PartMeasure, ScoreDoc, Staff, Voice
from ml.notation.spelling import LETTERS, spell_chord

# Pieces beyond the chorales whose scores carry their key signatures; the
# benchmark's own piano list (bench/corpus.py) first, then more styles.
OTHER_PIECES = (
    "mozart/k545/movement1_exposition",
    "joplin/maple_leaf_rag",
    "beethoven/opus18no1/movement1.mxl",
    "cpebach/h186",
    "schumann_clara/polonaise_op1n1",
    "bach/bwv846",
    "haydn/opus74no1/movement1",
    "schubert/Lindenbaum",
    "verdi/laDonnaEMobile",
    "corelli/opus3no1/1grave",
    "haydn/opus1no1/movement1",
    "mozart/k155/movement1",
    "mozart/k156/movement1",
    "beethoven/opus59no1/movement1",
    "handel/rinaldo/lascia_chio_pianga",
    "luca/gloria",
)
CHORALE_ANALYSES = 20  # riemenschneider001..020.rntxt ship with music21


@dataclass
class Truth:
    doc: ScoreDoc
    fifths: list[int]  # per measure, the score's signature
    first_key: Key | None  # tonic and mode at the start, where the score says
    spelled: dict[str, tuple[str, int]]  # note id → (letter, alter) in the score
    measure_numbers: dict[int, int]  # music21 measure number → doc index


def doc_from_score(score) -> Truth:
    """A ScoreDoc with the score's measures and rhythm, its notes spelled naively, no key."""
    from music21 import key as m21key
    from music21 import stream

    parts = list(score.parts)
    reference = list(parts[0].getElementsByClass(stream.Measure))
    doc = ScoreDoc(title="bench", measures=[], parts=[])
    fifths, numbers = [], {}
    current_fifths, first_key = 0, None
    time_signature = (4, 4)
    for index, measure in enumerate(reference):
        if measure.timeSignature is not None:
            time_signature = (measure.timeSignature.numerator, measure.timeSignature.denominator)
        signatures = list(measure.getElementsByClass(m21key.KeySignature))
        if signatures:
            current_fifths = signatures[0].sharps
            if index == 0 and isinstance(signatures[0], m21key.Key):
                first_key = Key(signatures[0].tonic.pitchClass, signatures[0].mode if signatures[0].mode in (MAJOR, MINOR) else MAJOR)
        fifths.append(current_fifths)
        numbers.setdefault(measure.number, index)
        length = Fraction(measure.duration.quarterLength).limit_denominator(96)
        doc.measures.append(Measure(time=time_signature, key_fifths=0, mode=MAJOR, length=length))
    spelled = {}
    for part_index, part in enumerate(parts):
        doc_part = Part(f"p{part_index + 1}", part.partName or "", "piano", 0, False, [Staff("treble")], [])
        measures = list(part.getElementsByClass(stream.Measure))
        for index in range(len(doc.measures)):
            voice = Voice(staff=0, number=1)
            if index < len(measures):
                for element in measures[index].flatten().notes:
                    if element.duration.isGrace:
                        continue
                    notes = []
                    for pitch in element.pitches:
                        note = Note(doc.new_id("n"), pitch.midi, "C", 0, 4, tie=element.tie is not None and element.tie.type != "stop")
                        naive = spell_chord([pitch.midi])[0]
                        note.step, note.alter, note.octave = LETTERS[naive.letter], naive.alter, naive.octave
                        spelled[note.id] = (pitch.step, int(pitch.accidental.alter) if pitch.accidental else 0)
                        notes.append(note)
                    offset = Fraction(element.offset).limit_denominator(96)
                    duration = Fraction(element.duration.quarterLength).limit_denominator(96)
                    voice.events.append(Event(doc.new_id("e"), offset, duration, notes))
            doc_part.measures.append(PartMeasure([voice]))
        doc.parts.append(doc_part)
    if first_key is None:
        first_key = _key_from_final_bass(doc, fifths[0])
    return Truth(doc, fifths, first_key, spelled, numbers)


def _key_from_final_bass(doc: ScoreDoc, fifths: int) -> Key | None:
    """Where the score names no mode: the tonic is its final bass note, if the signature allows it."""
    last = [n for p in doc.parts for v in p.measures[-1].voices for e in v.events for n in e.notes]
    if not last:
        return None
    bass_pc = min(n.pitch for n in last) % 12
    for mode in (MAJOR, MINOR):
        key = key_from_signature(fifths, mode)
        if key.tonic_pc == bass_pc:
            return key
    return None


def spelling_share(truth: Truth) -> float:
    notes = [n for p in truth.doc.parts for pm in p.measures for v in pm.voices for e in v.events for n in e.notes]
    right = sum(1 for n in notes if (n.step, n.alter) == truth.spelled[n.id])
    return right / max(1, len(notes))


def _naive_copy(truth: Truth) -> ScoreDoc:
    return ScoreDoc.from_dict(truth.doc.to_dict())


def evaluate_piece(path: str, rows: list[dict], timings: list[tuple[int, float]]) -> Truth | None:
    from music21 import corpus

    try:
        score = corpus.parse(path)
    except Exception as error:  # a corpus file music21 itself cannot read
        print(f"  skip {path}: {error}")
        return None
    truth = doc_from_score(score)
    pristine = truth.doc.to_dict()
    baseline = spelling_share(truth)
    # Spelling alone: the score's key signatures given, mode as detected.
    truth.doc = ScoreDoc.from_dict(pristine)
    keys = detect_keys(truth.doc)
    for measure, f, key in zip(truth.doc.measures, truth.fifths, keys, strict=True):
        measure.key_fifths, measure.mode = f, key.mode
    respell(truth.doc)
    given_key = spelling_share(truth)
    # Everything found here.
    truth.doc = ScoreDoc.from_dict(pristine)
    note_count = sum(len(e.notes) for p in truth.doc.parts for pm in p.measures for v in pm.voices for e in v.events)
    started = time.perf_counter()
    apply_keys(truth.doc)
    add_chord_symbols(truth.doc)
    timings.append((note_count, time.perf_counter() - started))
    found = Key(*_first_key(truth.doc))
    signature_share = sum(m.key_fifths == f for m, f in zip(truth.doc.measures, truth.fifths, strict=True)) / len(truth.fifths)
    rows.append(
        {
            "piece": path,
            "notes": note_count,
            "truth": truth.first_key.name if truth.first_key else f"? ({truth.fifths[0]:+d})",
            "found": found.name,
            "verdict": _verdict(truth.first_key, found),
            "signature": signature_share,
            "changes": len({*truth.fifths}) > 1,
            "spelling": spelling_share(truth),
            "given_key": given_key,
            "baseline": baseline,
        }
    )
    return truth


def _first_key(doc: ScoreDoc) -> tuple[int, str]:
    first = doc.measures[0]
    key = key_from_signature(first.key_fifths, first.mode)
    return key.tonic_pc, key.mode


def _verdict(truth: Key | None, found: Key) -> str:
    if truth is None:
        return "unknown"
    if truth == found:
        return "exact"
    if truth.fifths == found.fifths:
        return "relative"
    if truth.tonic_pc == found.tonic_pc:
        return "parallel"
    return "wrong"


_TRIAD = {"": "major", "7": "major", "maj7": "major", "m": "minor", "m7": "minor", "dim": "diminished",
          "m7b5": "diminished", "dim7": "diminished", "aug": "augmented", "sus4": "other"}


def chord_agreement(truth: Truth, analysis) -> tuple[float, float, float]:
    """(root agreement, root+triad agreement, quarters compared) against a RomanText analysis."""
    starts = truth.doc.measure_starts()
    spans = [(starts[m] + a, starts[m] + b, symbol) for m, a, b, symbol in iter_chord_spans(truth.doc)]
    compared = root_right = both_right = 0.0
    for rn in analysis.recurse().getElementsByClass("RomanNumeral"):
        index = truth.measure_numbers.get(rn.measureNumber)
        if index is None:
            continue
        at = starts[index] + Fraction(rn.offset).limit_denominator(96)
        length = float(rn.quarterLength)
        symbol = next((s for a, b, s in spans if a <= at < b), None)
        compared += length
        if symbol is None:
            continue
        root_tpc, quality, _ = parse_chord_symbol(symbol)
        if (root_tpc * 7) % 12 == rn.root().pitchClass:
            root_right += length
            if _TRIAD[quality.suffix] == rn.quality:
                both_right += length
    return root_right, both_right, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chorales", type=int, default=60, help="how many Bach chorales (the first are those with analyses)")
    parser.add_argument("--others", type=int, default=len(OTHER_PIECES))
    args = parser.parse_args()
    from music21 import corpus
    from music21.corpus import chorales

    listing = chorales.ChoraleListRKBWV().byRiemenschneider
    chorale_paths = []
    for number in sorted(listing):
        path = f"bach/bwv{listing[number]['bwv']}"
        if corpus.getWork(path):
            chorale_paths.append((number, path))
        if len(chorale_paths) >= args.chorales:
            break
    rows: list[dict] = []
    timings: list[tuple[int, float]] = []
    chords = [0.0, 0.0, 0.0]
    for number, path in chorale_paths:
        truth = evaluate_piece(path, rows, timings)
        if truth is not None and number <= CHORALE_ANALYSES:
            analysis = corpus.parse(f"bach/choraleAnalyses/riemenschneider{number:03d}.rntxt")
            for i, value in enumerate(chord_agreement(truth, analysis)):
                chords[i] += value
    for path in OTHER_PIECES[: args.others]:
        evaluate_piece(path, rows, timings)

    print(f"{'piece':42} {'notes':>5} {'truth':>10} {'found':>10} {'verdict':>8} {'sig':>5} {'spell':>6} {'key→sp':>6} {'naive':>6}")
    for r in rows:
        print(
            f"{r['piece'][:42]:42} {r['notes']:5d} {r['truth']:>10} {r['found']:>10} {r['verdict']:>8} "
            f"{r['signature']:5.2f} {r['spelling']:6.3f} {r['given_key']:6.3f} {r['baseline']:6.3f}"
        )
    for label, subset in (("chorales", rows[: len(chorale_paths)]), ("others", rows[len(chorale_paths) :]), ("all", rows)):
        if not subset:
            continue
        verdicts = Counter(r["verdict"] for r in subset)
        known = sum(v for k, v in verdicts.items() if k != "unknown")
        notes = sum(r["notes"] for r in subset)

        def weighted(field: str, rows_=subset, notes_=notes) -> float:
            return sum(r[field] * r["notes"] for r in rows_) / notes_

        print(
            f"\n{label}: {len(subset)} pieces, {notes} notes\n"
            f"  key at the start (of {known} with a known key): exact {verdicts['exact'] / known:.1%}, "
            f"relative {verdicts['relative'] / known:.1%}, parallel {verdicts['parallel'] / known:.1%}, "
            f"other {verdicts['wrong'] / known:.1%}\n"
            f"  key signature per measure: {sum(r['signature'] for r in subset) / len(subset):.1%} "
            f"(pieces with signature changes: {sum(r['changes'] for r in subset)})\n"
            f"  spelling (share of notes): {weighted('spelling'):.2%}; with the score's key given {weighted('given_key'):.2%}; "
            f"naive C-major speller {weighted('baseline'):.2%}"
        )
    if chords[2]:
        print(
            f"\nchords vs Riemenschneider analyses 1-{CHORALE_ANALYSES} ({chords[2]:.0f} quarters): "
            f"root {chords[0] / chords[2]:.1%}, root and triad type {chords[1] / chords[2]:.1%}"
        )
    total_notes = sum(n for n, _ in timings)
    total_seconds = sum(s for _, s in timings)
    print(f"\nspeed: apply_keys + add_chord_symbols {1000 * total_seconds / total_notes:.3f} s per 1000 notes "
          f"(largest piece {max(timings)[0]} notes in {max(timings)[1]:.2f} s)")


if __name__ == "__main__":
    main()
