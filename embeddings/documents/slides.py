"""The reader of PowerPoint files (``.pptx``), with python-pptx: each slide a section (its title), its
text boxes, tables and speaker notes the paragraphs, on the slide's number as their page."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.shapes.base import BaseShape

from embeddings.documents.archive import check_archive, damaged
from embeddings.documents.document import Document, Section, document_title

KIND = "PowerPoint presentation"


def _shape_texts(shape: BaseShape) -> list[str]:
    """The text of a shape: a text box's lines, a table's rows, a group's shapes in turn."""
    if shape.shape_type is not None and hasattr(shape, "shapes"):  # a group
        return [text for inner in shape.shapes for text in _shape_texts(inner)]
    if getattr(shape, "has_table", False):
        rows = [
            " | ".join(" ".join(cell.text.split()) for cell in row.cells if cell.text.strip())
            for row in shape.table.rows
        ]
        return ["\n".join(row for row in rows if row)] if any(rows) else []
    if getattr(shape, "has_text_frame", False):
        lines = [" ".join(paragraph.text.split()) for paragraph in shape.text_frame.paragraphs]
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []


def read_pptx_document(name: str, data: bytes) -> Document:
    """The document in a ``.pptx`` file's bytes, or a ValueError that says why it can't be read."""
    check_archive(data, ".pptx", KIND)
    try:
        presentation = Presentation(io.BytesIO(data))
        sections = []
        for number, slide in enumerate(presentation.slides, start=1):
            title_shape = slide.shapes.title
            title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
            title_id = title_shape.shape_id if title_shape is not None else None
            paragraphs = [text for shape in slide.shapes if shape.shape_id != title_id for text in _shape_texts(shape)]
            if slide.has_notes_slide and (notes := " ".join(slide.notes_slide.notes_text_frame.text.split())):
                paragraphs.append(notes)
            if paragraphs:
                sections.append(Section(title or f"{number}", tuple(paragraphs), (number,) * len(paragraphs)))
    except Exception as error:  # noqa: BLE001 - python-pptx raises many kinds for damaged parts
        raise damaged(KIND, error) from None
    return Document(name=name, title=document_title(name), sections=tuple(sections))
