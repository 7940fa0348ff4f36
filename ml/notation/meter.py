"""The time signature and where bar 1 begins, from notes placed on a beat grid.

Two questions, answered from the music itself:

- How is a beat divided? Off-beat onsets near thirds of a beat mean a compound
  metre (6/8, 9/8, 12/8: the beat is a dotted quarter); near halves and
  quarters, a simple one (the beat is a quarter). When the tracked beat is
  divided in three but so slow that its thirds are themselves a walking pulse,
  the thirds are the beat (a waltz counted one-in-a-bar is 3/4, not 6/8) when
  they are struck evenly, as a waltz's oom-pah-pah is; long-short figures that
  leave the second third empty (quarter-eighth) keep it a compound beat.
  A beat must also divide its bar: when the tracked beat's halves fall clearly in
  threes, the tracked beat straddles bar lines and its half is the beat.
- How many beats make a bar, and which is the first? Downbeats are where the
  bass moves, the harmony changes, long and loud notes begin; every grouping
  of 2, 3 and 4 beats at every phase is scored by how much more of that its
  first beats carry than the others.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ml.notation.beats import BeatGrid
from ml.notes import Note

# Thirds of a beat this slow (per minute) or slower are felt as beats themselves.
SLOWEST_COMPOUND_DIVISION_BPM = 230.0
_OFFBEAT_MIN = 0.09  # beats from the nearest beat: closer is "on the beat"
_MIN_OFFBEATS, _MIN_OFFBEAT_SHARE = 4, 0.05  # telling off-beat onsets needed to judge at all
_TERNARY_SHARE = 0.75  # of off-beat onsets, to call the beat divided in three
# Of the beats with notes, the share whose two later thirds are both struck for the thirds to be
# beats of their own (a waltz's oom-pah-pah), not the eighths of a compound beat.
_EVEN_THIRDS_SHARE = 0.5
# 4/4 is far more common than 2/4, 3/4 than 6/4-in-beats: a grouping must do
# this much better than the common one to win.
_GROUPING_PRIOR = {4: 1.15, 3: 1.0, 2: 0.9}
# How many times more clearly half-beats must group in threes than in twos or fours before the
# half-beat is taken for the beat (twos and fours of halves are the tracked beats themselves).
_TRIPLE_HALVES_MARGIN = 2.0
# How much each downbeat cue counts: loud onsets, long notes, bass notes, harmony changing.
CUE_WEIGHTS = {"velocity": 1.0, "length": 1.5, "bass": 1.0, "change": 1.0}
_BASS_BELOW_MEDIAN = 7  # semitones
_MIN_CONTRAST = 0.5  # z-units by which downbeats must stand out to be believed
_MIN_STRUCK_BEATS = 8  # beats with a note on them, before any grouping is believed
_MIN_BARS = 3  # bars of a grouping the notes must span before it is considered


@dataclass(frozen=True, slots=True)
class Meter:
    beats_per_bar: int  # counted beats: 2, 3 or 4
    compound: bool  # each beat a dotted quarter divided in three eighths

    @property
    def time_signature(self) -> tuple[int, int]:
        if self.compound:
            return (3 * self.beats_per_bar, 8)
        return (self.beats_per_bar, 4)

    @property
    def beat_quarters(self) -> Fraction:
        return Fraction(3, 2) if self.compound else Fraction(1)

    @property
    def bar_quarters(self) -> Fraction:
        return self.beats_per_bar * self.beat_quarters


def beat_division(positions: np.ndarray) -> int:
    """3 when the off-beat onsets (positions in beats) sit on thirds of the beat, else 2."""
    fractions = positions - np.floor(positions)
    distance_to_beat = np.minimum(fractions, 1 - fractions)
    # Half a beat fits both (an eighth of 2/4, a dotted eighth of 6/8): it tells nothing.
    offbeat = fractions[(distance_to_beat >= _OFFBEAT_MIN) & (np.abs(fractions - 0.5) >= _OFFBEAT_MIN / 2)]
    if len(offbeat) < max(_MIN_OFFBEATS, _MIN_OFFBEAT_SHARE * len(positions)):
        return 2  # a stray ornament is no reason to count in threes
    binary = np.min(np.abs(offbeat[:, None] - np.array([0.25, 0.75])[None, :]), axis=1)
    ternary = np.min(np.abs(offbeat[:, None] - np.array([1 / 6, 1 / 3, 2 / 3, 5 / 6])[None, :]), axis=1)
    return 3 if np.mean(ternary < binary) >= _TERNARY_SHARE else 2


def thirds_evenly_struck(positions: np.ndarray) -> bool:
    """Whether most beats have notes on both their later thirds, as a waltz counted one-in-a-bar
    has on its second and third quarters. A compound beat's long-short figures (quarter-eighth,
    the siciliana's dotted eighth-sixteenth-eighth) leave its second third mostly empty."""
    beats = np.floor(positions + _OFFBEAT_MIN)
    fractions = positions - beats
    first_third = set(beats[np.abs(fractions - 1 / 3) < _OFFBEAT_MIN].tolist())
    second_third = set(beats[np.abs(fractions - 2 / 3) < _OFFBEAT_MIN].tolist())
    return len(first_third & second_third) >= _EVEN_THIRDS_SHARE * len(set(beats.tolist()))


