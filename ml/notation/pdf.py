"""MusicXML → an engraved PDF, server-side: Verovio lays the score out in SVG pages,
Typst turns the pages into one vector PDF with its fonts embedded.

Verovio writes text in its own fonts: music symbols inside text (the note of a
metronome mark) in its SMuFL text font, Leipzig, and everything else in Liberation
Serif when ``fontTextLiberation`` is on, whose metrics are the ones Verovio lays text
out with. Both ship inside the verovio package as web fonts; they are unpacked to
TrueType once per process and given to Typst, and the machine's own fonts are never
consulted, so the PDF looks the same on every server.
"""
from __future__ import annotations

import base64
import functools
import io
import json
import re
import tempfile
import threading
from pathlib import Path

import typst
import verovio
from fontTools.ttLib import TTFont

from ml.errors import MLError

# A4 in Verovio's units (tenths of a millimetre), so an SVG page is a PDF page.
PAGE_WIDTH = 2100
PAGE_HEIGHT = 2970
_VEROVIO_OPTIONS = {
    "pageWidth": PAGE_WIDTH,
    "pageHeight": PAGE_HEIGHT,
    "breaks": "auto",
    "footer": "none",  # "auto" prints Verovio's logo
    "fontTextLiberation": True,  # text fonts we can hand to Typst (see above)
    "smuflTextFont": "none",  # so no page carries its own copy of the fonts as CSS
    "svgViewBox": True,  # the page scales to the size Typst gives it
    # Typst's SVG reader places an indented text run wrongly: no indenting.
    "svgFormatRaw": True,
}
# Verovio's CSS names each font family; the SVG refers to the fonts by those names.
_FONT_FACES = re.compile(r"font-family:\s*['\"]([^'\"]+)['\"].*?base64,([A-Za-z0-9+/=]+)", re.DOTALL)
_FONT_SHEETS = ("Leipzig.css", "Liberation.css")
# One page per SVG, each filling an A4 page; the pages and title arrive as inputs,
# so nothing from the score is ever parsed as Typst markup.
_DOCUMENT = b"""
#set document(title: sys.inputs.title)
#set page(width: 210mm, height: 297mm, margin: 0pt)
#for (i, svg) in json(bytes(sys.inputs.pages)).enumerate() {
  if i > 0 { pagebreak() }
  image(bytes(svg), format: "svg", width: 100%, height: 100%)
}
"""


class EngravingError(MLError):
    """The MusicXML could not be engraved."""

    default_message = "We could not engrave this score as a PDF."


def to_pdf(musicxml: str, *, title: str) -> bytes:
    """Engrave MusicXML as an A4 PDF; ``title`` is the document's title in its metadata
    (the page shows the title the MusicXML carries)."""
    pages = render_svg_pages(musicxml)
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[_font_dir()])
    compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=True)
    pdf = compiler.compile(
        input=_DOCUMENT, format="pdf", sys_inputs={"title": title, "pages": json.dumps(pages)}
    )
    assert isinstance(pdf, bytes)
    return pdf


def render_svg_pages(musicxml: str) -> list[str]:
    """The engraved score as one SVG per A4 page."""
    toolkit = verovio.toolkit()
    # Verovio finds its fonts by itself only in the main thread; web servers and
    # workers engrave from other threads, so name the folder explicitly.
    toolkit.setResourcePath(str(_VEROVIO_DATA))
    toolkit.setOptions(_VEROVIO_OPTIONS)
    if not toolkit.loadData(musicxml):
        raise EngravingError()
    return [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]


def _font_dir() -> str:
    """Verovio's web fonts as TrueType files, in a folder that lives as long as the process."""
    with _FONT_LOCK:
        return _unpack_fonts().name


@functools.cache
def _unpack_fonts() -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory(prefix="rescored-fonts-")
    data = _VEROVIO_DATA
    for sheet in _FONT_SHEETS:
        for index, (family, woff2) in enumerate(_FONT_FACES.findall((data / sheet).read_text())):
            font = TTFont(io.BytesIO(base64.b64decode(woff2)))
            font.flavor = None  # plain TrueType
            # Named as the CSS, and so the SVG, names it: Liberation Serif is "Liberation".
            for record in font["name"].names:
                if record.nameID in (1, 16):  # family, typographic family
                    record.string = family
            font.save(Path(folder.name) / f"{Path(sheet).stem}-{index}.ttf")
    return folder


_FONT_LOCK = threading.Lock()
_VEROVIO_DATA = Path(verovio.__file__).parent / "data"
