"""The engraved PDF: a real PDF with one page per engraved page, each carrying ink."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ml.notation.musicxml import score_to_musicxml
from ml.notation.pdf import EngravingError, render_svg_pages, to_pdf
from ml.notation.score import ScoreDoc

from .writer_docs import DocBuilder, Q


def piano_score(bars: int) -> str:
    """A busy piano piece: a melody in eighths over a chord on every half bar."""
    b = DocBuilder(bars, title="Étude №1")
    piano = b.part(clefs=("treble", "bass"))
    for bar in range(bars):
        for beat in range(4):
            k = bar * 4 + beat
            b.add(piano, bar, beat, Q(1, 2), 60 + (k * 5) % 24)
            b.add(piano, bar, beat + Q(1, 2), Q(1, 2), 61 + (k * 7) % 24)
            if beat % 2 == 0:
                b.add(piano, bar, beat, 2, *(36 + k % 12 + i for i in (0, 4, 7)), staff=1)
    return score_to_musicxml(b.doc)


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
    empty = score_to_musicxml(ScoreDoc(title="Silence", measures=[], parts=[]))
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

    b = DocBuilder(1, title="Threaded")
    b.add(b.part(), 0, 0, 1, 60)
    xml = score_to_musicxml(b.doc)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(to_pdf, xml, title="Threaded").result()
    assert pdf.startswith(b"%PDF")


def test_the_pdf_text_carries_the_title_and_the_parts(long_score, tmp_path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed")
    _, pdf = long_score
    (tmp_path / "score.pdf").write_bytes(pdf)
    text = subprocess.run([pdftotext, str(tmp_path / "score.pdf"), "-"], check=True, capture_output=True, text=True)
    assert "Étude" in text.stdout
    info = subprocess.run(["pdfinfo", str(tmp_path / "score.pdf")], check=True, capture_output=True, text=True)
    assert int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1)) >= 2
