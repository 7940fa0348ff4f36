"""Audio of the benchmark's pieces with FluidSynth and a General MIDI soundfont.

    .venv/bin/python -m bench.render [--suite piano|ensemble] [--pieces N] [--seconds 30]

Two kinds of render, cached under ``var/bench/renders/`` (delete it to re-render):

- **piano**: every part of the score on one acoustic grand (program 0).
- **ensemble**: each role (``bench.corpus.PITCHED_ROLES``) rendered alone on its
  General MIDI program, a drum groove rendered alone, and the mixture as the
  sum of those stems, so the stems are exactly the mixture's sources (what
  separation metrics need). The stems keep the level they have in the mixture.

The reference notes are read back from the MIDI file FluidSynth plays, so the
truth is what sounds, to the MIDI tick. Reverb and chorus are off: the audio
is clean, and FluidSynth then renders the same samples on every run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from bench.corpus import BASS, DRUMS, ENSEMBLE_PIECES, GUITAR, OTHER, PIANO_PIECES, VOCALS, Piece, score_midi, select
from ml.constants import MIN_NOTE_SECONDS, TRANSKUN_SAMPLE_RATE
from ml.midi import read_midi, write_midi
from ml.notes import Note, Track, Transcription

RENDER_VERSION = 2  # bump when anything below changes what a render sounds like
SAMPLE_RATE = TRANSKUN_SAMPLE_RATE  # Transkun's rate; basic-pitch resamples to its own
TAIL_SECONDS = 1.0  # audio kept after the last note-off, for the release
PEAK = 0.9  # every render (a mixture with its stems) is scaled to this peak
FLUIDSYNTH_GAIN = 0.5  # FluidSynth's master gain; output is float, so it cannot clip

# Two notes of one pitch whose onsets are this close are a doubling (two parts
# in unison), which one instrument plays as one note.
UNISON_SECONDS = 0.05

PIANO_PROGRAM = 0  # acoustic grand
# General MIDI programs (0-based) per role: the programs ml.models.basic_pitch
# gives those tracks, except "other", where an electric piano stands for the
# keyboards that end up in a separated "other" stem. Not the drawbar organ:
# FluidR3's sounds its 16' drawbar, an octave below the written note, so the
# truth itself is ambiguous (measured: half of basic-pitch's notes on it were
# one or two octaves down).
ROLE_PROGRAMS = {VOCALS: 53, OTHER: 4, GUITAR: 25, BASS: 33}  # voice oohs, electric piano, steel guitar, finger bass
ROLE_NAMES = {VOCALS: "Vocals", OTHER: "Other", GUITAR: "Guitar", BASS: "Bass", DRUMS: "Drums"}
KICK, SNARE, CLOSED_HI_HAT = 36, 38, 42  # General MIDI percussion keys

SOUNDFONT_ENV = "RESCORED_SOUNDFONT"
SOUNDFONT_CANDIDATES = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),  # Debian fluid-soundfont-gm
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),  # Fedora, Arch
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
)
SETUP_HINT = "run bench/setup.sh (installs fluidsynth and fluid-soundfont-gm)"

DEFAULT_CACHE = Path("var/bench")


class RenderError(RuntimeError):
    pass


@dataclass(slots=True)
class Rendition:
    audio: Path  # float WAV at SAMPLE_RATE, stereo
    reference: Track  # the notes that sound in it
    seconds: float  # audio duration
    render_seconds: float | None = None  # wall time to make it; None when it came from the cache


@dataclass(slots=True)
class Ensemble:
    mix: Rendition  # reference: all pitched notes in one track (drums are in stems only)
    stems: dict[str, Rendition]  # role -> stem, drums included


# --- Notes ----------------------------------------------------------------------------

def truncate(notes: list[Note], *, seconds: float) -> list[Note]:
    """Notes that start before ``seconds``, released at ``seconds`` at the latest."""
    return [
        Note(n.pitch, n.onset, min(n.offset, seconds), n.velocity)
        for n in notes
        if n.onset < seconds and min(n.offset, seconds) - n.onset >= MIN_NOTE_SECONDS
    ]


def playable(notes: list[Note]) -> list[Note]:
    """The notes one instrument on one MIDI channel really plays.

    A channel sounds a pitch once: parts doubling a pitch (onsets within
    UNISON_SECONDS) become one note lasting as long as the longer, and a pitch
    struck again while it still sounds ends where the new note starts.
    """
    by_pitch: dict[int, list[Note]] = {}
    for note in sorted(notes, key=lambda n: (n.pitch, n.onset, -n.offset)):
        run = by_pitch.setdefault(note.pitch, [])
        if run and note.onset - run[-1].onset < UNISON_SECONDS:
            last = run[-1]
            run[-1] = Note(last.pitch, last.onset, max(last.offset, note.offset), max(last.velocity, note.velocity))
        elif run and note.onset < run[-1].offset:
            last = run[-1]
            run[-1] = Note(last.pitch, last.onset, note.onset, last.velocity)
            run.append(note)
        else:
            run.append(note)
    kept = [n for run in by_pitch.values() for n in run if n.duration >= MIN_NOTE_SECONDS]
    return sorted(kept, key=lambda n: (n.onset, n.pitch, n.offset))


def drum_groove(*, tempo_bpm: float, seconds: float) -> list[Note]:
    """A rock beat at the piece's tempo: kick on 1 and 3, snare on 2 and 4, hi-hat eighths."""
    beat = 60.0 / tempo_bpm
    notes = []
    for eighth in range(int(seconds / (beat / 2))):
        onset = eighth * beat / 2
        notes.append(Note(CLOSED_HI_HAT, onset, onset + 0.05, 70 if eighth % 2 else 90))
        if eighth % 2 == 0:
            key = KICK if (eighth // 2) % 2 == 0 else SNARE
            notes.append(Note(key, onset, onset + 0.1, 100))
    return notes


# --- Rendering ------------------------------------------------------------------------

def soundfont() -> Path:
    """The General MIDI soundfont: $RESCORED_SOUNDFONT, else the first one installed."""
    if os.environ.get(SOUNDFONT_ENV):
        path = Path(os.environ[SOUNDFONT_ENV])
        if not path.is_file():
            raise RenderError(f"{SOUNDFONT_ENV}={path} is not a file")
        return path
    for path in SOUNDFONT_CANDIDATES:
        if path.is_file():
            return path.resolve()
    raise RenderError(f"no General MIDI soundfont found: {SETUP_HINT}")


def cannot_render() -> str | None:
    """Why this machine cannot render (no soundfont, no fluidsynth), or None when it can."""
    try:
        soundfont()
    except RenderError as error:
        return str(error)
    if shutil.which("fluidsynth") is None:
        return f"fluidsynth is not installed: {SETUP_HINT}"
    return None


def render_midi(midi_path: Path, *, soundfont_path: Path, seconds: float) -> np.ndarray:
    """FluidSynth's rendering of a MIDI file, (samples, 2) float32, exactly ``seconds`` long."""
    fluidsynth = shutil.which("fluidsynth")
    if fluidsynth is None:
        raise RenderError(f"fluidsynth is not installed: {SETUP_HINT}")
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "out.wav"
        command = [
            fluidsynth, "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", str(FLUIDSYNTH_GAIN),
            "-r", str(SAMPLE_RATE), "-T", "wav", "-O", "float", "-F", str(wav),
            str(soundfont_path), str(midi_path),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not wav.exists():
            raise RenderError(f"fluidsynth failed on {midi_path}: {result.stderr.strip()[-500:]}")
        audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise RenderError(f"fluidsynth wrote {rate} Hz, asked for {SAMPLE_RATE}")
    n_samples = round(seconds * SAMPLE_RATE)
    return np.pad(audio, ((0, max(0, n_samples - len(audio))), (0, 0)))[:n_samples]


def _render_track(track: Track, directory: Path, *, soundfont_path: Path, seconds: float) -> tuple[Track, np.ndarray]:
    """Write ``track`` to MIDI, render it, and read back the notes as the MIDI file holds them."""
    midi_path = directory / f"{track.instrument}.mid"
    write_midi(Transcription(tracks=[track], duration=seconds), midi_path)
    sounding = read_midi(midi_path).tracks  # pretty_midi drops a track without notes
    reference = Track(track.name, track.instrument, track.program, track.is_drum, sounding[0].notes if sounding else [])
    return reference, render_midi(midi_path, soundfont_path=soundfont_path, seconds=seconds)


def _audio_seconds(notes: list[Note], *, seconds: float) -> float:
    return min(max((n.offset for n in notes), default=0.0), seconds) + TAIL_SECONDS


def _cache_dir(cache_dir: Path, kind: str, piece: Piece, *, seconds: float, soundfont_path: Path) -> Path:
    return cache_dir / "renders" / f"v{RENDER_VERSION}-{soundfont_path.stem}-{seconds:g}s" / kind / piece.key


def _write_audio(path: Path, audio: np.ndarray) -> None:
    soundfile.write(path, audio, SAMPLE_RATE, subtype="FLOAT")


def _load_reference(path: Path) -> dict[str, Track]:
    transcription = Transcription.from_dict(json.loads(path.read_text()))
    return {track.instrument: track for track in transcription.tracks}


def _save_reference(path: Path, tracks: list[Track], *, seconds: float) -> None:
    path.write_text(json.dumps(Transcription(tracks=tracks, duration=seconds).to_dict()))


def render_piano(piece: Piece, *, seconds: float, cache_dir: Path = DEFAULT_CACHE) -> Rendition:
    """The first ``seconds`` of ``piece`` with every part on the piano."""
    sf2 = soundfont()
    directory = _cache_dir(cache_dir, "piano", piece, seconds=seconds, soundfont_path=sf2)
    audio_path, reference_path = directory / "piano.wav", directory / "reference.json"
    if audio_path.exists() and reference_path.exists():
        return Rendition(audio_path, _load_reference(reference_path)["piano"], soundfile.info(audio_path).duration)

    began = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    parts = score_midi(piece, cache_dir=cache_dir).parts
    notes = playable(truncate([n for part in parts for n in part], seconds=seconds))
    duration = _audio_seconds(notes, seconds=seconds)
    track = Track(name="Piano", instrument="piano", program=PIANO_PROGRAM, notes=notes)
    reference, audio = _render_track(track, directory, soundfont_path=sf2, seconds=duration)
    _write_audio(audio_path, _scaled(audio))
    _save_reference(reference_path, [reference], seconds=duration)
    return Rendition(audio_path, reference, duration, render_seconds=time.perf_counter() - began)


def render_ensemble(piece: Piece, *, seconds: float, cache_dir: Path = DEFAULT_CACHE) -> Ensemble:
    """Stems per role of ``piece`` and their mixture, with a drum groove."""
    if not piece.roles:
        raise ValueError(f"{piece.key} has no roles: it is not an ensemble piece")
    sf2 = soundfont()
    directory = _cache_dir(cache_dir, "ensemble", piece, seconds=seconds, soundfont_path=sf2)
    mix_path, reference_path = directory / "mix.wav", directory / "reference.json"
    if mix_path.exists() and reference_path.exists():
        references = _load_reference(reference_path)
        duration = soundfile.info(mix_path).duration
        stems = {role: Rendition(directory / f"{role}.wav", track, duration) for role, track in references.items()}
        return Ensemble(mix=Rendition(mix_path, _mix_reference(stems), duration), stems=stems)

    began = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    score = score_midi(piece, cache_dir=cache_dir)
    tracks = []
    for role in dict.fromkeys(piece.roles):  # each role once, in score order
        notes = [n for part, part_role in zip(score.parts, piece.roles) if part_role == role for n in part]
        notes = playable(truncate(notes, seconds=seconds))
        tracks.append(Track(ROLE_NAMES[role], role, ROLE_PROGRAMS[role], notes=notes))
    duration = _audio_seconds([n for t in tracks for n in t.notes], seconds=seconds)
    groove = drum_groove(tempo_bpm=score.tempo_bpm, seconds=duration - TAIL_SECONDS)
    tracks.append(Track(ROLE_NAMES[DRUMS], DRUMS, 0, is_drum=True, notes=groove))

    references, audios = [], []
    for track in tracks:
        reference, audio = _render_track(track, directory, soundfont_path=sf2, seconds=duration)
        references.append(reference)
        audios.append(audio)
    mix = np.sum(audios, axis=0)
    gain = _gain(mix)
    _write_audio(mix_path, mix * gain)
    stems = {}
    for reference, audio in zip(references, audios):
        _write_audio(directory / f"{reference.instrument}.wav", audio * gain)
        stems[reference.instrument] = Rendition(directory / f"{reference.instrument}.wav", reference, duration)
    _save_reference(reference_path, references, seconds=duration)
    elapsed = time.perf_counter() - began
    return Ensemble(mix=Rendition(mix_path, _mix_reference(stems), duration, render_seconds=elapsed), stems=stems)


def _mix_reference(stems: dict[str, Rendition]) -> Track:
    notes = sorted((n for s in stems.values() if not s.reference.is_drum for n in s.reference.notes),
                   key=lambda n: (n.onset, n.pitch, n.offset))
    return Track(name="Mix", instrument="mix", program=0, notes=notes)


def _gain(audio: np.ndarray) -> float:
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    return PEAK / peak if peak > 0 else 1.0


def _scaled(audio: np.ndarray) -> np.ndarray:
    return (audio * _gain(audio)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description="Render the benchmark's pieces to audio (cached).")
    parser.add_argument("--suite", choices=("piano", "ensemble"), default="piano")
    parser.add_argument("--pieces", type=int, default=None, help="the first N pieces of the fixed list (default all)")
    parser.add_argument("--seconds", type=float, default=30.0, help="truncate pieces to this many seconds")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()

    began = time.perf_counter()
    if args.suite == "piano":
        for piece in select(PIANO_PIECES, args.pieces):
            rendition = render_piano(piece, seconds=args.seconds, cache_dir=args.cache)
            notes = len(rendition.reference.notes)
            print(f"{piece.key:<28} {rendition.seconds:5.1f} s  {notes:4} notes  {rendition.audio}")
    else:
        for piece in select(ENSEMBLE_PIECES, args.pieces):
            ensemble = render_ensemble(piece, seconds=args.seconds, cache_dir=args.cache)
            counts = ", ".join(f"{role} {len(stem.reference.notes)}" for role, stem in ensemble.stems.items())
            print(f"{piece.key:<28} {ensemble.mix.seconds:5.1f} s  {counts}  {ensemble.mix.audio}")
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
