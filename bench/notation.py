"""The notation benchmark: does the engraved score read like the score the music came from?

    .venv/bin/python -m bench.notation [--source midi|audio|both] [--pieces N] [--seconds 30] [--device cpu|cuda]

Pieces from music21's corpus (``PIECES``: 2/4, 3/4, 4/4, 6/8, 12/8, major and
minor keys, pickups) are written to MIDI by music21 (``bench.corpus.score_midi``)
and then engraved two ways:

- ``midi``: the score's own MIDI performance goes straight into
  ``ml.notation.engrave.engrave``: the notation engine's error alone;
- ``audio``: the MIDI is rendered on a piano with FluidSynth
  (``bench.render.render_piano``), transcribed by the real pipeline
  (``ml.pipeline.transcribe_file``), then engraved: what a user gets.

Compared with the original score:

- **tempo**: the first tempo mark (quarters per minute) within 4 % of the score's;
- **time signature**: the first full bar's metre equals the score's;
- **key**: the first bar's key signature (fifths) equals the score's, and the mode;
- **note F1**: a written note matches a score note when the pitch, the bar and
  the position in the bar (exact, in quarters) agree, after the best global
  shift by whole bars (a pickup misjudged by a bar costs nothing). Positions
  in a pickup bar count back from the next downbeat, so they compare whatever
  each side's pickup length is;
- **onset F1, raw vs notation**: mir_eval onset F1 (50 ms) against the notes
  that sound in the render, of the transcription the engraver was given and of
  the notation played back at its tempo marks (after the best global time
  shift). The difference is what quantisation costs.

Prints a table and totals; writes JSON (--out, default var/bench/notation-<source>.json).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from bench.corpus import Piece, score_midi, select
from bench.metrics import onset_f1
from bench.render import DEFAULT_CACHE, playable, truncate
from ml.notation.score import ScoreDoc
from ml.notes import Note, Track, Transcription

PIECES: tuple[Piece, ...] = (
    Piece("bach-bwv66.6", "bach/bwv66.6", "chorale, 4/4, F# minor, pickup"),
    Piece("bach-bwv269", "bach/bwv269", "chorale, 3/4, G major, pickup"),
    Piece("haydn-op1no1-1", "haydn/opus1no1/movement1", "quartet, 6/8, B-flat major"),
    Piece("joplin-maple-leaf", "joplin/maple_leaf_rag", "ragtime, 2/4, A-flat major, pickup"),
    Piece("mozart-k156-2", "mozart/k156/movement2", "quartet adagio, 4/4, E minor"),
    Piece("beethoven-op18no1-1", "beethoven/opus18no1/movement1.mxl", "quartet, 3/4, F major"),
    Piece("schumann-clara-op17-3", "schumann_clara/opus17/movement3.xml", "piano trio, 6/8"),
    Piece("mozart-k545-1", "mozart/k545/movement1_exposition", "piano sonata, 4/4, C major"),
    Piece("schumann-dichterliebe2", "schumann_robert/dichterliebe_no2", "Lied, 2/4"),
    Piece("bach-bwv4.8", "bach/bwv4.8", "chorale, 4/4, E minor, pickup"),
    Piece("beethoven-op59no3-2", "beethoven/opus59no3/movement2", "quartet andante, 6/8, A minor"),
    Piece("schubert-lindenbaum", "schubert/Lindenbaum", "Lied, 3/4, E major"),
    Piece("bach-bwv248.23-2", "bach/bwv248.23-2", "chorale, 12/8"),
)
TEMPO_TOLERANCE = 0.04
SOURCES = ("midi", "audio")
_POSITION_DENOMINATOR = 48  # score positions are read to a 1/48 quarter (covers triplets of 32nds)
_BAR_SHIFTS = range(-4, 5)


@dataclass(slots=True)
class Truth:
    time_signature: tuple[int, int]
    fifths: int
    mode: str
    tempo_bpm: float
    notes: Counter  # (pitch, bar, position) -> count
    sounding: list[Note]  # what plays, in seconds


@dataclass(slots=True)
class Row:
    piece: str
    source: str
    tempo_truth: float
    tempo: float
    time_signature_truth: str
    time_signature: str
    key_truth: str
    key: str
    note_matches: int
    notes_truth: int
    notes_written: int
    onset_f1_raw: float
    onset_f1_notation: float
    engrave_seconds: float
    bar_shift: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def tempo_ok(self) -> bool:
        return abs(self.tempo / self.tempo_truth - 1) <= TEMPO_TOLERANCE

    @property
    def note_f1(self) -> float:
        precision = self.note_matches / self.notes_written if self.notes_written else 0.0
        recall = self.note_matches / self.notes_truth if self.notes_truth else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- The score's truth -----------------------------------------------------------------------

def truth_of(piece: Piece, *, seconds: float, cache_dir: Path) -> Truth:
    import music21
    import pretty_midi

    from bench.corpus import _max_tick

    score = music21.corpus.parse(piece.corpus_path)
    if hasattr(score, "scores"):
        score = score.scores[0]
    signature = score.recurse().getElementsByClass("TimeSignature").first()
    key_signature = score.recurse().getElementsByClass("KeySignature").first()
    declared = score.recurse().getElementsByClass("Key").first()
    fifths = key_signature.sharps if key_signature is not None else 0
    if declared is not None and declared.sharps == fifths:
        mode = declared.mode
    else:  # a bare signature: the mode music21's key analysis hears, if it fits the signature
        analysed = score.analyze("key")
        mode = analysed.mode if analysed.sharps == fifths else "major"
    first_measure = score.parts[0].getElementsByClass("Measure").first()
    bar = Fraction(signature.barDuration.quarterLength).limit_denominator(_POSITION_DENOMINATOR)
    measured = Fraction(first_measure.duration.quarterLength).limit_denominator(_POSITION_DENOMINATOR)
    pickup = measured if measured < bar else Fraction(0)

    score_midi(piece, cache_dir=cache_dir)  # writes the MIDI file if it is not cached
    midi_path = cache_dir / "scores" / f"music21-{music21.__version__}" / f"{piece.key}.mid"
    with _max_tick(10**9):
        midi = pretty_midi.PrettyMIDI(os.fspath(midi_path))
    changes, tempi = midi.get_tempo_changes()
    notes = [
        Note(n.pitch, n.start, n.end, max(1, n.velocity))
        for instrument in midi.instruments
        if not instrument.is_drum
        for n in instrument.notes
    ]
    sounding = playable(truncate(notes, seconds=seconds))
    written: Counter = Counter()
    for note in sounding:
        ticks = int(midi.time_to_tick(note.onset))
        quarters = Fraction(ticks, int(midi.resolution)).limit_denominator(_POSITION_DENOMINATOR)
        written[(note.pitch, *_bar_position(quarters, pickup, bar))] += 1
    return Truth(
        time_signature=(signature.numerator, signature.denominator),
        fifths=fifths,
        mode=mode,
        tempo_bpm=_main_tempo(changes, tempi, seconds),
        notes=written,
        sounding=sounding,
    )


def _main_tempo(changes: np.ndarray, tempi: np.ndarray, seconds: float) -> float:
    """The tempo in force longest within the excerpt (a short first tempo is an upbeat's, not the piece's)."""
    if not len(tempi):
        return 120.0
    ends = np.append(changes[1:], seconds)
    spans = np.clip(ends, 0, seconds) - np.clip(changes, 0, seconds)
    return float(tempi[int(np.argmax(spans))])


def _bar_position(quarters: Fraction, pickup: Fraction, bar: Fraction) -> tuple[int, Fraction]:
    """(bar index, position in the bar); a pickup bar's positions count back from its end."""
    if quarters < pickup:
        return 0, quarters - pickup
    index, position = divmod(quarters - pickup, bar)
    return int(index) + (1 if pickup else 0), position