def subdivide(grid: BeatGrid, parts: int) -> BeatGrid:
    """A grid whose beats are ``parts`` equal divisions of each beat of ``grid``."""
    beats = np.arange(0, len(grid.times) - 1 + 1e-9, 1 / parts)
    return BeatGrid(grid.time(beats))


def downbeat_salience(notes: Sequence[Note], positions: np.ndarray, beat_count: int) -> np.ndarray:
    """How strongly each beat sounds like the first of a bar (z-scored sum of cues)."""
    if beat_count == 0 or not len(notes):
        return np.zeros(beat_count)
    on_beat = np.abs(positions - np.round(positions)) < 0.2
    index = np.clip(np.round(positions).astype(int), 0, beat_count - 1)
    pitches = np.array([n.pitch for n in notes], dtype=float)
    velocity = np.zeros(beat_count)
    length = np.zeros(beat_count)
    bass = np.zeros(beat_count)
    chroma = np.zeros((beat_count, 12))
    # A bass note lies well below the middle of the music (a lone melody has none).
    low = np.median(pitches) - _BASS_BELOW_MEDIAN
    durations = np.array([n.duration for n in notes])
    for k, note in enumerate(notes):
        beat = index[k]
        chroma[int(np.floor(np.clip(positions[k], 0, beat_count - 1))), note.pitch % 12] += durations[k]
        if not on_beat[k]:
            continue
        # The loudest note, not the sum: how many voices strike says little
        # (a held note on the downbeat leaves fewer to strike).
        velocity[beat] = max(velocity[beat], note.velocity / 127)
        length[beat] = max(length[beat], durations[k])
        if note.pitch <= low:
            bass[beat] += 1
    norms = np.linalg.norm(chroma, axis=1)
    unit = chroma / np.where(norms > 0, norms, 1)[:, None]
    change = np.zeros(beat_count)
    change[1:] = 1 - np.sum(unit[1:] * unit[:-1], axis=1)
    sounding = norms > 0
    first = int(np.argmax(sounding)) if sounding.any() else 0
    change[first] = change[sounding].mean() if sounding.any() else 0.0  # nothing before the first chord to change from

    def z(values: np.ndarray) -> np.ndarray:
        spread = values.std()
        return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)

    cues = {"velocity": velocity, "length": length, "bass": bass, "change": change}
    return sum(weight * z(cues[name]) for name, weight in CUE_WEIGHTS.items())


