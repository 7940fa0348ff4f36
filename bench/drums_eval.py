"""Onset F1 of the drum transcriber per drum class, on rendered General MIDI grooves.

    .venv/bin/python -m bench.drums_eval                # every set whose soundfonts are installed
    .venv/bin/python -m bench.drums_eval --sets fluidr3 # one set

Material: six grooves at different tempi (rock, funk with ghost notes and open
hi-hats, shuffle on the ride with pedal hi-hat, fills down the toms with crashes,
disco with open hi-hat off-beats, a slow ride groove with crashes), humanised
(+-6 ms timing, +-6 velocity, seeded), rendered with fluidsynth through:

- ``train``: TimGM6mb and the csound GM bank, 7 kits each: the soundfonts the
  templates were learned from; the decision thresholds were tuned here.
- ``fluidr3``: FluidR3_GM, 5 kits (standard, room, power, jazz, brush): never seen
  in training; the main test.
- ``avl``: the AVL Black Pearl and Red Zeppelin multi-sampled acoustic kits:
  never seen, the most realistic sound.
- ``synth``: ``tests/drum_synth.py``'s analogue-style kit (no soundfont needed).

Debian packages: fluidsynth fluid-soundfont-gm timgm6mb-soundfont
csound-soundfont avldrums.lv2-soundfont.

A hit is found when an estimated note of the same class lies within 50 ms
(mir_eval's onset matching, one to one). Counts are pooled over all files of a
set before F1 is taken. Classes: kick, snare, hi-hat (closed, pedal and open
together; also split), toms (any tom; "toms by key" also asks for the right
low/mid/high key), crash, ride. "all hits" pools every class. RTF is
transcription time over audio duration. The velocity rank correlation (Spearman)
compares played and transcribed velocities of the kick, snare and hi-hat hits found.
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import mir_eval
import numpy as np
import scipy.stats

from ml.drums import constants as c
from ml.drums import events
from ml.drums import fluidsynth as fs
from ml.models import drums
from ml.notes import Note

ONSET_TOLERANCE = 0.05  # seconds, mir_eval's customary value
SAMPLE_RATE = drums.SAMPLE_RATE
_HUMANISE_SECONDS = 0.006
_HUMANISE_VELOCITY = 6.0

K, S, HHC, HHO, HHP = 36, 38, 42, 46, 44
TL, TM, TH, CR, RD = 45, 47, 50, 49, 51


# --- Grooves: (beat position, GM key, velocity) per bar of 4/4 ---------------------------
def _bars(pattern: list[tuple[float, int, int]], bars: int) -> list[tuple[float, int, int]]:
    return [(bar * 4 + at, key, velocity) for bar in range(bars) for at, key, velocity in pattern]


def _without(rows: list[tuple[float, int, int]], *, keys: tuple[int, ...], beats: tuple[float, ...]):
    return [row for row in rows if not (row[1] in keys and row[0] in beats)]


def rock() -> list[tuple[float, int, int]]:
    pattern = [(i / 2, HHC, 90 if i % 2 == 0 else 70) for i in range(8)]
    pattern += [(0, K, 110), (2, K, 105), (2.5, K, 90), (1, S, 110), (3, S, 112)]
    return _without(_bars(pattern, 8), keys=(HHC,), beats=(0, 16)) + [(0, CR, 115), (16, CR, 115)]


def funk() -> list[tuple[float, int, int]]:
    accents = [95 if i % 4 == 0 else (75 if i % 2 == 0 else 55) for i in range(16)]
    pattern = [(i / 4, HHO if i in (6, 14) else HHC, accents[i]) for i in range(16)]
    pattern += [(0, K, 110), (0.75, K, 95), (2.5, K, 105), (3.25, K, 90)]
    pattern += [(1, S, 115), (3, S, 115), (1.75, S, 35), (2.25, S, 30), (3.75, S, 38)]  # ghost notes
    return _bars(pattern, 8)


def shuffle() -> list[tuple[float, int, int]]:
    pattern = [row for beat in range(4) for row in ((beat, RD, 95), (beat + 2 / 3, RD, 70))]
    pattern += [(0, K, 105), (2, K, 100), (2 + 2 / 3, K, 80), (1, S, 110), (3, S, 110), (1, HHP, 70), (3, HHP, 70)]
    return _bars(pattern, 8)


def fills() -> list[tuple[float, int, int]]:
    groove = [(i / 2, HHC, 85 if i % 2 == 0 else 65) for i in range(8)]
    groove += [(0, K, 110), (2, K, 105), (1, S, 110), (3, S, 110)]
    fill = [(0, S, 100), (0.25, S, 90), (0.5, TH, 100), (0.75, TH, 95), (1, TH, 100), (1.25, TM, 100), (1.5, TM, 95),
            (1.75, TM, 100), (2, TL, 105), (2.25, TL, 100), (2.5, TL, 105), (2.75, TL, 100), (3, S, 110),
            (3.25, TH, 95), (3.5, TM, 95), (3.75, TL, 100), (0, K, 100), (2, K, 100)]
    rows = [
        (bar * 4 + at, key, velocity) for bar in range(8) for at, key, velocity in (fill if bar % 4 == 3 else groove)
    ]
    return _without(rows, keys=(HHC,), beats=(0, 16)) + [(0, CR, 115), (16, CR, 118)]


def disco() -> list[tuple[float, int, int]]:
    pattern = [(b, K, 110) for b in range(4)] + [(1, S, 110), (3, S, 110)]
    pattern += [(b + 0.5, HHO, 85) for b in range(4)] + [(b, HHC, 70) for b in range(4)]
    return _bars(pattern, 8)


def ride_and_crash() -> list[tuple[float, int, int]]:
    pattern = [(i / 2, RD, 90 if i % 2 == 0 else 70) for i in range(8)]
    pattern += [(0, K, 110), (1.5, K, 95), (2, S, 112), (3.5, K, 90)]
    rows = _without(_bars(pattern, 8), keys=(RD,), beats=(0, 8, 16, 24))
    return rows + [(at, CR, 112) for at in (0, 8, 16, 24)]


GROOVES: dict[str, tuple[Callable[[], list[tuple[float, int, int]]], float]] = {
    "rock": (rock, 100.0),
    "funk": (funk, 92.0),
    "shuffle": (shuffle, 126.0),
    "fills": (fills, 110.0),
    "disco": (disco, 160.0),
    "ride+crash": (ride_and_crash, 76.0),
}


def groove_hits(name: str, *, seed: int) -> list[fs.Hit]:
    """The groove's hits in seconds, humanised with a seeded generator."""
    pattern, bpm = GROOVES[name]
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    hits = [
        fs.Hit(
            time=max(0.0, 0.5 + at * beat + rng.normal(0.0, _HUMANISE_SECONDS)),
            pitch=key,
            velocity=int(np.clip(round(velocity + rng.normal(0.0, _HUMANISE_VELOCITY)), 1, 127)),
        )
        for at, key, velocity in pattern()
    ]
    return sorted(hits, key=lambda h: (h.time, h.pitch))


