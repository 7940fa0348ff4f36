"""The engraved PDF: a real PDF with one page per engraved page, each carrying ink."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ml.notation.musicxml import to_musicxml
from ml.notation.pdf import EngravingError, render_svg_pages, to_pdf
from ml.notes import Note, Track, Transcription

BEAT = 0.5  # seconds, at 120 BPM


def piano_score(bars: int) -> str:
    """A busy piano piece: a melody in eighths over a chord on every half bar."""
    notes = []
    for beat in range(4 * bars):
        t = beat * BEAT
        notes += [Note(60 + (beat * 5) % 24, t, t + BEAT / 2), Note(61 + (beat * 7) % 24, t + BEAT / 2, t + BEAT)]
        if beat % 2 == 0:
            notes += [Note(36 + beat % 12 + k, t, t + 2 * BEAT) for k in (0, 4, 7)]
    return to_musicxml(
        Transcription(tracks=[Track(name="Piano", instrument="piano", notes=notes)], duration=bars * 4 * BEAT),
        title="Étude №1",
        tempo_bpm=120,
    )


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


@pytest.fixture(scope="module")
def long_score() -> tuple[str, bytes]:
    xml = piano_score(bars=60)
    return xml, to_pdf(xml, title="Étude №1")


def test_a_pdf_with_the_title_in_its_metadata(long_score):
    _, pdf = long_score
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    title = "Étude №1".encode("utf-16-be").hex().upper().encode()
    assert b"/Title<FEFF" + title + b">" in pdf


def test_one_pdf_page_per_engraved_page(long_score):
    xml, pdf = long_score
    pages = render_svg_pages(xml)
    assert len(pages) >= 2
    assert page_count(pdf) == len(pages)


def test_a_short_score_and_an_empty_one_are_one_page_each():
    assert page_count(to_pdf(piano_score(bars=2), title="Short")) == 1
    empty = to_musicxml(Transcription(tracks=[], duration=0.0), title="Silence", tempo_bpm=None)
    assert page_count(to_pdf(empty, title="Silence")) == 1


def test_what_is_not_musicxml_is_refused():
    with pytest.raises(EngravingError):
        to_pdf("this is not a score", title="Nothing")


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey pixels of a binary PGM, as pdftoppm -gray writes it."""
    data = path.read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert (magic, maxval) == (b"P5", b"255")
    return int(width), int(height), pixels[: int(width) * int(height)]


def ink(pixels: bytes) -> float:
    """The share of dark pixels."""
    return sum(p < 128 for p in pixels) / len(pixels)


def test_every_page_renders_with_staves_notes_and_a_title(long_score, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (Debian's poppler-utils) is not installed, so the pages cannot be rasterised")
    xml, pdf = long_score
    (tmp_path / "score.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-gray", "-r", "40", str(tmp_path / "score.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    assert len(pages) == page_count(pdf)
    for page in pages:
        width, height, pixels = read_pgm(page)
        assert abs(width / height - 210 / 297) < 0.01  # A4
        assert ink(pixels) > 0.02, f"{page.name} is nearly blank"
    # The first page opens with a centred title above the music.
    width, height, pixels = read_pgm(pages[0])
    title_band = pixels[: width * height // 25]
    assert ink(title_band) > 0.002
    dark_columns = {i % width for i, p in enumerate(title_band) if p < 128}
    assert abs((min(dark_columns) + max(dark_columns)) / 2 - width / 2) < width * 0.05


def test_engraves_from_a_thread_other_than_the_main_one():
    # Django serves downloads from worker threads, where verovio does not find its
    # fonts unless told where they are.
    from concurrent.futures import ThreadPoolExecutor

    xml = to_musicxml(Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=1.0),
                      title="Threaded")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(to_pdf, xml, title="Threaded").result()
    assert pdf.startswith(b"%PDF")
