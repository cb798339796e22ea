"""The reader of Word files (``.docx``), with python-docx: heading styles make sections; tables and lists stay
readable."""

from __future__ import annotations

import io
import sys
import zipfile

import docx
from docx.document import Document as WordDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from embeddings.documents.document import Document, Section, document_title

# Uncompressed size of all the parts of one file, and how much larger than the file they may be:
# beyond either, the file is a zip bomb (a .docx of text compresses about 4 to 10 times).
MAX_UNZIPPED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 100
_CHUNK = 2**20  # bytes inflated at a time while counting


def _check_zip(data: bytes) -> None:
    """A ValueError unless ``data`` is a zip archive holding a Word document of a sane unpacked size,
    counted as its parts inflate, not only as the archive declares."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueError(f"is not a Word document (not a readable zip archive: {error})") from None
    limit = min(MAX_UNZIPPED_BYTES, MAX_COMPRESSION_RATIO * len(data))
    with archive:
        if "word/document.xml" not in archive.namelist():
            raise ValueError("is a zip archive but not a Word document (no word/document.xml)")
        declared = sum(info.file_size for info in archive.infolist())
        if declared > limit:
            raise ValueError(f"unpacks to {declared / 2**20:.0f} MiB, too much for its size (a zip bomb?)")
        try:
            inflated = _inflated_size(archive, limit)
        except Exception as error:  # noqa: BLE001 - zipfile and its decompressors raise many kinds for damaged parts
            raise _damaged(error) from None
    if inflated > limit:
        raise ValueError(f"unpacks to over {limit / 2**20:.0f} MiB, too much for its size (a zip bomb?)")


def _inflated_size(archive: zipfile.ZipFile, limit: int) -> int:
    """How many bytes the parts of ``archive`` inflate to, counted a chunk at a time and stopped once past
    ``limit``."""
    total = 0
    for info in archive.infolist():
        # Counted as far as its compressed data goes, not to its declared size: zipfile cuts a part to
        # that size only after inflating each chunk it reads, and python-docx reads a part in one chunk.
        info.file_size = sys.maxsize
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    return total
    return total


def _damaged(error: Exception) -> ValueError:
    """The error for a Word file with a part that cannot be read, saying why."""
    return ValueError(f"is a damaged Word document ({type(error).__name__}: {error})")


def _heading_level(paragraph: Paragraph) -> int | None:
    """1 for the title and first-level headings, 2-9 below; None for body text."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 1
    if name.startswith("Heading"):
        level = name.removeprefix("Heading").strip()
        return int(level) if level.isdigit() else 1
    return None


def _is_list_item(paragraph: Paragraph) -> bool:
    properties = paragraph._p.pPr  # python-docx has no public API for numbering
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.startswith("List") or (properties is not None and properties.numPr is not None)


def _table_text(table: Table) -> str:
    """A table as text: a line a row, cells separated by " | " (merged cells once)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def read_docx_document(name: str, data: bytes) -> Document:
    """The document in a ``.docx`` file's bytes, or a ValueError that says why it can't be read."""
    _check_zip(data)
    try:
        word: WordDocument = docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds for damaged parts
        raise _damaged(error) from None
    title = document_title(name)
    sections: list[Section] = []
    current, paragraphs = title, []
    items: list[str] = []  # the list being read

    def end_list() -> None:
        if items:
            paragraphs.append("\n".join(f"• {item}" for item in items))
            items.clear()

    for block in word.iter_inner_content():
        if isinstance(block, Table):
            end_list()
            if text := _table_text(block):
                paragraphs.append(text)
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        if _heading_level(block) is not None:
            end_list()
            if paragraphs:
                sections.append(Section(current, tuple(paragraphs)))
            current, paragraphs = text, []
        elif _is_list_item(block):
            items.append(text)
        else:
            end_list()
            paragraphs.append(text)
    end_list()
    if paragraphs:
        sections.append(Section(current, tuple(paragraphs)))
    return Document(name=name, title=title, sections=tuple(sections))
