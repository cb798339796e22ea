"""Reading pages by OCR: scanned PDF pages, photos and image files, with Tesseract 5.

``read_scanned`` reads a PDF's text layer and its pages that have none by OCR, or an image file's
pages (frames), each step in the reading process (``embeddings.documents.formats.DocumentReader``,
with its limits), a page per core at once, each page within its own time limit; what OCR read is
kept by the file's checksum (and the version of the page preparation), so an unchanged scan is not
read again.

Tesseract gives each word's box; words are gathered into lines with their positions, in the PDF
reader's coordinates, so that a scanned page goes through the same assembly as a page with a text
layer (``embeddings.documents.pdf.lines_document``): headings by their size, paragraphs by the gaps
between lines, running headers left out, hyphenated words joined. Tesseract is a program installed
from the system's packages (``tesseract-ocr`` and its languages); without it, scans are named as
unread, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from embeddings.defaults import OCR_LANGUAGES, OCR_MAX_PAGES, OCR_PAGE_SECONDS
from embeddings.documents.document import Document, Line
from embeddings.files import cached, is_cached

RESOLUTION = 300  # dots per inch a PDF page is rendered at for OCR
MAX_SIDE = 2339  # pixels: the long side of an A4 page at 200 dpi; larger images are scaled down to it
MAX_IMAGE_PIXELS = 80_000_000  # an image larger than this (an A4 page at 300 dpi is 8.7 million) is refused
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")
# Bump when what Tesseract is given (``_prepared``) or what is taken from its hOCR changes: what OCR
# read before, and kept, is then read again.
PREPARATION_VERSION = 1
_INK = 160  # grey level below which a pixel is ink, when measuring a page's skew
_MAX_SKEW = 5.0  # degrees a photo may be turned by (tried both ways, in steps)

Progress = Callable[[str, int, int], None]  # told a file's name, its pages OCR has read, and those it reads
# ``run(function, *args, extra_seconds=0.0)``: ``function(*args)`` in the reading process, within its
# time limit and ``extra_seconds`` more.
Run = Callable[..., object]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ocr:
    """How scanned pages are read: Tesseract's languages (``ind+eng``), the most pages of one file, the
    time one page may take, and where results are kept by the file's checksum (None: not kept)."""

    languages: str = OCR_LANGUAGES
    max_pages: int = OCR_MAX_PAGES
    page_seconds: float = OCR_PAGE_SECONDS
    cache_dir: Path | None = None


def read_scanned(name: str, data: bytes, pdf: bool, ocr: Ocr, run: Run, progress: Progress | None = None) -> Document:
    """A PDF's text layer with its pages that have none read by OCR (``pdf``), or an image file's pages
    read by OCR; each step through ``run`` (in the reading process, with limits). What OCR read is
    kept in ``ocr.cache_dir``, if set, and read from there the next time these bytes are;
    ``progress(name, pages read, pages to read)`` is told as OCR goes."""
    if pdf:
        from embeddings.documents.pdf import read_pdf_pages

        pages = run(read_pdf_pages, data)
        lines, outline = pages.lines, pages.outline
    else:
        lines, outline = [[] for _ in range(run(image_pages, data))], []
    unread = [number for number, page in enumerate(lines, start=1) if not page]
    read, missing = _read_unread(name, data, pdf, unread, ocr, run, progress) if unread else ({}, "")
    if missing and not pdf:
        raise ValueError(f"is an image, and {missing}")
    for number, page in read.items():
        lines[number - 1] = page
    return run(_assemble, name, lines, outline, frozenset(read), missing)


def _read_unread(
    name: str, data: bytes, pdf: bool, unread: list[int], ocr: Ocr, run: Run, progress: Progress | None
) -> tuple[dict[int, list[Line]], str]:
    """The lines OCR reads on pages ``unread`` (1-based), by page, kept or read now; or none, and why
    OCR cannot run here."""
    kept, version = None, f"preparation {PREPARATION_VERSION}"
    if ocr.cache_dir is not None:
        kept = ocr.cache_dir / f"{hashlib.sha256(data + ocr.languages.encode()).hexdigest()}.json"
    if kept is None or not is_cached(kept, version):
        missing = ocr_missing(ocr.languages)
        if missing:
            return {}, missing
    if len(unread) > ocr.max_pages:
        raise ValueError(
            f"has {len(unread)} pages to read by OCR, over the limit of {ocr.max_pages} (TANYA_OCR_MAX_PAGES); split it"
        )

    def read() -> dict[int, list[Line]]:
        return _read_pages(name, data, pdf, unread, ocr, run, progress)

    return (read() if kept is None else _kept(kept, version, read)), ""


