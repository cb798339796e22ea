"""The reader of plain text (``.txt``: paragraphs at blank lines, short lone lines as headings) and
Markdown (``.md``, parsed by markdown-it-py as CommonMark with tables)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from embeddings.documents.document import Document, Section, document_title

# A plain-text heading: one short line standing alone, not ending like a sentence.
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 12
_CLOSING_PUNCTUATION = tuple(".,;:!?…)\"'”’»")
_MARKDOWN = MarkdownIt("commonmark").enable("table")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def is_plain_text_heading(block: str) -> bool:
    """True for a block that is one short line without closing punctuation."""
    line = block.strip()
    if not line or "\n" in line or len(line) > MAX_HEADING_CHARS:
        return False
    if len(line.split()) > MAX_HEADING_WORDS:
        return False
    if line.endswith(")") and "(" in line:  # "Tunjangan Hari Raya (THR)": a bracket closes, not a sentence
        line = line[: line.rindex("(")].rstrip()
    return bool(line) and not line.endswith(_CLOSING_PUNCTUATION)


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
    return assemble(name, title, [(block, is_plain_text_heading(block)) for block in _blocks(text)])


def _inline_text(token: Token) -> str:
    """The plain text of an inline token: markup left out, line breaks as spaces, an image as its alt text."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return " ".join("".join(parts).split())


def parse_markdown(name: str, text: str) -> Document:
    """Sections of a Markdown document (CommonMark, with tables), split at its headings (``#`` and underlined)."""
    marked: list[tuple[str, bool]] = []
    items: list[str] = []  # items of the list being read (nested lists flattened into it)
    rows: list[str] = []  # rows of the table being read
    cells: list[str] = []
    lists = 0
    tokens = _MARKDOWN.parse(text)
    for number, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
            if lists == 0 and items:
                marked.append(("\n".join(f"• {item}" for item in items), False))
                items = []
        elif kind == "tr_close":
            if any(cells):
                rows.append(" | ".join(cell for cell in cells if cell))
            cells = []
        elif kind == "table_close":
            if rows:
                marked.append(("\n".join(rows), False))
            rows = []
        elif kind in ("fence", "code_block") and token.content.strip():
            marked.append((token.content.strip("\n"), False))
        elif kind == "inline":
            content = _inline_text(token)
            opener = tokens[number - 1].type
            if opener in ("th_open", "td_open"):
                cells.append(content)
            elif not content:
                continue
            elif opener == "heading_open":
                marked.append((content, True))
            elif lists:
                items.append(content)
            else:
                marked.append((content, False))
    return assemble(name, document_title(name), marked)


def assemble(name: str, title: str, blocks: list[tuple[str, bool]]) -> Document:
    """Sections from blocks of text marked as headings or not; text before the first heading is titled ``title``."""
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
        raise ValueError("looks like a binary file, not text (tanya reads text, Markdown, PDF, Word and web pages)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}); save it as UTF-8"
        ) from None
