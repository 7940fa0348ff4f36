"""Notes → notation: engraving (tempo, metre, key, voices, chord symbols,
expression) into the canonical score, its edit operations and its writers
(abc, musicxml, score_midi, pdf).

Pure Python and numpy, like the rest of post-processing: no Django, no torch.
"""