# --- Material sets -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Piece:
    label: str
    hits: list[fs.Hit]
    audio: np.ndarray


@dataclass(frozen=True, slots=True)
class MaterialSet:
    name: str
    available: Callable[[], bool]
    pieces: Callable[[], Iterator[Piece]]


def _soundfont_pieces(
    soundfont: os.PathLike[str], kits: dict[str, int], *, percussion_channel: bool = True
) -> Iterator[Piece]:
    for kit_index, (kit_name, program) in enumerate(kits.items()):
        for groove_index, name in enumerate(GROOVES):
            hits = groove_hits(name, seed=100 * kit_index + groove_index)
            audio = fs.render(hits, soundfont=soundfont, kit=program, percussion_channel=percussion_channel)
            yield Piece(label=f"{kit_name}/{name}", hits=hits, audio=audio)


_TRAIN_KITS = {name: program for name, program in fs.GM_KITS.items()}
_FLUIDR3_KITS = {name: fs.GM_KITS[name] for name in ("standard", "room", "power", "jazz", "brush")}


def _train_pieces() -> Iterator[Piece]:
    for soundfont in (fs.TIMGM6MB, fs.CSOUND_GM):
        for piece in _soundfont_pieces(soundfont, _TRAIN_KITS):
            yield replace(piece, label=f"{soundfont.stem}:{piece.label}")


def _avl_pieces() -> Iterator[Piece]:
    for soundfont in (fs.AVL_BLACK_PEARL, fs.AVL_RED_ZEPPELIN):
        for piece in _soundfont_pieces(soundfont, {soundfont.stem: 0}, percussion_channel=False):
            yield piece


def _synth_pieces() -> Iterator[Piece]:
    from tests import drum_synth

    for index, name in enumerate(GROOVES):
        hits = groove_hits(name, seed=1000 + index)
        notes = [Note(pitch=h.pitch, onset=h.time, offset=h.time + 0.1, velocity=h.velocity) for h in hits]
        yield Piece(label=f"synth/{name}", hits=hits, audio=drum_synth.render(notes, seed=index))


