"""The benchmark's pieces: scores from music21's corpus, so no one here wrote the ground truth.

Each score is written to MIDI by music21 and read back with pretty_midi, which
gives every part's notes in seconds (music21's tempo marks applied, repeats
expanded). That MIDI is the truth the renderer plays and the metrics compare
against.

The lists are fixed and ordered so that any ``--pieces N`` prefix spans
styles: the first five of each list are the ones ``docs/benchmarks.md``
reports. Pieces whose score music21 cannot write to MIDI (badly formed
repeats, e.g. chopin/mazurka06-2) are not listed.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ml.notes import Note

# Roles of the multi-instrument renders: the instruments ml.models.basic_pitch
# transcribes (its INSTRUMENTS keys), plus drums, which only the mixture carries.
VOCALS = "vocals"
OTHER = "other"
GUITAR = "guitar"
BASS = "bass"
DRUMS = "drums"
PITCHED_ROLES = (BASS, GUITAR, VOCALS, OTHER)


@dataclass(frozen=True, slots=True)
class Piece:
    key: str  # short id used in file names and tables
    corpus_path: str  # music21.corpus.parse() argument
    style: str  # what the piece stands for in the list
    # Ensemble pieces only: the role of each part, top part first (as the score
    # lists them). Several parts may share a role; they then form one stem.
    roles: tuple[str, ...] = ()


# Rendered as solo piano (every part on program 0).
PIANO_PIECES: tuple[Piece, ...] = (
    Piece("bach-bwv66.6", "bach/bwv66.6", "Baroque chorale, four voices"),
    Piece("mozart-k545-1", "mozart/k545/movement1_exposition", "Classical piano sonata"),
    Piece("joplin-maple-leaf", "joplin/maple_leaf_rag", "ragtime, wide leaps, syncopation"),
    Piece("beethoven-op18no1-1", "beethoven/opus18no1/movement1.mxl", "string quartet, fast figuration"),
    Piece("schoenberg-op19-2", "schoenberg/opus19/movement2", "atonal piano miniature"),
    Piece("cpebach-h186", "cpebach/h186", "galant keyboard piece"),
    Piece("schumann-clara-polonaise1", "schumann_clara/polonaise_op1n1", "Romantic piano, dense chords"),
    Piece("bach-bwv846", "bach/bwv846", "Well-Tempered Clavier prelude, broken chords"),
    Piece("haydn-op74no1-1", "haydn/opus74no1/movement1", "string quartet"),
    Piece("schubert-lindenbaum", "schubert/Lindenbaum", "Lied, voice with piano"),
    Piece("verdi-donna-mobile", "verdi/laDonnaEMobile", "opera aria, piano reduction"),
    Piece("corelli-op3no1-grave", "corelli/opus3no1/1grave", "trio sonata, slow"),
)

# Rendered as one stem per role and their sum (plus a drum groove). Parts are
# assigned by register so that each lies in its instrument's range
# (ml.models.basic_pitch.INSTRUMENTS) for the first minute.
ENSEMBLE_PIECES: tuple[Piece, ...] = (
    Piece("bach-bwv66.6", "bach/bwv66.6", "chorale: S A T B", roles=(VOCALS, OTHER, GUITAR, BASS)),
    Piece("haydn-op1no1-1", "haydn/opus1no1/movement1", "early quartet, fast", roles=(VOCALS, OTHER, GUITAR, BASS)),
    Piece(
        "beethoven-op18no1-1", "beethoven/opus18no1/movement1.mxl", "quartet, motivic",
        roles=(VOCALS, OTHER, GUITAR, BASS),
    ),
    Piece(
        "monteverdi-madrigal3.1", "monteverdi/madrigal.3.1", "five-voice madrigal",
        roles=(VOCALS, OTHER, OTHER, GUITAR, BASS),
    ),
    Piece("bach-bwv4.8", "bach/bwv4.8", "chorale: S A T B", roles=(VOCALS, OTHER, GUITAR, BASS)),
    Piece("bach-bwv269", "bach/bwv269", "chorale: S A T B", roles=(VOCALS, OTHER, GUITAR, BASS)),
)

# music21 writes 10080 ticks per quarter note, so a ten-minute quartet
# movement passes pretty_midi's "likely corrupt" guard of 1e7 ticks.
_MAX_TICK = 10**9


@dataclass(frozen=True, slots=True)
class ScoreMidi:
    parts: list[list[Note]]  # notes of each part in score order, in seconds
    tempo_bpm: float  # the first tempo, quarter notes per minute


def score_midi(piece: Piece, *, cache_dir: Path) -> ScoreMidi:
    """The piece's parts as notes in seconds, via music21's MIDI export (cached)."""
    import music21
    import pretty_midi

    midi_path = cache_dir / "scores" / f"music21-{music21.__version__}" / f"{piece.key}.mid"
    if not midi_path.exists():
        midi_path.parent.mkdir(parents=True, exist_ok=True)
        score = music21.corpus.parse(piece.corpus_path)
        partial = midi_path.with_suffix(".mid.partial")
        score.write("midi", fp=partial)
        os.replace(partial, midi_path)
    with _max_tick(_MAX_TICK):
        midi = pretty_midi.PrettyMIDI(os.fspath(midi_path))
    parts = [
        [Note(pitch=n.pitch, onset=n.start, offset=n.end, velocity=max(n.velocity, 1)) for n in instrument.notes]
        for instrument in midi.instruments
        if not instrument.is_drum
    ]
    if piece.roles and len(piece.roles) != len(parts):
        raise ValueError(f"{piece.key}: {len(piece.roles)} roles for {len(parts)} MIDI parts")
    _, tempi = midi.get_tempo_changes()
    return ScoreMidi(parts=parts, tempo_bpm=float(tempi[0]) if len(tempi) else 120.0)


@contextmanager
def _max_tick(value: int) -> Iterator[None]:
    import pretty_midi.pretty_midi as module

    saved = module.MAX_TICK
    module.MAX_TICK = value
    try:
        yield
    finally:
        module.MAX_TICK = saved


def select(pieces: tuple[Piece, ...], count: int | None) -> list[Piece]:
    """The first ``count`` pieces (all when None), in the fixed order."""
    if count is not None and count < 1:
        raise ValueError("--pieces must be at least 1")
    return list(pieces if count is None else pieces[:count])
