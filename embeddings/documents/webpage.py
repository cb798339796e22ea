"""The reader of web pages (``.html``, ``.htm``), with BeautifulSoup: the main content, sections at ``h1``-``h6``."""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

from embeddings.documents.document import Document, Section, document_title

# Page furniture, not content: navigation, scripts, styles, forms.
_LEFT_OUT = [
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
    "textarea",
    "dialog",
]
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_TEXT_BLOCKS = ["p", "li", "pre", "blockquote", "tr", "dt", "dd", "figcaption", "caption"]


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def read_html_document(name: str, data: bytes) -> Document:
    """The document in a web page's bytes (any encoding the page declares), or a ValueError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # XHTML (e-books' chapters) reads fine as HTML
        soup = BeautifulSoup(data, "lxml")
    page_title = " ".join(soup.title.get_text().split()) if soup.title else ""
    for tag in soup(_LEFT_OUT):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    title = page_title or document_title(name)
    sections: list[Section] = []
    current, paragraphs = title, []
    group: tuple[Tag | None, list[str]] = (None, [])  # the list or table being read, and its lines

    def end_group() -> None:
        container, lines = group
        if lines:
            bullet = "" if container.name == "table" else "• "
            paragraphs.append("\n".join(bullet + line for line in lines))
            lines.clear()

    for tag in root.find_all(_HEADINGS + _TEXT_BLOCKS):
        if tag.find_parent(_TEXT_BLOCKS) is not None and tag.name not in ("li", "tr"):
            continue  # inside a block read whole
        if tag.name in ("li", "tr"):
            container = tag.find_parent(["ul", "ol", "table"] if tag.name == "li" else ["table"])
            if tag.find_parent(["li"]) is not None or (tag.name == "tr" and container is None):
                continue  # a nested list is read with its item
            if container is not group[0]:
                end_group()
                group = (container, [])
            cells = [_text(cell) for cell in tag.find_all(["td", "th"], recursive=False)] if tag.name == "tr" else []
            line = " | ".join(cell for cell in cells if cell) if tag.name == "tr" else _text(tag)
            if line:
                group[1].append(line)
            continue
        end_group()
        text = _text(tag)
        if not text:
            continue
        if tag.name in _HEADINGS:
            if paragraphs:
                sections.append(Section(current, tuple(paragraphs)))
            current, paragraphs = text, []
        else:
            paragraphs.append(text)
    end_group()
    if paragraphs:
        sections.append(Section(current, tuple(paragraphs)))
    if not sections and (loose := _text(root)):  # text outside any paragraph: one paragraph
        sections.append(Section(title, (loose,)))
    return Document(name=name, title=title, sections=tuple(sections))