SETS: dict[str, MaterialSet] = {
    "train": MaterialSet("train", lambda: fs.available(fs.TIMGM6MB) and fs.available(fs.CSOUND_GM), _train_pieces),
    "fluidr3": MaterialSet(
        "fluidr3", lambda: fs.available(fs.FLUIDR3_GM), lambda: _soundfont_pieces(fs.FLUIDR3_GM, _FLUIDR3_KITS)
    ),
    "avl": MaterialSet(
        "avl", lambda: fs.available(fs.AVL_BLACK_PEARL) and fs.available(fs.AVL_RED_ZEPPELIN), _avl_pieces
    ),
    "synth": MaterialSet("synth", lambda: True, _synth_pieces),
}


# --- Scoring -------------------------------------------------------------------------------
def _tom_key(pitch: int) -> int:
    """The output key a played GM tom should come out as (floor and low toms are all "low")."""
    low, mid, high = c.GM_TOM_LOW, c.GM_TOM_MID, c.GM_TOM_HIGH
    return {41: low, 43: low, 45: low, 47: mid, 48: high, 50: high}[pitch]


# Score classes: which reference GM keys and which estimated keys count as one class.
SCORE_CLASSES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "kick": ((35, 36), (c.GM_KICK,)),
    "snare": ((38, 40), (c.GM_SNARE,)),
    "hi-hat": ((42, 44, 46), (c.GM_HIHAT_CLOSED, c.GM_HIHAT_OPEN)),
    "toms": ((41, 43, 45, 47, 48, 50), (c.GM_TOM_LOW, c.GM_TOM_MID, c.GM_TOM_HIGH)),
    "crash": ((49, 57), (c.GM_CRASH,)),
    "ride": ((51, 59), (c.GM_RIDE,)),
}
DETAIL_CLASSES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "hi-hat closed": ((42, 44), (c.GM_HIHAT_CLOSED,)),
    "hi-hat open": ((46,), (c.GM_HIHAT_OPEN,)),
    "hi-hat or ride": ((42, 44, 46, 51, 59), (c.GM_HIHAT_CLOSED, c.GM_HIHAT_OPEN, c.GM_RIDE)),
}


@dataclass
class Counts:
    matched: int = 0
    reference: int = 0
    estimated: int = 0

    def add(self, other: "Counts") -> None:
        self.matched += other.matched
        self.reference += other.reference
        self.estimated += other.estimated

    @property
    def f1(self) -> float:
        total = self.reference + self.estimated
        return 2 * self.matched / total if total else float("nan")

    @property
    def precision(self) -> float:
        return self.matched / self.estimated if self.estimated else float("nan")

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else float("nan")


def _match(reference: list[float], estimate: list[float]) -> Counts:
    if not reference or not estimate:
        return Counts(0, len(reference), len(estimate))
    # Distinct times only: two keys of one class struck together (pedal hi-hat with
    # the ride's neighbour...) are one event for a class-level score.
    ref = np.unique(np.round(reference, 4))
    est = np.unique(np.round(estimate, 4))
    return Counts(len(mir_eval.util.match_events(ref, est, ONSET_TOLERANCE)), ref.size, est.size)


def velocity_pairs(hits: list[fs.Hit], notes: list[Note]) -> list[tuple[int, int]]:
    """(played, transcribed) velocity of each matched kick, snare and hi-hat hit."""
    pairs = []
    for name in ("kick", "snare", "hi-hat"):
        ref_keys, est_keys = SCORE_CLASSES[name]
        ref = [h for h in hits if h.pitch in ref_keys]
        est = [n for n in notes if n.pitch in est_keys]
        if ref and est:
            matches = mir_eval.util.match_events(
                np.array([h.time for h in ref]), np.array([n.onset for n in est]), ONSET_TOLERANCE
            )
            pairs += [(ref[i].velocity, est[j].velocity) for i, j in matches]
    return pairs


def score(hits: list[fs.Hit], notes: list[Note]) -> dict[str, Counts]:
    """Per score class (and detail class) counts for one piece."""
    out: dict[str, Counts] = {}
    for name, (ref_keys, est_keys) in {**SCORE_CLASSES, **DETAIL_CLASSES}.items():
        out[name] = _match(
            [h.time for h in hits if h.pitch in ref_keys], [n.onset for n in notes if n.pitch in est_keys]
        )
    keyed = Counts()
    for key in (c.GM_TOM_LOW, c.GM_TOM_MID, c.GM_TOM_HIGH):
        ref = [h.time for h in hits if h.pitch in SCORE_CLASSES["toms"][0] and _tom_key(h.pitch) == key]
        keyed.add(_match(ref, [n.onset for n in notes if n.pitch == key]))
    out["toms by key"] = keyed
    pooled = Counts()
    for name in SCORE_CLASSES:
        pooled.add(out[name])
    out["all hits"] = pooled
    return out


