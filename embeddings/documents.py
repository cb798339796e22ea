"""Documents folder → documents → sections (headings) → paragraphs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

DOCUMENT_SUFFIXES = (".txt", ".md")
MAX_DOCUMENT_BYTES = 10 * 2**20  # 10 MiB of text: about 25,000 passages, some 20 minutes of indexing here
# A plain-text heading: one short line standing alone, not ending like a sentence.
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 12
_CLOSING_PUNCTUATION = tuple(".,;:!?…)\"'”’»")
_MARKDOWN_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


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


@dataclass(frozen=True)
class Problem:
    """A file that could not be used, and why, in words for the person who put it there."""

    name: str
    message: str


@dataclass(frozen=True)
class DocumentSet:
    """The documents read from a folder, and the files that were skipped."""

    documents: tuple[Document, ...]
    problems: tuple[Problem, ...] = field(default=())


def document_title(name: str) -> str:
    """A readable title from a file name: ``laporan-tahunan_2024.md`` → ``Laporan Tahunan 2024``."""
    stem = Path(name).stem
    words = re.split(r"[-_\s]+", stem)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or stem


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


def document_paths(folder: Path) -> list[Path]:
    """The ``.txt`` and ``.md`` files under ``folder`` (hidden files and folders skipped), sorted."""
    paths = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in DOCUMENT_SUFFIXES and path.is_file():
            paths.append(path)
    return sorted(paths)


def _too_large(size: int, max_bytes: int) -> str:
    return f"is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:g} MiB limit (TANYA_MAX_DOCUMENT_MB); split it"


def read_documents(folder: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> DocumentSet:
    """Read every document in ``folder``; a file that can't be used (unreadable, over ``max_bytes``,
    not UTF-8 text, empty) is reported, the rest still read."""
    if not folder.is_dir():
        raise FileNotFoundError(f"documents folder {folder} does not exist or is not a folder")
    documents, problems = [], []
    for path in document_paths(folder):
        name = path.relative_to(folder).as_posix()
        try:
            size = path.stat().st_size
            if size > max_bytes:
                problems.append(Problem(name, f"{name}: {_too_large(size, max_bytes)}"))
                continue
            text = decode_document(name, path.read_bytes())
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            problems.append(Problem(name, f"{name}: {reason}"))
            continue
        document = parse_document(name, text)
        if not document.sections:
            problems.append(Problem(name, f"{name}: has no text"))
            continue
        documents.append(document)
    return DocumentSet(tuple(documents), tuple(problems))


def folder_fingerprint(folder: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """A hash of every document's relative path and bytes (only the size of one over ``max_bytes``):
    it changes when any document does."""
    digest = hashlib.sha256()
    for path in document_paths(folder):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\x00")
        try:
            size = path.stat().st_size
            digest.update(f"too large: {size}".encode() if size > max_bytes else hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()