def grouping_contrasts(salience: np.ndarray) -> dict[int, tuple[float, int]]:
    """For 4, 3 and 2 beats a bar (where the music spans enough bars): (how much more the
    best phase's first beats stand out than the rest, weighted by how common the grouping
    is; that phase)."""
    contrasts: dict[int, tuple[float, int]] = {}
    for beats in (4, 3, 2):
        if len(salience) < _MIN_BARS * beats:
            continue
        for phase in range(beats):
            on = salience[phase::beats]
            mask = np.ones(len(salience), dtype=bool)
            mask[phase::beats] = False
            score = (on.mean() - salience[mask].mean()) * _GROUPING_PRIOR[beats]
            if beats not in contrasts or score > contrasts[beats][0] + 1e-9:
                contrasts[beats] = (float(score), phase)
    return contrasts


def best_grouping(salience: np.ndarray) -> tuple[int, int]:
    """(beats per bar, index of the first downbeat among beats 0..beats-1)."""
    best, choice = _MIN_CONTRAST, (4, 0)  # nothing stands out: 4/4 from the first beat
    for beats, (score, phase) in grouping_contrasts(salience).items():  # 4 first: it wins ties
        if score > best + 1e-9:
            best, choice = score, (beats, phase)
    return choice


def half_beats_group_in_threes(notes: Sequence[Note], grid: BeatGrid) -> bool:
    """Whether the halves of the tracked beats fall in bars of three far more clearly than in
    twos or fours. A beat must divide its bar: a tracked beat two thirds of a 3/4 bar (or of a
    6/8 bar's dotted quarters) straddles the bar lines, and the real beat is its half."""
    halves = subdivide(grid, 2)
    positions = halves.position(np.array([n.onset for n in notes]))
    occupied = [int(round(p)) for p in positions if abs(p - round(p)) < 0.2]
    if len(set(occupied)) < _MIN_STRUCK_BEATS:
        return False
    salience = downbeat_salience(notes, positions, len(halves.times))[min(occupied) : max(occupied) + 1]
    contrasts = grouping_contrasts(salience)
    if 3 not in contrasts:
        return False
    others = max((score for beats, (score, _) in contrasts.items() if beats != 3), default=0.0)
    return contrasts[3][0] > _MIN_CONTRAST and contrasts[3][0] >= _TRIPLE_HALVES_MARGIN * max(others, 0.0)


def detect_meter(
    notes: Sequence[Note], grid: BeatGrid, *, allow_compound: bool = True
) -> tuple[Meter, BeatGrid, int]:
    """The metre, the beat grid it counts (thirds of the tracked beat when those are
    the real beat), and the index in that grid of a downbeat.

    With ``allow_compound`` False the tracked beat stays a quarter note (a tempo
    the user gave counts quarters). Too few bars to tell give 4/4 from the first note.
    """
    if not notes:
        return Meter(4, compound=False), grid, 0
    onsets = np.array([n.onset for n in notes])
    positions = grid.position(onsets)
    compound = False
    if allow_compound and beat_division(positions) == 3:
        beat_bpm = 60.0 / float(np.median(grid.periods))
        if 3 * beat_bpm <= SLOWEST_COMPOUND_DIVISION_BPM and thirds_evenly_struck(positions):
            grid = subdivide(grid, 3)
            positions = grid.position(onsets)
        else:
            compound = True
    elif allow_compound and half_beats_group_in_threes(notes, grid):
        grid = subdivide(grid, 2)
        positions = grid.position(onsets)
    occupied = {int(round(p)) for p in positions if abs(p - round(p)) < 0.2}
    if len(occupied) < _MIN_STRUCK_BEATS:  # too little music to hear bars in
        return Meter(4, compound), grid, int(np.floor(positions.min() + 0.5))
    salience = downbeat_salience(notes, positions, len(grid.times))
    # Only beats inside the music: silence past either end would look like weak beats.
    first, last = min(occupied), max(occupied)
    beats, phase = best_grouping(salience[first : last + 1])
    phase = first + phase
    if compound and beats == 3:
        compound = False  # 9/8 is rare: three beats divided in three are 3/4 in triplets
    return Meter(beats, compound), grid, phase
