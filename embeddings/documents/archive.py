"""Zip-based documents (Word, PowerPoint, OpenDocument, EPUB): which kind an archive holds, and a check
that it unpacks to a sane size, counted as its parts inflate, before any library reads it."""

from __future__ import annotations

import io
import sys
import zipfile

# Uncompressed size of all the parts of one file, and how much larger than the file they may be:
# beyond either, the file is a zip bomb (documents of text compress about 4 to 10 times).
MAX_UNZIPPED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 100
_CHUNK = 2**20  # bytes inflated at a time while counting

# The part each kind of archive holds, by the kind's suffix.
MARKERS = {
    ".docx": "word/document.xml",
    ".pptx": "ppt/presentation.xml",
    ".odt": "content.xml",
    ".epub": "META-INF/container.xml",
}
_MIMETYPES = {b"application/vnd.oasis.opendocument.text": ".odt", b"application/epub+zip": ".epub"}


def archive_kind(data: bytes) -> str | None:
    """The suffix of the kind of document a zip archive's bytes hold (".docx", ".pptx", ".odt", ".epub"),
    None when it is none of them or no readable archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:  # OpenDocument and EPUB name their kind in their first part
                kind = _MIMETYPES.get(archive.read("mimetype")[:100].strip())
                if kind:
                    return kind
            return next((suffix for suffix, part in MARKERS.items() if part in names and suffix != ".odt"), None)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None


def check_archive(data: bytes, suffix: str, kind: str) -> None:
    """A ValueError unless ``data`` is a zip archive holding a ``kind`` document (the part MARKERS names
    for ``suffix``) of a sane unpacked size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueError(f"is not a {kind} (not a readable zip archive: {error})") from None
    limit = min(MAX_UNZIPPED_BYTES, MAX_COMPRESSION_RATIO * len(data))
    with archive:
        if MARKERS[suffix] not in archive.namelist():
            raise ValueError(f"is a zip archive but not a {kind} (no {MARKERS[suffix]})")
        declared = sum(info.file_size for info in archive.infolist())
        if declared > limit:
            raise ValueError(f"unpacks to {declared / 2**20:.0f} MiB, too much for its size (a zip bomb?)")
        try:
            inflated = _inflated_size(archive, limit)
        except Exception as error:  # noqa: BLE001 - zipfile and its decompressors raise many kinds for damaged parts
            raise damaged(kind, error) from None
    if inflated > limit:
        raise ValueError(f"unpacks to over {limit / 2**20:.0f} MiB, too much for its size (a zip bomb?)")


def damaged(kind: str, error: Exception) -> ValueError:
    """The error for a ``kind`` document with a part that cannot be read, saying why."""
    return ValueError(f"is a damaged {kind} ({type(error).__name__}: {error})")


def _inflated_size(archive: zipfile.ZipFile, limit: int) -> int:
    """How many bytes the parts of ``archive`` inflate to, counted a chunk at a time and stopped once past
    ``limit``."""
    total = 0
    for info in archive.infolist():
        # Counted as far as its compressed data goes, not to its declared size: zipfile cuts a part to
        # that size only after inflating each chunk it reads, and the readers read a part in one chunk.
        info.file_size = sys.maxsize
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    return total
    return total
