"""Score model → ABC text for abcjs: a grand staff per piano, one staff per other part.

Everything is written in C major, 4/4, with L:1/(4 * steps per quarter) so one
ABC length unit is one grid step.
"""
from __future__ import annotations

from ml.notation.measures import Piece, layout_bars
from ml.notation.quantize import BEATS_PER_BAR, QuantizedScore, quantize_transcription
from ml.notation.spelling import LETTERS, Spelled
from ml.notes import Transcription

_ACCIDENTAL_MARKS = {-1: "_", 0: "=", 1: "^"}


def to_abc(
    transcription: Transcription,
    *,
    title: str,
    tempo_bpm: float | None = None,
    steps_per_quarter: int = 4,
    bars_per_line: int = 4,
) -> str:
    """ABC for the whole transcription; the tempo is estimated from the notes when not given."""
    score = quantize_transcription(transcription, tempo_bpm=tempo_bpm, steps_per_quarter=steps_per_quarter)
    return render_abc(score, title=title, bars_per_line=bars_per_line)


def render_abc(score: QuantizedScore, *, title: str, bars_per_line: int = 4) -> str:
    voice_ids: list[list[int]] = []  # per part, the ABC voice number of each staff
    voice_lines: list[str] = []
    bars_by_voice: list[list[str]] = []
    for part in score.parts:
        ids = []
        for index, staff in enumerate(part.staves):
            voice = len(bars_by_voice) + 1
            ids.append(voice)
            name = f' name="{_abc_text(part.name, quoted=True)}"' if index == 0 and part.name else ""
            voice_lines.append(f"V:{voice} clef={staff.clef}{name}")
            bars = layout_bars(
                staff.chords,
                bar_count=score.bar_count,
                bar_steps=score.bar_steps,
                steps_per_quarter=score.steps_per_quarter,
            )
            bars_by_voice.append([_bar_abc(bar, score.steps_per_quarter) for bar in bars])
        voice_ids.append(ids)
    header = [
        "X:1",
        f"T:{_abc_text(title, quoted=False)}",
        f"M:{BEATS_PER_BAR}/4",
        f"L:1/{4 * score.steps_per_quarter}",
        f"Q:1/4={score.tempo_bpm}",
        f"%%score {' '.join(_score_group(ids) for ids in voice_ids)}",
        *voice_lines,
        "K:C",
    ]
    return "\n".join(header + _systems(bars_by_voice, score.bar_count, bars_per_line)) + "\n"


def _score_group(ids: list[int]) -> str:
    # A brace with bar lines drawn through: the piano grand staff.
    return str(ids[0]) if len(ids) == 1 else "{" + " | ".join(map(str, ids)) + "}"


def _systems(bars_by_voice: list[list[str]], bar_count: int, bars_per_line: int) -> list[str]:
    """Interleave the voices line by line, so each text line group is one system."""
    lines = []
    for first in range(0, bar_count, bars_per_line):
        last = min(first + bars_per_line, bar_count)
        ending = " |]" if last == bar_count else " |"
        for voice, bars in enumerate(bars_by_voice, start=1):
            lines.append(f"[V:{voice}] " + " | ".join(bars[first:last]) + ending)
    return lines


def _bar_abc(pieces: list[Piece], steps_per_quarter: int) -> str:
    """One bar; a space before each beat so eighths and sixteenths beam by the beat."""
    accidentals = _BarAccidentals()
    tokens = []
    for piece in pieces:
        if tokens and piece.offset % steps_per_quarter == 0:
            tokens.append(" ")
        tokens.append(_piece_abc(piece, accidentals))
    return "".join(tokens)


def _piece_abc(piece: Piece, accidentals: _BarAccidentals) -> str:
    length = "" if piece.duration == 1 else str(piece.duration)
    if not piece.notes:
        return "z" + length
    # The tie goes after the whole chord ([CEG]4-), never inside it ([C-E-G-]4):
    # abcjs keeps one pending in-chord tie state for all voices, so with voices
    # written line by line an open in-chord tie lands on the next voice's chord.
    tie = "-" if piece.tied else ""
    heads = "".join(accidentals.mark(n) + _note_name(n) for n in piece.notes)
    return (heads if len(piece.notes) == 1 else f"[{heads}]") + length + tie


def _note_name(note: Spelled) -> str:
    """C4 (middle C) is C, C5 is c, C6 is c', C3 is C, and so on."""
    letter = LETTERS[note.letter]
    if note.octave >= 5:
        return letter.lower() + "'" * (note.octave - 5)
    return letter + "," * (4 - note.octave)


class _BarAccidentals:
    """Accidentals written so far in the current bar.

    An ABC accidental holds to the end of the bar, but readers (and programs)
    differ on whether it holds for one octave or for every octave of its letter;
    abcjs holds it for one octave. A mark is written whenever either reading
    would otherwise change the pitch, so both readings give the same notes.
    Sharps and flats are always written, naturals only when needed.
    """

    def __init__(self) -> None:
        self._by_step: dict[int, int] = {}
        self._by_letter: dict[int, int] = {}

    def mark(self, note: Spelled) -> str:
        if note.alter == 0 and not self._by_step.get(note.step) and not self._by_letter.get(note.letter):
            return ""
        self._by_step[note.step] = note.alter
        self._by_letter[note.letter] = note.alter
        return _ACCIDENTAL_MARKS[note.alter]


def _abc_text(text: str, *, quoted: bool) -> str:
    """Free text made safe for an ABC field or a quoted voice name.

    A line break would end the field, % starts a comment (abcjs shows \\% as %),
    and a backslash starts an abcjs text escape (\\b is a flat sign) with no escape
    of its own, so it becomes the look-alike full-width backslash. Inside quotes
    abcjs ends the string at any double quote, escaped or not.
    """
    text = " ".join(text.split())
    text = text.replace("\\", "\uff3c").replace("%", "\\%")
    return text.replace('"', "'") if quoted else text
