"""Source separation: a recording in, one track per instrument group out.

``separate(samples, sample_rate=..., model_dir=...)`` (or a ``Separator`` kept
by the caller, which also takes a file) returns stems by name (htdemucs_6s:
drums, bass, other, vocals, guitar, piano); ``write_stems`` encodes them for
the browser, ``stems_with_content`` picks the ones worth transcribing when the
user chose "auto". With the vocals model in MODEL_DIR the pipeline splits the
voice off first (``ml.separation.vocals``) and separates the rest; ``with_vocals``
puts the two results together.
"""
from ml.separation.demucs import Separator, separate
from ml.separation.stems import SEPARATED_SAMPLE_RATE, stems_with_content, with_vocals, write_stems

__all__ = ["SEPARATED_SAMPLE_RATE", "Separator", "separate", "stems_with_content", "with_vocals", "write_stems"]
