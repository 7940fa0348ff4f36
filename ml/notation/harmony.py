"""Key, pitch spelling and chord symbols for a ``ScoreDoc``.

Everything here works on the line of fifths (a "tonal pitch class", tpc): C is
0, G 1, D 2 ... F# 6, and F -1, Bb -2 ... Gb -6. A MIDI pitch class has one
tpc every 12 steps along that line (F# 6, Gb -6), so spelling a note means
choosing one of them, and "close to the key" means "close on the line". Keys
are found by correlating duration-weighted pitch-class histograms with the key
profiles music21 ships, decoded bar by bar with a penalty on every change so a
new key signature appears only for a section of several bars.

Both public functions mutate the doc in place and are cheap: a five-minute
piano score (~3000 notes) takes well under a second.
"""
from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ml.notation.score import ChordSymbol, Event, Note, ScoreDoc

# --- line of fifths -------------------------------------------------------------------------------

# tpc of the seven naturals: F C G D A E B
_NATURAL_TPC = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_TPC_LETTER = {tpc: letter for letter, tpc in _NATURAL_TPC.items()}
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Double sharps and flats are allowed (alter -2..2): F## in G# minor is real music.
_TPC_MIN, _TPC_MAX = -15, 19


def tpc_of_pc(pc: int) -> int:
    """The tpc of a pitch class nearest D (the middle of C major's naturals): 0..11 → -4..7."""
    tpc = (pc * 7) % 12  # C 0, G 1, D 2 ... F 11
    return tpc - 12 if tpc > 7 else tpc


def tpc_candidates(pc: int) -> tuple[int, ...]:
    base = tpc_of_pc(pc)
    return tuple(t for t in (base - 12, base, base + 12) if _TPC_MIN <= t <= _TPC_MAX)


def tpc_letter_alter(tpc: int) -> tuple[str, int]:
    alter = math.floor((tpc + 1) / 7)
    return _TPC_LETTER[tpc - 7 * alter], alter


def tpc_name(tpc: int) -> str:
    """"Eb", "F#", "Bbb": how a chord root or key is printed."""
    letter, alter = tpc_letter_alter(tpc)
    return letter + ("#" * alter if alter > 0 else "b" * -alter)


def spell_note(note: Note, tpc: int) -> None:
    """Write ``note`` as ``tpc``; the sounding pitch never changes."""
    letter, alter = tpc_letter_alter(tpc)
    note.step, note.alter = letter, alter
    note.octave = (note.pitch - alter - _LETTER_PC[letter]) // 12 - 1


def note_tpc(note: Note) -> int:
    return _NATURAL_TPC[note.step] + 7 * note.alter


# --- keys -----------------------------------------------------------------------------------------

MAJOR, MINOR = "major", "minor"


@dataclass(frozen=True, slots=True)
class Key:
    tonic_pc: int
    mode: str  # MAJOR or MINOR

    @property
    def fifths(self) -> int:
        """The key signature: flats negative. Ties (F# / Gb, D# / Eb minor) go to the usual one."""
        major_pc = self.tonic_pc if self.mode == MAJOR else (self.tonic_pc + 3) % 12
        fifths = (major_pc * 7) % 12  # 0..11 sharps
        if fifths > 6 or (fifths == 6 and self.mode == MINOR):
            fifths -= 12
        return fifths

    @property
    def tonic_tpc(self) -> int:
        return self.fifths + (0 if self.mode == MAJOR else 3)

    @property
    def name(self) -> str:
        return f"{tpc_name(self.tonic_tpc)} {self.mode}"


def key_from_signature(fifths: int, mode: str) -> Key:
    tonic_tpc = fifths + (0 if mode == MAJOR else 3)
    return Key((tonic_tpc * 7) % 12, mode)


