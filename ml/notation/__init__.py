"""Notes → notation: tempo, quantisation, the canonical score and its writers (abc, musicxml, score_midi, pdf).

Pure Python and numpy, like the rest of post-processing: no Django, no torch.
"""
from ml.notation.quantize import Chord, Part, QuantizedScore, Staff, quantize_transcription
from ml.notation.tempo import estimate_tempo

__all__ = [
    "Chord",
    "Part",
    "QuantizedScore",
    "Staff",
    "estimate_tempo",
    "quantize_transcription",
]
