"""Render General MIDI drum parts with the fluidsynth command-line synthesizer.

Only template building (``ml.drums.templates``) and evaluation
(``bench/drums_eval.py``) use this; transcription never does. It needs the
Debian packages ``fluidsynth`` and a soundfont (``fluid-soundfont-gm`` gives
FluidR3_GM.sf2). Parts go through a temporary MIDI file, because the CLI plays
files; the synthesizer runs with an argument list, never a shell.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile

SOUNDFONT_DIR = Path("/usr/share/sounds/sf2")
FLUIDR3_GM = SOUNDFONT_DIR / "FluidR3_GM.sf2"
TIMGM6MB = SOUNDFONT_DIR / "TimGM6mb.sf2"
CSOUND_GM = SOUNDFONT_DIR / "sf_GMbank.sf2"
# Debian's avldrums.lv2-soundfont: multi-sampled acoustic kits, one preset each
# on bank 0 (a melodic bank), keyed like the GM percussion map.
AVL_BLACK_PEARL = SOUNDFONT_DIR / "Black_Pearl_4_LV2.sf2"
AVL_RED_ZEPPELIN = SOUNDFONT_DIR / "Red_Zeppelin_4_LV2.sf2"

# GM drum kits are programs of bank 128 on the percussion channel.
GM_KITS = {"standard": 0, "room": 8, "power": 16, "electronic": 24, "tr808": 25, "jazz": 32, "brush": 40}

# How long each MIDI note is held. Most GM drum samples play to their end
# whatever the note length, but some soundfonts release on note-off, and a crash
# should ring as a drummer lets it.
_HOLD_SECONDS = 1.0
# FluidSynth's default gain (0.2) leaves drum parts quiet; 0.5 stays clear of clipping.
_GAIN = 0.5


@dataclass(frozen=True, slots=True)
class Hit:
    time: float  # seconds
    pitch: int  # GM drum key
    velocity: int  # 1..127


def available(soundfont: Path) -> bool:
    """Whether the fluidsynth binary and ``soundfont`` are both installed."""
    return shutil.which("fluidsynth") is not None and soundfont.is_file()


def render(
    hits: Iterable[Hit], *, soundfont: Path, kit: int = 0, percussion_channel: bool = True, sample_rate: int = 44100
) -> np.ndarray:
    """Mono float32 audio of ``hits`` played by ``soundfont``.

    ``kit`` is the drum kit program; ``percussion_channel=False`` plays the
    soundfont's bank-0 preset on an ordinary channel instead (how single-kit
    soundfonts such as the AVL kits are laid out).
    """
    midi = pretty_midi.PrettyMIDI()
    part = pretty_midi.Instrument(program=kit, is_drum=percussion_channel)
    part.notes = [
        pretty_midi.Note(velocity=hit.velocity, pitch=hit.pitch, start=hit.time, end=hit.time + _HOLD_SECONDS)
        for hit in sorted(hits, key=lambda h: (h.time, h.pitch))
    ]
    midi.instruments.append(part)
    with tempfile.TemporaryDirectory(prefix="drums-render-") as folder:
        midi_path, wav_path = os.path.join(folder, "part.mid"), os.path.join(folder, "part.wav")
        midi.write(midi_path)
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-g", str(_GAIN), "-r", str(sample_rate), "-F", wav_path,
             str(soundfont), midi_path],
            check=True, capture_output=True,
        )
        audio, _ = soundfile.read(wav_path, dtype="float32", always_2d=True)
    return audio.mean(axis=1)
