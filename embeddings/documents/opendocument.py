"""The reader of OpenDocument text files (``.odt``), with odfpy: headings make sections; lists and tables
stay readable, as in Word files."""

from __future__ import annotations

import io

from odf import teletype
from odf.namespaces import TABLENS, TEXTNS
from odf.opendocument import load
from odf.table import TableRow
from odf.text import ListItem

from embeddings.documents.archive import check_archive, damaged
from embeddings.documents.document import Document, document_title
from embeddings.documents.text import assemble

KIND = "OpenDocument text"


def _blocks(element):
    """(is it a heading, its text) for the headings, paragraphs, lists and tables under ``element``, in order."""
    for node in element.childNodes:
        if node.nodeType != node.ELEMENT_NODE:
            continue
        if node.qname == (TEXTNS, "h"):
            yield True, " ".join(teletype.extractText(node).split())
        elif node.qname == (TEXTNS, "p"):
            yield False, " ".join(teletype.extractText(node).split())
        elif node.qname == (TEXTNS, "list"):
            items = [" ".join(teletype.extractText(item).split()) for item in node.getElementsByType(ListItem)]
            yield False, "\n".join(f"• {item}" for item in items if item)
        elif node.qname == (TABLENS, "table"):
            rows = [
                " | ".join(text for cell in row.childNodes if (text := " ".join(teletype.extractText(cell).split())))
                for row in node.getElementsByType(TableRow)
            ]
            yield False, "\n".join(row for row in rows if row)
        else:  # text:section, and other containers
            yield from _blocks(node)


def read_odt_document(name: str, data: bytes) -> Document:
    """The document in an ``.odt`` file's bytes, or a ValueError that says why it can't be read."""
    check_archive(data, ".odt", KIND)
    try:
        blocks = list(_blocks(load(io.BytesIO(data)).text))
    except Exception as error:  # noqa: BLE001 - odfpy raises many kinds for damaged parts
        raise damaged(KIND, error) from None
    return assemble(name, document_title(name), [(text, heading) for heading, text in blocks if text])