# --- The engraved score ----------------------------------------------------------------------

def written_notes(doc: ScoreDoc) -> tuple[Counter, list[tuple[int, int, Fraction]]]:
    """The doc's struck notes (tie continuations left out, grace notes too: they take no time)
    as (pitch, bar, position) counts, and (pitch, measure, offset) for playback."""
    counts: Counter = Counter()
    heads: list[tuple[int, int, Fraction]] = []
    for part in doc.parts:
        if part.is_drum:
            continue
        tied_in: dict[tuple[int, int], set[int]] = {}
        for m, (measure, part_measure) in enumerate(zip(doc.measures, part.measures)):
            for voice in part_measure.voices:
                key = (voice.staff, voice.number)
                for event in voice.events:
                    if event.grace:
                        continue
                    held = tied_in.get(key, set())
                    for note in event.notes:
                        if note.pitch in held:
                            continue
                        position = event.offset - measure.length if m == 0 and measure.length < measure.full_length else event.offset
                        counts[(note.pitch, m, position)] += 1
                        heads.append((note.pitch, m, event.offset))
                    tied_in[key] = {n.pitch for n in event.notes if n.tie}
    return counts, heads


def note_matches(truth: Counter, written: Counter) -> tuple[int, int]:
    """(matches, bar shift) for the best global shift of whole bars."""
    best = (0, 0)
    for shift in _BAR_SHIFTS:
        shifted = Counter({(p, bar + shift, pos): c for (p, bar, pos), c in written.items()})
        matches = sum((truth & shifted).values())
        if matches > best[0]:
            best = (matches, shift)
    return best


