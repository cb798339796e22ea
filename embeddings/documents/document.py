"""A document as every reader returns it: titled sections of paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """A titled run of paragraphs inside one document."""

    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One file of the documents folder, named by its path relative to that folder."""

    name: str
    title: str
    sections: tuple[Section, ...]


def document_title(name: str) -> str:
    """A readable title from a file name: ``laporan-tahunan_2024.md`` → ``Laporan Tahunan 2024``."""
    stem = Path(name).stem
    words = re.split(r"[-_\s]+", stem)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or stem
