"""Geometry and vocabulary of the drum transcriber; derived values are computed, not retyped.

Kept beside the drum code rather than in ``ml.constants`` while the drum
transcriber is the only user; ``templates.npz`` records these values and
``ml.drums.templates.load`` refuses a file built with different ones.
"""
from __future__ import annotations

# --- Spectrogram ------------------------------------------------------------------------
SAMPLE_RATE = 44100  # Hz; the pipeline hands every stem over at this rate
N_FFT = 2048  # 46 ms window: enough low-frequency detail to tell a kick from a floor tom
HOP = 441  # 10 ms between frames, a fifth of the 50 ms onset tolerance
N_BANDS = 48  # mel bands; templates are (frames, bands) patches in this space
F_MIN = 20.0  # Hz
F_MAX = 18000.0  # Hz: hi-hats and cymbals carry energy up to here
FRAME_SECONDS = HOP / SAMPLE_RATE

# --- Templates ----------------------------------------------------------------------------
# A template is the spectrogram patch of one hit: TEMPLATE_LEAD frames before the
# onset frame and the rest after it, 160 ms in all: long enough to tell a closed
# hi-hat (gone after ~80 ms) from an open one or a ride, short enough to keep the
# deconvolution cheap. Activation frame n therefore means an onset at n + LEAD.
TEMPLATE_FRAMES = 16
TEMPLATE_LEAD = 2

# --- Drum classes ------------------------------------------------------------------------
# The classes the templates model, in template order, with the General MIDI drum
# pitches each stands for (used to build templates and to score). A tom class
# covers all six GM toms; hits are split into low/mid/high by pitch afterwards.
KICK, SNARE, TOM, CRASH, RIDE = "kick", "snare", "tom", "crash", "ride"
HIHAT_CLOSED, HIHAT_OPEN = "hihat_closed", "hihat_open"
CLASSES: tuple[str, ...] = (KICK, SNARE, HIHAT_CLOSED, HIHAT_OPEN, TOM, CRASH, RIDE)
CLASS_GM_PITCHES: dict[str, tuple[int, ...]] = {
    KICK: (35, 36),
    SNARE: (38, 40),
    HIHAT_CLOSED: (42, 44),  # closed and pedal
    HIHAT_OPEN: (46,),
    TOM: (41, 43, 45, 47, 48, 50),
    CRASH: (49, 57),
    RIDE: (51, 59),
}

# --- Output pitches (General MIDI percussion key map) -----------------------------------
GM_KICK = 36
GM_SNARE = 38
GM_HIHAT_CLOSED = 42
GM_HIHAT_OPEN = 46
GM_TOM_LOW = 45
GM_TOM_MID = 47
GM_TOM_HIGH = 50
GM_CRASH = 49
GM_RIDE = 51
OUTPUT_PITCH: dict[str, int] = {
    KICK: GM_KICK, SNARE: GM_SNARE, HIHAT_CLOSED: GM_HIHAT_CLOSED, HIHAT_OPEN: GM_HIHAT_OPEN,
    CRASH: GM_CRASH, RIDE: GM_RIDE,
}  # toms get GM_TOM_LOW/MID/HIGH by pitch

# Drum notes have no meaningful length (GM drum sounds ignore note-off); a short
# fixed one keeps every note valid and MIDI playback unchanged.
NOTE_SECONDS = 0.1
