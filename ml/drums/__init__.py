"""Drum transcription internals: spectrogram, templates, NMD activations, hit decisions.

The public entry point is ``ml.models.drums.transcribe``; the modules here are
its layers, each usable and testable alone:

- ``constants``: frame geometry and the drum classes (GM pitches).
- ``spectrogram``: mel magnitude spectrogram, the representation templates live in.
- ``templates``: the shipped spectro-temporal templates, and how they are rebuilt.
- ``nmd``: non-negative matrix factor deconvolution with fixed templates.
- ``events``: from activations to drum hits (peak picking, gating, labels, velocity).
- ``fluidsynth``: renders General MIDI drum parts through the fluidsynth CLI, for
  template building and evaluation only; transcription never needs it.
"""