def played_back(doc: ScoreDoc, heads: list[tuple[int, int, Fraction]], reference: list[Note]) -> list[Note]:
    """The written notes at the times their bars' tempo marks give, shifted to fit the reference best."""
    elapsed, clock = 0.0, []
    for m, measure in enumerate(doc.measures):
        clock.append(elapsed)
        elapsed += float(measure.length) * 60.0 / doc.tempo_at(m)
    times = np.array([clock[m] + float(offset) * 60.0 / doc.tempo_at(m) for _, m, offset in heads])
    pitches = [p for p, _, _ in heads]
    if not len(times) or not reference:
        return []
    candidates = {
        round(r.onset - t, 3)
        for t, p in list(zip(times, pitches))[:30]
        for r in reference
        if r.pitch == p and abs(r.onset - t) < 10
    } or {0.0}
    def at(shift: float) -> list[Note]:  # mir_eval takes no negative times: a note before 0 is missed anyway
        return [Note(p, t + shift, t + shift + 0.1) for p, t in zip(pitches, times) if t + shift >= 0]
    best = max(sorted(candidates), key=lambda s: onset_f1(reference, at(s)))
    return at(best)


# --- Running ---------------------------------------------------------------------------------

def engrave_and_score(piece: Piece, source: str, truth: Truth, performance: Transcription) -> Row:
    from ml.notation.engrave import engrave

    began = time.perf_counter()
    doc = engrave(performance, title=piece.key)
    engrave_seconds = time.perf_counter() - began
    written, heads = written_notes(doc)
    matches, shift = note_matches(truth.notes, written)
    raw = [n for t in performance.tracks for n in t.notes]
    first_full = next((m for m in doc.measures if m.length == m.full_length), doc.measures[0])
    return Row(
        piece=piece.key,
        source=source,
        tempo_truth=truth.tempo_bpm,
        tempo=float(doc.measures[0].tempo or doc.tempo_at(0)),
        time_signature_truth="%d/%d" % truth.time_signature,
        time_signature="%d/%d" % first_full.time,
        key_truth=f"{truth.fifths} {truth.mode}",
        key=f"{doc.measures[0].key_fifths} {doc.measures[0].mode}",
        note_matches=matches,
        notes_truth=sum(truth.notes.values()),
        notes_written=sum(written.values()),
        onset_f1_raw=onset_f1(truth.sounding, raw),
        onset_f1_notation=onset_f1(truth.sounding, played_back(doc, heads, truth.sounding)),
        engrave_seconds=engrave_seconds,
        bar_shift=shift,
        extra={"pickup": str(doc.measures[0].length) if doc.measures[0].length < doc.measures[0].full_length else "0"},
    )


