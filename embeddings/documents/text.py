"""The reader of plain text (``.txt``) and Markdown (``.md``): sections at headings, paragraphs at blank lines."""

from __future__ import annotations

import re

from embeddings.documents.document import Document, Section, document_title

SUFFIXES = (".txt", ".md")
# A plain-text heading: one short line standing alone, not ending like a sentence.
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 12
_CLOSING_PUNCTUATION = tuple(".,;:!?…)\"'”’»")
_MARKDOWN_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def is_plain_text_heading(block: str) -> bool:
    """True for a block that is one short line without closing punctuation."""
    line = block.strip()
    if not line or "\n" in line or len(line) > MAX_HEADING_CHARS:
        return False
    if len(line.split()) > MAX_HEADING_WORDS:
        return False
    return not line.endswith(_CLOSING_PUNCTUATION)


def _blocks(text: str) -> list[str]:
    """Paragraph blocks: text between blank lines, inner line breaks folded to spaces."""
    blocks = []
    for raw in _BLANK_LINES.split(text):
        lines = [line.strip() for line in raw.split("\n")]
        joined = " ".join(line for line in lines if line)
        if joined:
            blocks.append(joined)
    return blocks


def parse_plain_text(name: str, text: str) -> Document:
    """Sections of a plain-text document; text before the first heading is titled after the document."""
    title = document_title(name)
    return _assemble(name, title, [(block, is_plain_text_heading(block)) for block in _blocks(text)])


def parse_markdown(name: str, text: str) -> Document:
    """Sections of a Markdown document, split at ``#`` headings."""
    title = document_title(name)
    marked: list[tuple[str, bool]] = []
    pending: list[str] = []
    for line in text.split("\n"):
        heading = _MARKDOWN_HEADING.match(line)
        if heading:
            marked.extend((block, False) for block in _blocks("\n".join(pending)))
            pending = []
            if heading.group(2).strip():
                marked.append((heading.group(2).strip(), True))
        else:
            pending.append(line)
    marked.extend((block, False) for block in _blocks("\n".join(pending)))
    return _assemble(name, title, marked)


def _assemble(name: str, title: str, blocks: list[tuple[str, bool]]) -> Document:
    sections: list[Section] = []
    current_title, paragraphs = title, []
    for block, is_heading in blocks:
        if is_heading:
            if paragraphs:
                sections.append(Section(current_title, tuple(paragraphs)))
            current_title, paragraphs = block, []
        else:
            paragraphs.append(block)
    if paragraphs:
        sections.append(Section(current_title, tuple(paragraphs)))
    return Document(name=name, title=title, sections=tuple(sections))


def read_text_document(name: str, data: bytes) -> Document:
    """The document in a ``.txt`` or ``.md`` file's bytes, or a ValueError that says what is wrong with them."""
    return parse_document(name, decode_document(name, data))


def parse_document(name: str, text: str) -> Document:
    """Parse a document's text by its file type (Markdown for ``.md``, plain text otherwise)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if name.lower().endswith(".md"):
        return parse_markdown(name, text)
    return parse_plain_text(name, text)


def decode_document(name: str, data: bytes) -> str:
    """UTF-8 text of a file, or a ValueError that says what is wrong with it."""
    if b"\x00" in data[:8192]:
        raise ValueError("looks like a binary file, not text; only UTF-8 .txt and .md files can be indexed")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}); save it as UTF-8"
        ) from None
