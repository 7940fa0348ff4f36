"""Notes → notation: tempo, a quantised score model, and ABC text for abcjs.

Pure Python and numpy, like the rest of post-processing: no Django, no torch.
"""
from ml.notation.abc import render_abc, to_abc
from ml.notation.quantize import Chord, Part, QuantizedScore, Staff, quantize_transcription
from ml.notation.tempo import estimate_tempo

__all__ = [
    "Chord",
    "Part",
    "QuantizedScore",
    "Staff",
    "estimate_tempo",
    "quantize_transcription",
    "render_abc",
    "to_abc",
]
