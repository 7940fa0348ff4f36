"""Per-note samples for the browser's synth (abcjs), rendered from a General MIDI
SoundFont at install time, so playback never needs a CDN.

abcjs fetches ``<soundFontUrl><instrument>-mp3/<note>.mp3`` for every pitch a
tune uses (see node_modules/abcjs/src/synth/load-note.js): ``instrument`` is its
General MIDI name (instrument-index-to-name.js, 128 meaning the drum kit) and
``note`` a flat-spelled name with C4 = MIDI 60 (pitch-to-note-name.js). This
module writes exactly that layout from pretty_midi's bundled TimGM6mb.sf2 with
TinySoundFont (a self-contained wheel) and encodes MP3 with libsndfile.
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 44100
FORMAT_VERSION = 1  # bump when the rendering changes, so installed samples are redone
MANIFEST = "manifest.json"
DRUM_KIT = 128  # abcjs's instrument number for the General MIDI percussion channel
PEAK = 0.5  # the loudest note of an instrument; leaves headroom when abcjs mixes chords
SILENCE = 10 ** (-60 / 20)  # the tail is cut once the release falls below -60 dB
NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One General MIDI program, with abcjs's name for it and the pitches worth rendering."""

    program: int  # 0-based General MIDI program, or DRUM_KIT
    name: str  # abcjs's name (instrument-index-to-name.js)
    low: int  # MIDI pitch range to render, inclusive
    high: int
    hold_seconds: float  # the longest note a sample can sound; abcjs fades it at the note's end

    @property
    def is_drum(self) -> bool:
        return self.program == DRUM_KIT


# The programs our transcribers write (ml.models.*: piano, guitar, bass, voice,
# "other" as piano, drums) and their close relatives a user may switch a part to.
PIANO_RANGE = (21, 108)
INSTRUMENTS = (
    Instrument(0, "acoustic_grand_piano", *PIANO_RANGE, hold_seconds=4.0),
    Instrument(24, "acoustic_guitar_nylon", 40, 88, hold_seconds=3.0),
    Instrument(25, "acoustic_guitar_steel", 40, 88, hold_seconds=3.0),
    Instrument(32, "acoustic_bass", 23, 67, hold_seconds=3.0),
    Instrument(33, "electric_bass_finger", 23, 67, hold_seconds=3.0),
    Instrument(52, "choir_aahs", 36, 84, hold_seconds=4.0),
    Instrument(53, "voice_oohs", 36, 84, hold_seconds=4.0),
    # General MIDI's drum keys are 35-81; TimGM6mb maps a few more either side.
    Instrument(DRUM_KIT, "percussion", 27, 87, hold_seconds=1.5),
)


def default_soundfont() -> Path:
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def note_name(pitch: int) -> str:
    """abcjs's name for a MIDI pitch: flats, C4 = 60."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def sample_path(root: Path, instrument: Instrument, pitch: int) -> Path:
    return root / f"{instrument.name}-mp3" / f"{note_name(pitch)}.mp3"


def _fingerprint(soundfont: Path, instruments: Iterable[Instrument]) -> dict:
    return {
        "version": FORMAT_VERSION,
        "soundfont_sha256": hashlib.sha256(soundfont.read_bytes()).hexdigest(),
        "instruments": {i.name: [i.program, i.low, i.high, i.hold_seconds] for i in instruments},
    }


def _render_note(synth, channel: int, pitch: int, hold_seconds: float, release_seconds: float = 1.0) -> np.ndarray:
    """One held note and its release, mono float32, with the silent tail cut."""
    synth.noteon(channel, pitch, 100)
    held = np.frombuffer(synth.generate(int(SAMPLE_RATE * hold_seconds)), dtype=np.float32)
    synth.noteoff(channel, pitch)
    release = np.frombuffer(synth.generate(int(SAMPLE_RATE * release_seconds)), dtype=np.float32)
    synth.sounds_off()
    synth.generate(SAMPLE_RATE // 10)  # let the cut voices die before the next note
    mono = np.concatenate([held, release]).reshape(-1, 2).mean(axis=1)
    loud = np.flatnonzero(np.abs(mono) > SILENCE)
    end = loud[-1] + 1 if len(loud) else SAMPLE_RATE // 10
    return mono[:end].astype(np.float32)


def render_samples(
    root: Path,
    *,
    soundfont: Path | None = None,
    instruments: Iterable[Instrument] = INSTRUMENTS,
    force: bool = False,
) -> int:
    """Write every sample abcjs may ask for under ``root``; returns how many notes were rendered.

    Idempotent: a manifest records what was rendered from which SoundFont, and a
    second run with the same inputs and all files present renders nothing.
    """
    import soundfile
    import tinysoundfont

    soundfont = soundfont or default_soundfont()
    instruments = tuple(instruments)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST
    wanted = _fingerprint(soundfont, instruments)
    complete = all(sample_path(root, i, p).exists() for i in instruments for p in range(i.low, i.high + 1))
    if not force and complete and manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return 0

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    soundfont_id = synth.sfload(str(soundfont))
    rendered = 0
    for instrument in instruments:
        channel = 9 if instrument.is_drum else 0
        if instrument.is_drum:
            synth.program_select(channel, soundfont_id, 128, 0, True)
        else:
            synth.program_select(channel, soundfont_id, 0, instrument.program)
        notes = {
            pitch: _render_note(synth, channel, pitch, instrument.hold_seconds)
            for pitch in range(instrument.low, instrument.high + 1)
        }
        # One gain per instrument keeps its own balance between low and high notes.
        gain = PEAK / max(float(np.abs(n).max()) for n in notes.values())
        folder = root / f"{instrument.name}-mp3"
        folder.mkdir(exist_ok=True)
        for pitch, audio in notes.items():
            encoded = io.BytesIO()
            soundfile.write(encoded, audio * gain, SAMPLE_RATE, format="MP3")
            sample_path(root, instrument, pitch).write_bytes(encoded.getvalue())
            rendered += 1
    manifest.write_text(json.dumps(wanted, indent=1))
    return rendered