def _key_profiles() -> tuple[np.ndarray, np.ndarray]:
    """Major and minor key profiles (weight of each scale degree): the sum of two that music21 ships.

    Bellman-Budge's (chord-weighted counts from a large tonal corpus) scored
    best alone on bench/harmony.py, but it weighs the dominant above the tonic,
    so a long-held tonic in the bass reads as the key a fifth below;
    Temperley-Kostka-Payne's (a textbook corpus) does not. Their sum costs 1
    point of signature accuracy on the benchmark and reads drones right.
    """
    from music21.analysis.discrete import BellmanBudge, TemperleyKostkaPayne

    def normalised(weights: list[float]) -> np.ndarray:
        values = np.array(weights, float)
        return values / values.sum()

    sets = (BellmanBudge(), TemperleyKostkaPayne())
    major = sum(normalised(a.getWeights("major")) for a in sets)
    minor = sum(normalised(a.getWeights("minor")) for a in sets)
    return major, minor


_PROFILES: np.ndarray | None = None


def _profile_matrix() -> np.ndarray:
    """24 × 12: row k < 12 is major key with tonic k, row 12 + k minor; centred and unit length."""
    global _PROFILES
    if _PROFILES is None:
        major, minor = _key_profiles()
        rows = [np.roll(major, k) for k in range(12)] + [np.roll(minor, k) for k in range(12)]
        matrix = np.array(rows)
        matrix -= matrix.mean(axis=1, keepdims=True)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        _PROFILES = matrix
    return _PROFILES


def _key_of_row(row: int) -> Key:
    return Key(row % 12, MAJOR if row < 12 else MINOR)


def key_correlations(histogram: np.ndarray) -> np.ndarray:
    """Pearson correlation of a pitch-class histogram with each of the 24 keys (0 when silent)."""
    centred = histogram - histogram.mean()
    norm = np.linalg.norm(centred)
    if norm == 0:
        return np.zeros(24)
    return _profile_matrix() @ (centred / norm)


# Tuned on bench/harmony.py: bars up to 2 away add to a bar's histogram (by
# these weights, by distance); a change of key costs as much as a correlation better by 1.0 kept
# up for four bars, and sections shorter than 4 bars are merged into a neighbour.
KEY_WINDOW_WEIGHTS = (1.0, 0.5, 0.25)
KEY_CHANGE_PENALTY = 4.0
MIN_KEY_SECTION_BARS = 4


@dataclass(frozen=True, slots=True)
class _Sounding:
    """One written note with its place in the piece, in quarter notes from the start."""

    note: Note
    event: Event
    measure: int
    start: Fraction
    duration: Fraction
    voice: tuple[int, int, int]  # (part index, staff, voice number)


def _sounding_notes(doc: ScoreDoc) -> list[_Sounding]:
    starts = doc.measure_starts()
    out = []
    for part_index, part in enumerate(doc.parts):
        if part.is_drum:
            continue
        for m, part_measure in enumerate(part.measures):
            for voice in part_measure.voices:
                key = (part_index, voice.staff, voice.number)
                for event in voice.events:
                    duration = Fraction(0) if event.grace else event.duration
                    for note in event.notes:
                        out.append(_Sounding(note, event, m, starts[m] + event.offset, duration, key))
    out.sort(key=lambda s: (s.start, s.note.pitch))
    return out


def _bar_histograms(doc: ScoreDoc, notes: list[_Sounding]) -> np.ndarray:
    histograms = np.zeros((len(doc.measures), 12))
    for s in notes:
        # A held note counts for at most a beat, so that a pedal bass does not outweigh the
        # melody over it (as good as plain durations on bench/harmony.py, and robust to drones);
        # grace notes still count a little: they are heard.
        histograms[s.measure, s.note.pitch % 12] += min(float(s.duration), 1.0) or 0.25
    return histograms


