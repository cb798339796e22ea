"""The reader of Word files (``.docx``), with python-docx: heading styles make sections; tables and lists stay
readable."""

from __future__ import annotations

import io

import docx
from docx.document import Document as WordDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from embeddings.documents.archive import check_archive, damaged
from embeddings.documents.document import Document, Section, document_title

KIND = "Word document"


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
    check_archive(data, ".docx", KIND)
    try:
        word: WordDocument = docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds for damaged parts
        raise damaged(KIND, error) from None
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