def _kept(path: Path, version: str, read: Callable[[], dict[int, list[Line]]]) -> dict[int, list[Line]]:
    """``read()``, kept at ``path`` for ``version`` (whole or not at all); or what was kept there for it."""
    fresh: dict[int, list[Line]] = {}

    def keep(staged: Path) -> None:
        fresh.update(read())
        raw = {page: [dataclasses.astuple(line) for line in lines] for page, lines in fresh.items()}
        staged.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")

    try:
        cached(path, version, keep)
    except OSError as error:
        logger.warning("could not keep what OCR read (%s); it will be read again next time", error)
        return fresh or read()
    if fresh:
        return fresh
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {int(page): [Line(*fields) for fields in lines] for page, lines in raw.items()}
    except (OSError, ValueError, TypeError) as error:
        logger.warning("what OCR read was kept damaged in %s (%s); reading it again", path, error)
        path.unlink(missing_ok=True)  # no longer built: the next call reads it and keeps it again
        return _kept(path, version, read)


def _read_pages(
    name: str, data: bytes, pdf: bool, numbers: list[int], ocr: Ocr, run: Run, progress: Progress | None
) -> dict[int, list[Line]]:
    """The lines OCR reads on pages ``numbers``, by page: as many pages at once as there are cores, each
    batch in the reading process within its limit and one page's time more."""
    page_lines = pdf_page_lines if pdf else image_page_lines
    at_once = len(os.sched_getaffinity(0))
    read: dict[int, list[Line]] = {}
    for start in range(0, len(numbers), at_once):
        if progress:
            progress(name, start, len(numbers))
        batch = numbers[start : start + at_once]
        read.update(zip(batch, run(page_lines, data, batch, ocr, extra_seconds=ocr.page_seconds), strict=True))
    if progress:
        progress(name, len(numbers), len(numbers))
    return read


def _assemble(name: str, lines: list, outline: list, scanned: frozenset[int], missing: str) -> Document:
    from embeddings.documents.pdf import lines_document

    return lines_document(name, lines, outline, scanned, missing)


