"""The reader of PDF files, with pypdfium2: sections, paragraphs and pages.

A page's lines come from its text layer, or, on a page without one, from OCR
(``embeddings.documents.ocr``, which gives lines with their positions as the text layer does).
Sections come from the PDF's outline (bookmarks) where it has one; otherwise from headings set
larger or bold than the body text; otherwise a section per page. Running headers and footers
(lines repeated at the top or bottom of most pages, page numbers included) are left out, and a
word hyphenated at a line end is joined again. Images read by OCR go through the same assembly.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from embeddings.documents.document import Document, Line, Section, document_title
from embeddings.documents.text import MAX_HEADING_CHARS, MAX_HEADING_WORDS, is_plain_text_heading

MAX_PAGES = 1000  # a longer PDF is skipped, with a message: split it (300 pages read in ~1 s here)
_HEADING_SIZE = 1.15  # a heading's font is at least this much larger than the body's
_PARAGRAPH_GAP = 1.4  # a gap between lines this many times the usual line pitch starts a paragraph
_SHORT_LINE = 0.8  # a line ending a sentence and shorter than this share of the page's text width ends a paragraph
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header or footer
_HYPHENS = ("-", "\u00ad", "\x02")
_SENTENCE_END = tuple(".!?:…")


@dataclass
class PdfPages:
    """What a PDF's pages hold: each page's lines from its text layer (empty for a scanned page), its outline."""

    lines: list[list[Line]]
    outline: list[tuple[str, int]]


def _font(textpage: pdfium.PdfTextPage, index: int) -> tuple[float, bool]:
    """Size and boldness of the font of character ``index``."""
    flags = ctypes.c_int()
    length = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, ctypes.byref(flags))
    name = ctypes.create_string_buffer(max(length, 1))
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, name, length, ctypes.byref(flags))
    weight = pdfium_c.FPDFText_GetFontWeight(textpage.raw, index)
    bold = weight >= 600 or b"bold" in name.value.lower() or bool(flags.value & 0x40000)
    return float(pdfium_c.FPDFText_GetFontSize(textpage.raw, index)), bold


def _page_lines(page: pdfium.PdfPage, number: int) -> list[Line]:
    """The page's lines of text, top to bottom; the text rectangles on one baseline make one line."""
    textpage = page.get_textpage()
    lines: list[Line] = []
    for rect in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(rect)
        text = " ".join(textpage.get_text_bounded(left, bottom, right, top).split())
        if not text:
            continue
        middle = (top + bottom) / 2
        if lines and lines[-1].bottom <= middle <= lines[-1].top:
            lines[-1].text += " " + text
            lines[-1].right = max(lines[-1].right, right)
            continue
        index = textpage.get_index(left + 0.5, middle, 2, 2)
        size, bold = _font(textpage, index) if index >= 0 else (0.0, False)
        lines.append(Line(text, number, top, bottom, right, size, bold))
    return lines


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _running_lines(pages: list[list[Line]]) -> set[str]:
    """Keys of lines that recur at the top or bottom of at least half the pages (two at least)."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_edge_key(line.text) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    return {key for key, count in counts.items() if count >= max(2, len(pages) / 2)}


_PAGE_NUMBER = re.compile(r"[-–—\s]*\d{1,4}[-–—\s]*|(?i:page|halaman|hal\.?)\s*\d{1,4}(\s*(/|of|dari)\s*\d{1,4})?")


def _is_page_number(text: str) -> bool:
    return _PAGE_NUMBER.fullmatch(text) is not None


def _join(paragraph: str, line: str) -> str:
    """``line`` appended to ``paragraph``, a word hyphenated across the two joined again."""
    if paragraph.endswith(_HYPHENS) and len(paragraph) > 1 and paragraph[-2].isalpha() and line[:1].islower():
        return paragraph[:-1] + line
    return f"{paragraph} {line}" if paragraph else line


def _is_heading(line: Line, body_size: float) -> bool:
    if len(line.text) > MAX_HEADING_CHARS or len(line.text.split()) > MAX_HEADING_WORDS:
        return False
    return is_plain_text_heading(line.text) and (line.size >= body_size * _HEADING_SIZE or line.bold)


def _outline(pdf: pdfium.PdfDocument) -> list[tuple[str, int]]:
    """The outline's entries as (title, 1-based page), in reading order; empty when there is none."""
    entries = []
    for item in pdf.get_toc(max_depth=6):
        destination = item.get_dest()
        title = " ".join((item.get_title() or "").split())
        if title and destination is not None and destination.get_index() is not None:
            entries.append((title, destination.get_index() + 1))
    return sorted(entries, key=lambda entry: entry[1])


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ValueError("is encrypted (password-protected); save a copy without a password") from None
        raise ValueError(f"is not a readable PDF ({error})") from None