@dataclass
class SetResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    velocities: list[tuple[int, int]] = field(default_factory=list)
    seconds_audio: float = 0.0
    seconds_transcribing: float = 0.0

    def add(self, piece_counts: dict[str, Counts]) -> None:
        for name, counts in piece_counts.items():
            self.counts.setdefault(name, Counts()).add(counts)


def evaluate_set(
    material: MaterialSet, *, variants: dict[str, events.Settings] | None = None
) -> dict[str, SetResult]:
    """Scores per settings variant; each piece is analysed once and decided per variant."""
    variants = variants or {"shipped": events.Settings()}
    results = {name: SetResult() for name in variants}
    for piece in material.pieces():
        for name, settings in variants.items():
            began = time.perf_counter()
            notes = drums.transcribe(piece.audio, sample_rate=SAMPLE_RATE, settings=settings).notes
            results[name].seconds_transcribing += time.perf_counter() - began
            results[name].seconds_audio += piece.audio.size / SAMPLE_RATE
            results[name].add(score(piece.hits, notes))
            results[name].velocities += velocity_pairs(piece.hits, notes)
    return results


_TUNE_OBJECTIVE = ("kick", "snare", "hi-hat or ride", "toms", "crash")
_TUNE_STEPS = (0.5, 0.7, 1.4, 2.0)  # factors tried on each threshold in turn


def tune(material: MaterialSet, *, start: events.Settings, rounds: int = 2) -> events.Settings:
    """Coordinate search over the decision thresholds, maximising the mean F1 of
    ``_TUNE_OBJECTIVE`` on ``material``. Each piece is analysed once."""
    from ml.drums import templates

    shipped = templates.load()
    analysed = []
    for piece in material.pieces():
        samples = piece.audio / max(float(np.abs(piece.audio).max()), 1e-9)
        analysed.append((piece, samples, drums.analyse(samples, patches=shipped.patches)))

    def objective(settings: events.Settings) -> float:
        result = SetResult()
        for piece, samples, analysis in analysed:
            result.add(score(piece.hits, drums.notes_from_analysis(analysis, samples, settings=settings)))
        return float(np.mean([result.counts[name].f1 for name in _TUNE_OBJECTIVE]))

    best, best_value = start, objective(start)
    print(f"start: {best_value:.4f}")
    for _ in range(rounds):
        for key in [*start.thresholds, "min_support"]:
            for factor in _TUNE_STEPS:
                if key == "min_support":
                    candidate = replace(best, **{key: min(getattr(best, key) * factor, 0.95)})
                else:
                    candidate = replace(best, thresholds={**best.thresholds, key: best.thresholds[key] * factor})
                value = objective(candidate)
                if value > best_value + 1e-4:
                    best, best_value = candidate, value
                    print(f"{key} x{factor}: {best_value:.4f}  {best.thresholds} support {best.min_support:.2f}")
    return best


def print_table(title: str, results: dict[str, SetResult]) -> None:
    rows = [*SCORE_CLASSES, "all hits", *DETAIL_CLASSES, "toms by key"]
    print(title)
    print(f"  {'F1 (P/R)':<16}" + "".join(f"{name:>22}" for name in results))
    for row in rows:
        cells = []
        for result in results.values():
            counts = result.counts.get(row, Counts())
            cells.append(f"{counts.f1:.3f} ({counts.precision:.2f}/{counts.recall:.2f})" if counts.reference else "-")
        print(f"  {row:<16}" + "".join(f"{cell:>22}" for cell in cells))
    for name, result in results.items():
        rtf = result.seconds_transcribing / result.seconds_audio if result.seconds_audio else float("nan")
        played, transcribed = np.array(result.velocities).reshape(-1, 2).T
        rho = scipy.stats.spearmanr(played, transcribed).statistic if played.size > 2 else float("nan")
        print(f"  [{name}] {result.seconds_audio:.0f} s of audio, RTF {rtf:.4f}, "
              f"velocity rank correlation {rho:.2f} (kick, snare, hi-hat hits found)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--tune", action="store_true", help="search the decision thresholds on the train set")
    args = parser.parse_args()
    if args.tune:
        print(tune(SETS["train"], start=events.Settings()))
        return
    for name in args.sets.split(","):
        material = SETS[name]
        if not material.available():
            print(f"{name}: skipped, soundfonts or fluidsynth not installed")
            continue
        print_table(f"{name}:", evaluate_set(material))


if __name__ == "__main__":
    main()