@lru_cache(maxsize=8)
def ocr_missing(languages: str) -> str | None:
    """Why OCR cannot run here (one line saying what to install), or None when it can."""
    if shutil.which("tesseract") is None:
        return "OCR needs Tesseract: apt install tesseract-ocr tesseract-ocr-ind"
    try:
        installed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"Tesseract does not run ({error})"
    missing = [language for language in languages.split("+") if language not in installed.split()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{language.replace('_', '-').lower()}" for language in missing)
        return f"Tesseract lacks the languages {', '.join(missing)}: apt install {packages}"
    return None


def image_lines(image, page: int, ocr: Ocr) -> list[Line]:
    """The lines Tesseract reads on ``image`` (a page at ``RESOLUTION`` dpi or a photo), top to bottom,
    from its hOCR: each line's box, and the font size Tesseract estimates for it (``x_size``), which
    tells headings from body text as a text layer's font size does."""
    from lxml import html

    grey, scale = _prepared(image)
    known = (image.info.get("dpi") or (0, 0))[1]  # a photo may not say; Tesseract then estimates it
    dpi = float(known or RESOLUTION) * scale
    hocr = _tesseract(grey, page, ocr, round(dpi) if known else None)
    points = 72 / dpi
    lines = []
    for element in html.fromstring(hocr).xpath(
        "//*[contains(@class, 'ocr_line') or contains(@class, 'ocr_header') "
        "or contains(@class, 'ocr_caption') or contains(@class, 'ocr_textfloat')]"
    ):
        words = [
            " ".join(word.text_content().split())
            for word in element.xpath(".//*[@class='ocrx_word']")
            if _title(word).get("x_wconf", ["0"])[0] != "0"
        ]
        text = " ".join(word for word in words if word)
        if not text:
            continue
        title = _title(element)
        left, top, right, bottom = (float(value) for value in title["bbox"])
        size = float(title.get("x_size", [bottom - top])[0])
        lines.append(
            Line(
                text,
                page,
                (grey.height - top) * points,
                (grey.height - bottom) * points,
                right * points,
                size * points,
                False,
            )
        )
    return lines


def _tesseract(image, page: int, ocr: Ocr, dpi: int | None) -> bytes:
    """Tesseract's hOCR of ``image``, read within ``ocr.page_seconds`` by one thread: Tesseract's own
    threads contend for two cores (8.4 s a page with them, 1.6 s without, here), so its process (and
    only it) is started with ``OMP_THREAD_LIMIT=1``."""
    pixels = io.BytesIO()
    image.save(pixels, "PPM")  # handed to Tesseract uncompressed: a PNG of a page takes 0.14 s to write
    command = ["tesseract", "stdin", "stdout", "-l", ocr.languages, *(["--dpi", str(dpi)] if dpi else []), "hocr"]
    try:
        done = subprocess.run(
            command,
            input=pixels.getvalue(),
            capture_output=True,
            timeout=ocr.page_seconds,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValueError(f"page {page} took over {ocr.page_seconds:g} s to read by OCR") from None
    if done.returncode:
        error = " ".join(done.stderr.decode(errors="replace").split())
        raise ValueError(f"page {page} could not be read by OCR (Tesseract: {error or done.returncode})")
    return done.stdout


def _title(element) -> dict[str, list[str]]:
    """An hOCR element's properties: ``bbox 1 2 3 4; x_size 40`` → {"bbox": ["1", "2", "3", "4"], "x_size": ["40"]}."""
    properties = {}
    for part in (element.get("title") or "").split(";"):
        name, *values = part.split()
        if name:
            properties[name] = values
    return properties


def _prepared(image):
    """``image`` as Tesseract reads best, and the scale it was brought to: grey, upright (EXIF), at most
    ``MAX_SIDE`` pixels long (Tesseract reads text as well at 200 dpi as at 300, faster), evenly lit
    and straight. Tesseract
    binarises a page with one threshold, which a shadow across a photo defeats (phone-like pages:
    13 % of characters wrong with uneven light alone), and reads a turned page's lines out of order
    (76 % with a 3° tilt alone): each pixel is divided by the page's background (its lightest
    surroundings, blurred), and the page is turned back by the angle that makes its rows of ink
    sharpest (benchmarks/ocr.py)."""
    import numpy as np
    from PIL import Image, ImageFilter, ImageOps

    grey = ImageOps.exif_transpose(image).convert("L")
    scale = min(1.0, MAX_SIDE / max(grey.size))
    if scale < 1:
        grey = grey.resize(
            (round(grey.width * scale), round(grey.height * scale)), Image.Resampling.BILINEAR, reducing_gap=2.0
        )
    background = (
        grey.reduce(8)
        .filter(ImageFilter.MaxFilter(3))
        .filter(ImageFilter.GaussianBlur(3))
        .resize(grey.size, Image.Resampling.BILINEAR)
    )
    pixels = np.asarray(grey, dtype=np.float32) / np.maximum(np.asarray(background, dtype=np.float32), 1)
    even = Image.fromarray(np.clip(pixels * 255, 0, 255).astype(np.uint8))
    small = even.copy()
    small.thumbnail((700, 700))
    ink = Image.fromarray(((np.asarray(small) < _INK) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:  # how unevenly the ink falls into rows
        return float(np.var(np.asarray(ink.rotate(angle, fillcolor=0), dtype=np.float32).sum(axis=1)))

    coarse = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.5), key=sharpness)
    angle = float(max(np.arange(coarse - 0.4, coarse + 0.41, 0.1), key=sharpness))
    if abs(angle) < 0.2:
        return even, scale
    return even.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255), scale


def pdf_page_lines(data: bytes, numbers: list[int], ocr: Ocr) -> list[list[Line]]:
    """The lines OCR reads on pages ``numbers`` (1-based) of a PDF file's bytes, a page per core at once."""
    from embeddings.documents.pdf import render_page

    images = [
        render_page(data, number, RESOLUTION, lambda w, h, n=number: _check_pixels(w, h, f"page {n}"))
        for number in numbers
    ]
    return _read_all(images, numbers, ocr)


def _read_all(images: list, numbers: list[int], ocr: Ocr) -> list[list[Line]]:
    # Each page is read by one Tesseract process with one thread, one more at once than there are
    # cores, so that no core waits while the last pages of a short scan are read (4 pages: 1.14
    # against 0.98 pages/s; 12 pages: the same 1.05; benchmarks/ocr.py).
    with ThreadPoolExecutor(len(os.sched_getaffinity(0)) + 1) as pool:
        return list(pool.map(lambda pair: image_lines(pair[0], pair[1], ocr), zip(images, numbers, strict=True)))


def image_pages(data: bytes) -> int:
    """How many pages (frames) an image file's bytes hold, or a ValueError saying why it can't be read."""
    with _opened(data) as image:
        return getattr(image, "n_frames", 1)


def image_page_lines(data: bytes, numbers: list[int], ocr: Ocr) -> list[list[Line]]:
    """The lines OCR reads on pages (frames) ``numbers`` (1-based) of an image file's bytes."""
    with _opened(data) as image:
        frames = []
        for number in numbers:
            image.seek(number - 1)
            _check_pixels(image.width, image.height, f"page {number}")  # each frame has a size of its own
            frames.append(image.copy())
    return _read_all(frames, numbers, ocr)


def _check_pixels(width: float, height: float, what: str) -> None:
    """A ValueError when an image of ``width`` × ``height`` pixels is over ``MAX_IMAGE_PIXELS``."""
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"{what} is too large an image ({round(width)} × {round(height)} pixels, over "
            f"{MAX_IMAGE_PIXELS // 1_000_000} million)"
        )


def _opened(data: bytes):
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's own check, at its own limit: it only warns up to twice that
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # its header: each frame's size is checked before it is read
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"is too large an image ({error})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValueError(f"is not a readable image ({error})") from None
    try:
        _check_pixels(image.width, image.height, "page 1")
    except ValueError:
        image.close()
        raise
    return image
