"""Audio and model constants in one place; derived values are computed, not retyped."""
from __future__ import annotations

# --- Transkun 2.0 (the piano model) -------------------------------------------------
# These mirror transkun/pretrained/2.0.conf; ml.models.transkun checks the loaded
# model against them so a different checkpoint cannot silently change the meaning.
TRANSKUN_SAMPLE_RATE = 44100  # Hz the model's feature extractor expects
TRANSKUN_HOP_SIZE = 1024  # samples between spectrogram frames
TRANSKUN_WINDOW_SIZE = 4096  # FFT size
TRANSKUN_N_MELS = 229
TRANSKUN_F_MIN = 30.0  # Hz, lowest mel band edge
TRANSKUN_F_MAX = 8000.0  # Hz, highest mel band edge
TRANSKUN_SEGMENT_SECONDS = 16.0  # audio the model sees at once
TRANSKUN_SEGMENT_HOP_SECONDS = 8.0  # step between segments (segments overlap by half)

TRANSKUN_N_FREQS = TRANSKUN_WINDOW_SIZE // 2 + 1  # rows of the mel filterbank

# --- Notes ----------------------------------------------------------------------------
# Piano keys A0..C8: Transkun also emits pedal events under negative "pitches",
# which are not notes and are dropped when converting to ml.notes.Note.
PIANO_LOWEST_PITCH = 21
PIANO_HIGHEST_PITCH = 108
MIDI_VELOCITY_MIN = 1  # velocity 0 means note-off in MIDI, so a sounding note needs >= 1
MIDI_VELOCITY_MAX = 127
# Shortest note we keep: the note list is stored rounded to 0.1 ms, so anything
# shorter would collapse to offset == onset; 1 ms is far below audible duration.
MIN_NOTE_SECONDS = 0.001

# --- MIDI files -----------------------------------------------------------------------
MIDI_TEMPO_BPM = 120.0
# Ticks per quarter note. At 120 BPM one tick is 60 / 120 / 960 s ~ 0.52 ms, so
# a round trip through a MIDI file moves a note by at most ~0.26 ms.
MIDI_TICKS_PER_BEAT = 960

# --- Decoding -------------------------------------------------------------------------
# How much audio probe() decodes to learn the channel count and sample rate
# after decoding (the header text is not reliable for unusual channel layouts).
PROBE_DECODE_SECONDS = 0.1
