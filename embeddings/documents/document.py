"""A document as every reader returns it: titled sections of paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """A titled run of paragraphs inside one document, with the page each starts on where the format has pages."""

    title: str
    paragraphs: tuple[str, ...]
    pages: tuple[int, ...] = ()  # 1-based, one per paragraph; empty for formats without pages
    faq: bool = False  # the title is a question (of a FAQ) that the paragraphs answer

    def page_of(self, paragraph: int) -> int | None:
        """The page paragraph ``paragraph`` (0-based) starts on, if the document has pages."""
        return self.pages[paragraph] if self.pages else None


@dataclass(frozen=True)
class Document:
    """One file of the documents folder, named by its path relative to that folder."""

    name: str
    title: str
    sections: tuple[Section, ...]
    scanned_pages: frozenset[int] = frozenset()  # pages read by OCR (an image's frames are its pages)


@dataclass
class Line:
    """A line of text on a page, as a PDF's text layer or OCR gives it: in points from the page's bottom left."""

    text: str
    page: int  # 1-based
    top: float
    bottom: float
    right: float
    size: float  # font size of its first character (for a line read by OCR: its height)
    bold: bool


def document_title(name: str) -> str:
    """A readable title from a file name: ``laporan-tahunan_2024.md`` → ``Laporan Tahunan 2024``."""
    stem = Path(name).stem
    words = re.split(r"[-_\s]+", stem)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or stem
