"""The reader of EPUB e-books (``.epub``): its chapters, in reading order, read as web pages (sections at
their headings).

The EPUB package (``META-INF/container.xml`` → the OPF file → its spine) is read with lxml and zipfile
rather than EbookLib, whose AGPL licence tanya's MIT one cannot carry.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

from embeddings.documents.archive import check_archive, damaged
from embeddings.documents.document import Document, document_title
from embeddings.documents.webpage import read_html_document

KIND = "EPUB e-book"
_CHAPTERS = {"application/xhtml+xml", "text/html"}
_NAMESPACES = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "o": "http://www.idpf.org/2007/opf"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_epub_document(name: str, data: bytes) -> Document:
    """The document in an ``.epub`` file's bytes, or a ValueError that says why it can't be read."""
    check_archive(data, ".epub", KIND)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            container = etree.fromstring(archive.read("META-INF/container.xml"), _PARSER)
            package = container.find(".//c:rootfile", _NAMESPACES).get("full-path")
            opf = etree.fromstring(archive.read(package), _PARSER)
            folder = posixpath.dirname(package)
            manifest = {item.get("id"): item for item in opf.iterfind(".//o:manifest/o:item", _NAMESPACES)}
            chapters = []
            for reference in opf.iterfind(".//o:spine/o:itemref", _NAMESPACES):
                item = manifest.get(reference.get("idref"))
                if item is not None and item.get("media-type") in _CHAPTERS:
                    path = posixpath.normpath(posixpath.join(folder, item.get("href")))
                    chapters.append(read_html_document(name, archive.read(path)))
    except Exception as error:  # noqa: BLE001 - a damaged package fails in many ways
        raise damaged(KIND, error) from None
    return Document(
        name=name,
        title=document_title(name),
        sections=tuple(section for chapter in chapters for section in chapter.sections),
    )