def read_pdf_pages(data: bytes) -> PdfPages:
    """The lines of each page's text layer and the outline of a PDF file's bytes, or a ValueError saying
    why it can't be read."""
    pdf = _open(data)
    try:
        if len(pdf) > MAX_PAGES:
            raise ValueError(f"has {len(pdf)} pages, over the {MAX_PAGES}-page limit; split it")
        return PdfPages([_page_lines(pdf[number], number + 1) for number in range(len(pdf))], _outline(pdf))
    except pdfium.PdfiumError as error:
        raise ValueError(f"is a damaged PDF ({error})") from None
    finally:
        pdf.close()


def render_page(data: bytes, number: int, resolution: int, check: Callable[[float, float], None]):
    """Page ``number`` (1-based) of a PDF file's bytes as a grey PIL image of ``resolution`` dots per inch;
    ``check`` is given its size in pixels first, from the page box, and may refuse it (a ValueError)."""
    pdf = _open(data)
    try:
        page = pdf[number - 1]
        width, height = page.get_size()  # points: a 553-byte PDF can hold a 200-inch page
        check(width * resolution / 72, height * resolution / 72)
        return page.render(scale=resolution / 72, grayscale=True).to_pil()
    except pdfium.PdfiumError as error:
        raise ValueError(f"is a damaged PDF ({error})") from None
    finally:
        pdf.close()


def read_pdf_document(name: str, data: bytes) -> Document:
    """The document in a PDF file's text layer, or a ValueError that says why it can't be read."""
    pages = read_pdf_pages(data)
    return lines_document(name, pages.lines, pages.outline)


def lines_document(
    name: str,
    pages: list[list[Line]],
    outline: list[tuple[str, int]],
    scanned: frozenset[int] = frozenset(),
    missing: str = "OCR is not supported",
) -> Document:
    """The document of a file whose pages hold ``pages`` (each page's lines, read from its text layer or,
    on the pages in ``scanned``, by OCR); ``missing`` says why pages without text were not read."""
    running = _running_lines(pages)
    lines = [
        line
        for page in pages
        for line in page
        if _edge_key(line.text) not in running and not _is_page_number(line.text)
    ]
    if not lines:
        raise ValueError(
            f"has no text layer (a scan?); {missing}" if not scanned else "has no text that OCR could read"
        )
    title = document_title(name)
    body_size = statistics.median(line.size for line in lines)
    starts = {number: line.text for number, line in enumerate(lines) if _is_heading(line, body_size)}
    starts.update(_outline_starts(lines, outline))  # an outline entry's own title wins
    if not starts:  # no structure to go by: a section per page
        starts = {
            number: f"{title}, page {line.page}"
            for number, line in enumerate(lines)
            if number == 0 or line.page != lines[number - 1].page
        }
    return Document(name=name, title=title, sections=tuple(_sections(lines, starts, title)), scanned_pages=scanned)


def _outline_starts(lines: list[Line], outline: list[tuple[str, int]]) -> dict[int, str]:
    """The line each outline entry starts at: the line on its page that begins with its title, else the page's first."""
    starts: dict[int, str] = {}
    for title, page in outline:
        on_page = [number for number, line in enumerate(lines) if line.page == page]
        if not on_page:
            continue
        wanted = " ".join(title.casefold().split())
        found = next((n for n in on_page if n not in starts and lines[n].text.casefold().startswith(wanted)), None)
        starts[found if found is not None else on_page[0]] = title
    return starts


def _sections(lines: list[Line], starts: dict[int, str], title: str) -> list[Section]:
    """Sections from ``lines``: one begins at each line number in ``starts``, titled as it says (a line
    that holds that title is the heading, not text)."""
    sections: list[Section] = []
    current, paragraphs, pages = title, [], []
    # The usual distance between lines: most gaps are within paragraphs, so a low quantile is one.
    gaps = sorted(a.top - b.top for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page and a.top > b.top)
    pitch = gaps[len(gaps) // 5] if gaps else 1.0
    width = max(line.right for line in lines)

    def close() -> None:
        if paragraphs:
            sections.append(Section(current, tuple(paragraphs), tuple(pages)))

    previous: Line | None = None
    for number, line in enumerate(lines):
        if number in starts:
            close()
            current, paragraphs, pages = starts[number], [], []
            previous = None
            if line.text.casefold().startswith(starts[number].casefold()):
                continue
        new_paragraph = (
            previous is None
            or not paragraphs
            or (line.page == previous.page and previous.top - line.top > pitch * _PARAGRAPH_GAP)
            or (previous.text.endswith(_SENTENCE_END) and previous.right < width * _SHORT_LINE)
            or (line.page != previous.page and previous.text.endswith(_SENTENCE_END) and not line.text[:1].islower())
        )
        if new_paragraph:
            paragraphs.append(line.text)
            pages.append(line.page)
        else:
            paragraphs[-1] = _join(paragraphs[-1], line.text)
        previous = line
    close()
    return sections
