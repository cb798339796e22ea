"""Text from images of pages (scanned PDF pages, photos, image files) with Tesseract 5 through pytesseract.

Tesseract gives each word's box; words are gathered into lines with their positions, in the PDF
reader's coordinates, so that a scanned page goes through the same assembly as a page with a text
layer (``embeddings.documents.pdf.lines_document``): headings by their size, paragraphs by the gaps
between lines, running headers left out, hyphenated words joined. Tesseract is a program installed
from the system's packages (``tesseract-ocr`` and its languages); without it, scans are named as
unread, as before.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from embeddings.defaults import OCR_LANGUAGES, OCR_MAX_PAGES, OCR_PAGE_SECONDS
from embeddings.documents.document import Line

RESOLUTION = 300  # dots per inch a PDF page is rendered at for OCR
MAX_SIDE = 2339  # pixels: the long side of an A4 page at 200 dpi; larger images are scaled down to it
MAX_IMAGE_PIXELS = 80_000_000  # an image larger than this (an A4 page at 300 dpi is 8.7 million) is refused
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")
_INK = 160  # grey level below which a pixel is ink, when measuring a page's skew
_MAX_SKEW = 5.0  # degrees a photo may be turned by (tried both ways, in steps)


@dataclass(frozen=True)
class Ocr:
    """How scanned pages are read: Tesseract's languages (``ind+eng``), the most pages of one file, the
    time one page may take, and where results are kept by the file's checksum (None: not kept)."""

    languages: str = OCR_LANGUAGES
    max_pages: int = OCR_MAX_PAGES
    page_seconds: float = OCR_PAGE_SECONDS
    cache_dir: Path | None = None


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
    import pytesseract
    from lxml import html

    grey, scale = _prepared(image)
    grey.format = "PPM"  # handed to Tesseract uncompressed: a PNG of a page takes 0.14 s to write
    known = (image.info.get("dpi") or (0, 0))[1]  # a photo may not say; Tesseract then estimates it
    dpi = float(known or RESOLUTION) * scale
    try:
        hocr = pytesseract.image_to_pdf_or_hocr(
            grey,
            lang=ocr.languages,
            extension="hocr",
            timeout=ocr.page_seconds,
            config=f"--dpi {round(dpi)}" if known else "",
        )
    except RuntimeError as error:  # pytesseract's timeout
        raise ValueError(f"page {page} took over {ocr.page_seconds:g} s to read by OCR ({error})") from None
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
    # Tesseract's own threads contend for two cores (8.4 s a page with them, 1.6 s without, here):
    # each page is read by one Tesseract process with one thread, one more at once than there are
    # cores, so that no core waits while the last pages of a short scan are read (4 pages: 1.14
    # against 0.98 pages/s; 12 pages: the same 1.05; benchmarks/ocr.py).
    os.environ["OMP_THREAD_LIMIT"] = "1"
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

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # Pillow only warns up to twice the limit
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"is too large an image ({error})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValueError(f"is not a readable image ({error})") from None
