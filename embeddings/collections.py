"""Collections: each top-level subfolder of the documents folder is one, named after it; the files
directly in the folder form ``GENERAL``. One index holds them all; a question is searched among the
passages of the collections its chat may read (``PassageIndex.selection``)."""

from __future__ import annotations

GENERAL = "general"  # the collection of the files directly in the documents folder


def collection_of(document: str) -> str:
    """The collection of the document named ``document`` (its path relative to the documents folder,
    with "/" between folders)."""
    folder, separator, _ = document.partition("/")
    return folder if separator else GENERAL


def folder_of(collection: str) -> str:
    """Where a collection's files go, relative to the documents folder: "" for ``GENERAL``."""
    return "" if collection == GENERAL else collection