def detect_keys(
    doc: ScoreDoc, *, change_penalty: float = KEY_CHANGE_PENALTY, min_section: int = MIN_KEY_SECTION_BARS
) -> list[Key]:
    """One key per measure: windowed profile correlation, Viterbi-decoded with a change penalty.

    The defaults give key signatures; a small penalty and no minimum section
    give the local key (a tonicised bar or two), which spelling follows.
    """
    notes = _sounding_notes(doc)
    count = len(doc.measures)
    if not count:
        return []
    histograms = _bar_histograms(doc, notes)
    whole = key_correlations(histograms.sum(axis=0))
    global_row = int(np.argmax(whole))
    if not notes:
        return [_key_of_row(0)] * count
    # Each bar is heard with its neighbours, nearer ones counting more, so that
    # one bar of passing chromaticism does not decide a key on its own.
    smoothed = np.zeros_like(histograms)
    for distance, weight in enumerate(KEY_WINDOW_WEIGHTS):
        if distance == 0:
            smoothed += weight * histograms
        else:
            smoothed[distance:] += weight * histograms[:-distance]
            smoothed[:-distance] += weight * histograms[distance:]
    scores = np.array([key_correlations(h) if h.any() else whole for h in smoothed])
    path = _viterbi(scores, change_penalty, start_bonus=whole)
    path = _merge_short_sections(path, scores, min_section)
    # A piece that never settles elsewhere keeps its global key throughout.
    if len(set(path)) == 1:
        path = [global_row] * count if scores[:, global_row].sum() >= scores[:, path[0]].sum() else path
    return [_key_of_row(r) for r in path]