def performance_of(piece: Piece, source: str, truth: Truth, *, seconds: float, device: str | None, cache_dir: Path) -> Transcription:
    if source == "midi":
        return Transcription(tracks=[Track("Piano", "piano", 0, False, list(truth.sounding))], duration=seconds)
    from bench.render import render_piano
    from ml.pipeline import transcribe_file

    rendition = render_piano(piece, seconds=seconds, cache_dir=cache_dir)
    return transcribe_file(rendition.audio, device=device)


def print_table(rows: list[Row], *, header: bool = True) -> None:
    if header:
        line = f"{'piece':24} {'src':5} {'tempo/truth':>13} {'ok':2} {'metre/truth':>11} {'key/truth':>17} {'note F1':>7} {'onset raw→not.':>13} {'pickup':>6}"
        print(line)
        print("-" * len(line))
    for r in rows:
        metre = f"{r.time_signature}/{r.time_signature_truth}"
        print(
            f"{r.piece:24} {r.source:5} {r.tempo:6.1f}/{r.tempo_truth:<6.1f} {'✓' if r.tempo_ok else '✗':2} "
            f"{metre:>11} {r.key + '/' + r.key_truth:>17} {r.note_f1:7.3f} "
            f"{r.onset_f1_raw:5.3f}→{r.onset_f1_notation:5.3f} {r.extra['pickup']:>6}"
        )


def summary(rows: list[Row]) -> dict[str, float]:
    count = len(rows)
    matches = sum(r.note_matches for r in rows)
    truth = sum(r.notes_truth for r in rows)
    written = sum(r.notes_written for r in rows)
    precision = matches / written if written else 0.0
    recall = matches / truth if truth else 0.0
    return {
        "pieces": count,
        "tempo_accuracy": sum(r.tempo_ok for r in rows) / count,
        "time_signature_accuracy": sum(r.time_signature == r.time_signature_truth for r in rows) / count,
        "key_signature_accuracy": sum(r.key.split()[0] == r.key_truth.split()[0] for r in rows) / count,
        "key_and_mode_accuracy": sum(r.key == r.key_truth for r in rows) / count,
        "note_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "onset_f1_raw_mean": float(np.mean([r.onset_f1_raw for r in rows])),
        "onset_f1_notation_mean": float(np.mean([r.onset_f1_notation for r in rows])),
        "engrave_seconds_mean": float(np.mean([r.engrave_seconds for r in rows])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=(*SOURCES, "both"), default="midi")
    parser.add_argument("--pieces", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    sources = SOURCES if args.source == "both" else (args.source,)
    rows: list[Row] = []
    for piece in select(PIECES, args.pieces):
        truth = truth_of(piece, seconds=args.seconds, cache_dir=args.cache_dir)
        for source in sources:
            performance = performance_of(
                piece, source, truth, seconds=args.seconds, device=args.device, cache_dir=args.cache_dir
            )
            rows.append(engrave_and_score(piece, source, truth, performance))
            print_table(rows[-1:], header=len(rows) == 1)
            sys.stdout.flush()
    print()
    results = {}
    for source in sources:
        selected = [r for r in rows if r.source == source]
        results[source] = summary(selected)
        print(f"{source}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in results[source].items()))
    out = args.out or args.cache_dir / f"notation-{args.source}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    out.write_text(
        json.dumps(
            {
                "command": " ".join(sys.argv),
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {platform.processor()} {os.cpu_count()} cores",
                "commit": commit,
                "summary": results,
                "rows": [asdict(r) | {"note_f1": r.note_f1, "tempo_ok": r.tempo_ok} for r in rows],
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