def _viterbi(scores: np.ndarray, change_penalty: float, *, start_bonus: np.ndarray | None = None) -> list[int]:
    """The state sequence maximising Σ score − penalty × (number of changes)."""
    count, states = scores.shape
    total = scores[0].copy() + (start_bonus if start_bonus is not None else 0)
    back = np.zeros((count, states), dtype=int)
    for t in range(1, count):
        best_prev = int(np.argmax(total))
        stay = total
        switch = total[best_prev] - change_penalty
        back[t] = np.where(stay >= switch, np.arange(states), best_prev)
        total = np.maximum(stay, switch) + scores[t]
    path = [int(np.argmax(total))]
    for t in range(count - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _merge_short_sections(path: list[int], scores: np.ndarray, min_len: int) -> list[int]:
    """A key kept for fewer than ``min_len`` bars joins whichever neighbouring key fits it better."""
    path = list(path)
    changed = True
    while changed:
        changed = False
        runs = [(k, len(list(g))) for k, g in itertools.groupby(path)]
        if len(runs) < 2:
            break
        position = 0
        for i, (state, length) in enumerate(runs):
            if length < min_len:
                neighbours = [runs[j][0] for j in (i - 1, i + 1) if 0 <= j < len(runs)]
                best = max(neighbours, key=lambda k: scores[position : position + length, k].sum())
                path[position : position + length] = [best] * length
                changed = True
                break
            position += length
    return path


# --- spelling -------------------------------------------------------------------------------------

# Where on the line of fifths a key's notes centre: major's naturals span
# tonic−1 .. tonic+5; minor adds its raised 6th and 7th (tonic+3, tonic+5 with
# the tonic 3 fifths up), so its centre sits sharper.
_MAJOR_CENTRE = 2.0
_MINOR_CENTRE = 2.75
# The local key (tonicisations the signature does not show) pulls the centre this much.
LOCAL_KEY_CHANGE_PENALTY = 1.0
_LOCAL_KEY_WEIGHT = 0.5
# How much the recent notes pull the centre (Temperley's "centre of gravity"),
# and how fast that memory fades (quarter notes for the weight to halve).
_CONTEXT_WEIGHT = 0.4
_CONTEXT_HALF_LIFE = 4.0
# A chord spread wider than a dominant seventh on the line of fifths is
# unusual: each extra fifth costs this much.
_SPREAD_LIMIT = 6
_SPREAD_COST = 0.6
# How much worse (in fifths from the centre) a spelling may be and still win
# because it makes a chromatic step into a proper second.
_LINE_TOLERANCE = 5.5


def key_centre(fifths: int, mode: str) -> float:
    return fifths + (_MAJOR_CENTRE if mode == MAJOR else _MINOR_CENTRE)


def _diatonic(tpc: int, fifths: int, mode: str) -> bool:
    """In the key's scale (minor: with its raised 6th and 7th)."""
    high = fifths + (5 if mode == MAJOR else 8)
    return fifths - 1 <= tpc <= high


def _choose_chord(pcs: list[int], centre: float) -> dict[int, int]:
    """The tpc for each pitch class sounding together, close to ``centre`` and to each other."""
    options = []
    for pc in pcs:
        ranked = sorted(tpc_candidates(pc), key=lambda t: abs(t - centre))
        options.append(ranked[:2])
    best, best_cost = None, math.inf
    for combo in itertools.product(*options):
        cost = sum(abs(t - centre) for t in combo)
        cost += sum(0.5 for t in combo if t < -8 or t > 12)  # double accidentals, a little dearer
        spread = max(combo) - min(combo)
        cost += _SPREAD_COST * max(0, spread - _SPREAD_LIMIT)
        if cost < best_cost:
            best, best_cost = combo, cost
    return dict(zip(pcs, best, strict=True))


def respell(doc: ScoreDoc) -> None:
    """Spell every pitched note by its measure's key, its chord and its melodic line."""
    notes = _sounding_notes(doc)
    if not notes:
        return
    chosen: dict[str, int] = {}  # note id → tpc
    local_keys = detect_keys(doc, change_penalty=LOCAL_KEY_CHANGE_PENALTY, min_section=1)
    # Pass 1: vertical. Notes starting together (all parts) are spelled as one chord,
    # near a centre pulled from the key towards what was just heard.
    context_sum, context_weight, context_time = 0.0, 0.0, Fraction(0)
    for start, group in itertools.groupby(notes, key=lambda s: s.start):
        group = list(group)
        decay = 0.5 ** (float(start - context_time) / _CONTEXT_HALF_LIFE)
        context_sum, context_weight, context_time = context_sum * decay, context_weight * decay, start
        measure = doc.measures[group[0].measure]
        local = local_keys[group[0].measure]
        centre = (1 - _LOCAL_KEY_WEIGHT) * key_centre(measure.key_fifths, measure.mode) + _LOCAL_KEY_WEIGHT * key_centre(
            local.fifths, local.mode
        )
        if context_weight > 0.5:
            centre = (1 - _CONTEXT_WEIGHT) * centre + _CONTEXT_WEIGHT * (context_sum / context_weight)
        pcs = sorted({s.note.pitch % 12 for s in group})
        tpcs = _choose_chord(pcs, centre)
        for s in group:
            tpc = tpcs[s.note.pitch % 12]
            chosen[s.note.id] = tpc
            weight = float(s.duration) or 0.25
            context_sum += tpc * weight
            context_weight += weight
    # Pass 2: horizontal. A chromatic note moving by step is written so that the
    # step is a second (C#–D rising, Db–C falling), read backwards along each voice
    # so that the next note is already final.
    _follow_lines(doc, notes, chosen)
    for s in notes:
        spell_note(s.note, chosen[s.note.id])
    _separate_chord_positions(doc, notes)
    _spell_ties_alike(doc)


def _tied_pairs(doc: ScoreDoc) -> Iterator[tuple[Note, Note]]:
    """(note, its continuation) for every tie, in order along each voice."""
    for part in doc.parts:
        if part.is_drum:
            continue
        voices: dict[tuple[int, int], list[Event]] = defaultdict(list)
        for part_measure in part.measures:
            for voice in part_measure.voices:
                voices[(voice.staff, voice.number)].extend(e for e in voice.events if not e.grace)
        for events in voices.values():
            for event, following in zip(events, events[1:], strict=False):
                for note in event.notes:
                    if note.tie:
                        continuation = next((n for n in following.notes if n.pitch == note.pitch), None)
                        if continuation is not None:
                            yield note, continuation


def _tie_continuations(doc: ScoreDoc) -> set[str]:
    return {continuation.id for _, continuation in _tied_pairs(doc)}


def _spell_ties_alike(doc: ScoreDoc) -> None:
    """A tied note is one note: its continuation keeps the head's spelling (never C# tied to Db)."""
    for note, continuation in _tied_pairs(doc):
        spell_note(continuation, note_tpc(note))


def _follow_lines(doc: ScoreDoc, notes: list[_Sounding], chosen: dict[str, int]) -> None:
    voices: dict[tuple[int, int, int], list[_Sounding]] = defaultdict(list)
    continuations = _tie_continuations(doc)
    for s in notes:
        # A tie's continuation is no new note in the line: the head moves on to what follows it.
        if s.note.id not in continuations:
            voices[s.voice].append(s)
    for line in voices.values():
        # Each note's line continues to the nearest note (within a whole tone) at the
        # voice's next onset: inner voices of chords move by step too.
        groups = [list(group) for _, group in itertools.groupby(line, key=lambda s: s.start)]
        for i in range(len(groups) - 1, -1, -1):
            for s in groups[i]:
                following = _nearest(s, groups[i + 1]) if i + 1 < len(groups) else None
                if following is not None:
                    _respell_for_line(doc, s, following, chosen)


def _nearest(s: _Sounding, group: list[_Sounding]) -> _Sounding | None:
    best = min(group, key=lambda o: abs(o.note.pitch - s.note.pitch))
    return best if 1 <= abs(best.note.pitch - s.note.pitch) <= 2 else None


def _respell_for_line(doc: ScoreDoc, s: _Sounding, following: _Sounding, chosen: dict[str, int]) -> None:
    """A chromatic note moving by step to ``following`` is written so that the step is a second.

    (Choosing by the step into the note instead, sharp when rising, cost 1.5
    points of spelling accuracy on bench/harmony.py: the way out decides.)
    """
    measure = doc.measures[s.measure]
    tpc = chosen[s.note.id]
    if _diatonic(tpc, measure.key_fifths, measure.mode):
        return
    centre = key_centre(measure.key_fifths, measure.mode)
    options = tpc_candidates(s.note.pitch % 12)
    nearest = min(abs(t - centre) for t in options)
    options = tuple(t for t in options if abs(t - centre) <= nearest + _LINE_TOLERANCE)
    if len(options) < 2:
        return
    after = chosen[following.note.id]
    seconds = [t for t in options if _letter_steps(t, after, s.note.pitch, following.note.pitch) == 1]
    if len(seconds) == 1:
        chosen[s.note.id] = seconds[0]


def _letter_steps(tpc_a: int, tpc_b: int, pitch_a: int, pitch_b: int) -> int:
    """How many staff positions apart two spelled notes are."""
    return abs(_staff_position(pitch_b, tpc_b) - _staff_position(pitch_a, tpc_a))


def _staff_position(pitch: int, tpc: int) -> int:
    letter, alter = tpc_letter_alter(tpc)
    octave = (pitch - alter - _LETTER_PC[letter]) // 12 - 1
    return 7 * octave + "CDEFGAB".index(letter)


def _separate_chord_positions(doc: ScoreDoc, notes: list[_Sounding]) -> None:
    """Two heads of one chord on one staff position (G and G#) are rewritten (G and Ab) when a
    spelling not far from the key allows it."""
    by_event: dict[str, list[_Sounding]] = defaultdict(list)
    for s in notes:
        by_event[s.event.id].append(s)
    for group in by_event.values():
        if len(group) < 2:
            continue
        measure = doc.measures[group[0].measure]
        centre = key_centre(measure.key_fifths, measure.mode)
        for _ in range(len(group)):
            positions: dict[int, list[_Sounding]] = defaultdict(list)
            for s in group:
                positions[_staff_position(s.note.pitch, note_tpc(s.note))].append(s)
            clashes = [members for members in positions.values() if len(members) > 1]
            if not clashes:
                break
            taken = set(positions)
            moved = False
            # Move the note farther from the key first.
            for s in sorted(clashes[0], key=lambda s: -abs(note_tpc(s.note) - centre)):
                for tpc in sorted(tpc_candidates(s.note.pitch % 12), key=lambda t: abs(t - centre)):
                    if abs(tpc - centre) > 9:
                        continue
                    if _staff_position(s.note.pitch, tpc) not in taken:
                        spell_note(s.note, tpc)
                        moved = True
                        break
                if moved:
                    break
            if not moved:
                break


def apply_keys(doc: ScoreDoc) -> None:
    """Set each measure's key signature and mode from the notes, then respell every note."""
    keys = detect_keys(doc)
    for measure, key in zip(doc.measures, keys, strict=True):
        measure.key_fifths, measure.mode = key.fifths, key.mode
    respell(doc)


# --- chord symbols --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quality:
    suffix: str  # as printed after the root
    intervals: tuple[int, ...]  # semitones above the root
    tpc_offsets: tuple[int, ...]  # the same intervals on the line of fifths, for spelling a slash bass
    prior: float  # simpler chords win ties


QUALITIES: tuple[Quality, ...] = (
    Quality("", (0, 4, 7), (0, 4, 1), 0.0),
    Quality("m", (0, 3, 7), (0, -3, 1), 0.0),
    # A seventh must be heard clearly (about a fifth of the sound) to be named:
    # a passing note over a triad is not a seventh chord.
    Quality("7", (0, 4, 7, 10), (0, 4, 1, -2), 0.18),
    Quality("maj7", (0, 4, 7, 11), (0, 4, 1, 5), 0.2),
    Quality("m7", (0, 3, 7, 10), (0, -3, 1, -2), 0.2),
    Quality("dim", (0, 3, 6), (0, -3, -6), 0.05),
    Quality("m7b5", (0, 3, 6, 10), (0, -3, -6, -2), 0.2),
    Quality("dim7", (0, 3, 6, 9), (0, -3, -6, -9), 0.15),
    Quality("aug", (0, 4, 8), (0, 4, 8), 0.15),
    Quality("sus4", (0, 5, 7), (0, -1, 1), 0.15),
)

# The chord-template score: weight on chord tones minus this much weight off them,
# minus a penalty for each chord tone missing from the sound.
_OFF_CHORD_COST = 0.8
_MISSING_TONE_COST = 0.35
_ROOT_IN_BASS_BONUS = 0.12
# A chord change costs this much (template score × beats), less on a downbeat,
# where harmony usually moves.
_CHORD_CHANGE_PENALTY = 0.5
_DOWNBEAT_CHANGE_PENALTY = 0.2
# Harmony mostly moves with the bass: over a held bass note a change costs this many times more.
_HELD_BASS_FACTOR = 2.5
_MIN_BEAT_WEIGHT = 1e-6


def _beat_length(measure_time: tuple[int, int]) -> Fraction:
    beats, beat_type = measure_time
    if beat_type == 8 and beats % 3 == 0 and beats > 3:
        return Fraction(3, 2)  # compound metre: the beat is a dotted quarter
    return Fraction(4, beat_type)


@dataclass(slots=True)
class _Beat:
    measure: int
    offset: Fraction
    start: Fraction
    end: Fraction
    weights: np.ndarray  # pitch-class weights (duration sounding in the beat)
    bass_pc: int | None
    bass_struck: bool = False  # the bass note starts in this beat (not held from before)


def _beats(doc: ScoreDoc, notes: list[_Sounding]) -> list[_Beat]:
    starts = doc.measure_starts()
    beats: list[_Beat] = []
    for m, measure in enumerate(doc.measures):
        length = _beat_length(measure.time)
        # A pickup bar's beats are counted back from its end, so they line up with the meter.
        offset = measure.length % length
        if offset:
            beats.append(_Beat(m, Fraction(0), starts[m], starts[m] + offset, np.zeros(12), None))
        while offset < measure.length:
            end = min(offset + length, measure.length)
            beats.append(_Beat(m, offset, starts[m] + offset, starts[m] + end, np.zeros(12), None))
            offset = end
    if not beats:
        return beats
    beat_starts = [b.start for b in beats]
    lowest: list[tuple[int, bool]] = [(999, False)] * len(beats)

    for s in notes:
        end = s.start + (s.duration or Fraction(1, 4))
        i = max(0, bisect.bisect_right(beat_starts, s.start) - 1)
        while i < len(beats) and beats[i].start < end:
            overlap = float(min(end, beats[i].end) - max(s.start, beats[i].start))
            if overlap > 0:
                beats[i].weights[s.note.pitch % 12] += overlap
                # The bass: the lowest note sounding through a good part of the beat.
                share = overlap / float(beats[i].end - beats[i].start)
                if share >= 0.25 and s.note.pitch < lowest[i][0]:
                    lowest[i] = (s.note.pitch, s.start >= beats[i].start)
            i += 1
    for beat, (pitch, struck) in zip(beats, lowest, strict=True):
        beat.bass_pc = pitch % 12 if pitch < 999 else None
        beat.bass_struck = struck
    return beats


_TEMPLATES: np.ndarray | None = None  # (12 × qualities) × 12: 1 on each chord tone


def _template_matrix() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    global _TEMPLATES
    if _TEMPLATES is None:
        rows = []
        for root in range(12):
            for quality in QUALITIES:
                row = np.zeros(12)
                row[[(root + i) % 12 for i in quality.intervals]] = 1
                rows.append(row)
        _TEMPLATES = np.array(rows)
    roots = np.repeat(np.arange(12), len(QUALITIES))
    priors = np.tile([q.prior for q in QUALITIES], 12)
    return _TEMPLATES, roots, priors


def _template_scores(weights: np.ndarray, bass_pc: int | None) -> np.ndarray:
    """Score of each (root, quality) for one stretch: rows root * len(QUALITIES) + quality."""
    templates, roots, priors = _template_matrix()
    total = weights.sum()
    if total < _MIN_BEAT_WEIGHT:
        return np.full(len(roots), -1.0)
    share = weights / total
    absent = (share <= 0.04).astype(float)
    inside = templates @ share
    missing = templates @ absent
    scores = inside - _OFF_CHORD_COST * (1 - inside) - _MISSING_TONE_COST * missing - priors
    scores -= _MISSING_TONE_COST * absent[roots]  # a chord without its root is a weak guess
    if bass_pc is not None:
        scores += _ROOT_IN_BASS_BONUS * (roots == bass_pc)
    return scores


@dataclass(frozen=True, slots=True)
class ChordLabel:
    root_pc: int
    quality: Quality
    bass_pc: int | None  # a chord tone other than the root in the bass, else None


def analyse_chords(doc: ScoreDoc) -> list[tuple[int, Fraction, ChordLabel | None]]:
    """(measure, offset, chord) at each place the harmony changes; None where nothing sounds.

    The bars are cut into segments of whole beats (one beat up to the whole bar)
    and each segment gets the chord whose template best fits everything sounding
    in it, weighted by its length. A new chord costs a penalty, smaller on a
    downbeat, so a melody over one harmony reads as one chord and symbols change
    only where the harmony does.
    """
    notes = _sounding_notes(doc)
    beats = _beats(doc, notes)
    if not beats or not notes:
        return []
    labels = 12 * len(QUALITIES)
    count = len(beats)
    cumulative = np.vstack([np.zeros(12), np.cumsum([b.weights for b in beats], axis=0)])
    silent = np.array([b.weights.sum() < _MIN_BEAT_WEIGHT for b in beats])
    # best[t, label]: the best score of beats [0, t) with the last segment labelled `label`.
    best = np.full((count + 1, labels), -np.inf)
    best[0] = 0.0
    choice: list[dict[int, tuple[int, int]]] = [dict() for _ in range(count + 1)]  # label → (segment start, prev label)
    bar_start = 0
    for t in range(1, count + 1):
        if t == 1 or beats[t - 1].measure != beats[t - 2].measure:
            bar_start = t - 1
        for s in range(bar_start, t):
            seg_scores = _template_scores(cumulative[t] - cumulative[s], beats[s].bass_pc) * (t - s)
            penalty = _DOWNBEAT_CHANGE_PENALTY if beats[s].offset == 0 else _CHORD_CHANGE_PENALTY
            if not beats[s].bass_struck:
                penalty *= _HELD_BASS_FACTOR
            if s > 0 and silent[s - 1]:
                penalty = 0.0
            previous = best[s]
            prev_best = int(np.argmax(previous))
            switch = previous[prev_best] - penalty
            from_same = previous >= switch
            candidate = np.where(from_same, previous, switch) + seg_scores
            better = candidate > best[t]
            for label in np.nonzero(better)[0]:
                choice[t][int(label)] = (s, int(label) if from_same[label] else prev_best)
            best[t] = np.where(better, candidate, best[t])
    # Walk back through the segments.
    segments: list[tuple[int, int, int]] = []  # (start beat, end beat, label)
    t, label = count, int(np.argmax(best[count]))
    while t > 0:
        s, previous_label = choice[t][label]
        segments.append((s, t, label))
        t, label = s, previous_label
    segments.reverse()
    out: list[tuple[int, Fraction, ChordLabel | None]] = []
    previous: ChordLabel | None | str = "start"
    for s, t, state in segments:
        if silent[s:t].all():
            label_here = None
        else:
            root, qi = divmod(state, len(QUALITIES))
            quality = QUALITIES[qi]
            bass = _segment_bass(beats[s:t])
            tones = [(root + i) % 12 for i in quality.intervals]
            slash = bass if bass is not None and bass != root and bass in tones else None
            label_here = ChordLabel(root, quality, slash)
        if label_here != previous:
            out.append((beats[s].measure, beats[s].offset, label_here))
            previous = label_here
    return out


def _segment_bass(beats: list[_Beat]) -> int | None:
    # The bass of the chord's first beat: what is heard as the chord arrives.
    return beats[0].bass_pc


def chord_symbol_text(label: ChordLabel, fifths: int, mode: str, written: dict[int, int] | None = None) -> str:
    """"Eb", "C#m7", "G7/B": the root spelled as the notes in the bar write it (``written``: pitch
    class → tpc), else as close to the key as it goes, with fewer accidentals breaking a tie."""
    centre = key_centre(fifths, mode)
    if written and label.root_pc in written:
        root_tpc = written[label.root_pc]
    else:
        root_tpc = min(tpc_candidates(label.root_pc), key=lambda t: (abs(t - centre), abs(tpc_letter_alter(t)[1])))
    text = tpc_name(root_tpc) + label.quality.suffix
    if label.bass_pc is not None:
        interval = (label.bass_pc - label.root_pc) % 12
        offset = label.quality.tpc_offsets[label.quality.intervals.index(interval)]
        text += "/" + tpc_name(root_tpc + offset)
    return text


def add_chord_symbols(doc: ScoreDoc) -> None:
    """Chord symbols above the staff wherever the harmony of all parts changes (at most per beat)."""
    for measure in doc.measures:
        measure.chords = []
    written: dict[int, dict[int, Counter]] = defaultdict(lambda: defaultdict(Counter))  # measure → pc → tpcs
    for s in _sounding_notes(doc):
        written[s.measure][s.note.pitch % 12][note_tpc(s.note)] += 1
    for m, offset, label in analyse_chords(doc):
        if label is None:
            continue
        measure = doc.measures[m]
        in_bar = {pc: tpcs.most_common(1)[0][0] for pc, tpcs in written[m].items()}
        measure.chords.append(ChordSymbol(offset, chord_symbol_text(label, measure.key_fifths, measure.mode, in_bar)))


def iter_chord_spans(doc: ScoreDoc) -> Iterator[tuple[int, Fraction, Fraction, str]]:
    """(measure, offset, end offset, symbol) for each chord symbol, held until the next one or the
    bar's end: a chord is restated per bar for whoever needs one per bar (the simplified left hand)."""
    current: str | None = None
    for m, measure in enumerate(doc.measures):
        marks = sorted(measure.chords, key=lambda c: c.offset)
        points: list[tuple[Fraction, str | None]] = []
        if current is not None and (not marks or marks[0].offset > 0):
            points.append((Fraction(0), current))
        points += [(c.offset, c.symbol) for c in marks]
        for i, (offset, symbol) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else measure.length
            if symbol is not None and end > offset:
                yield m, offset, end, symbol
        if points:
            current = points[-1][1]


def parse_chord_symbol(text: str) -> tuple[int, Quality, int | None]:
    """"Bbm7/Db" → (root tpc, quality, bass tpc or None): the inverse of ``chord_symbol_text``."""
    body, _, bass_text = text.partition("/")
    root_end = 1
    while root_end < len(body) and body[root_end] in "#b":
        root_end += 1
    suffix = body[root_end:]
    quality = next((q for q in QUALITIES if q.suffix == suffix), QUALITIES[0])
    return _tpc_of_name(body[:root_end]), quality, (_tpc_of_name(bass_text) if bass_text else None)


def _tpc_of_name(name: str) -> int:
    return _NATURAL_TPC[name[0]] + 7 * (name.count("#") - name.count("b"))
