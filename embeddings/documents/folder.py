"""A documents folder: the files it holds, read into documents, and a fingerprint that changes with them."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from embeddings.defaults import MAX_DOCUMENT_BYTES
from embeddings.documents.document import Document
from embeddings.documents.formats import SUFFIXES, DocumentReader
from embeddings.documents.ocr import Ocr, Progress
from embeddings.files import fsync_folder, write_synced


@dataclass(frozen=True)
class Problem:
    """A file that could not be used, and why, in words for the person who put it there."""

    name: str
    message: str


@dataclass(frozen=True)
class DocumentSet:
    """The documents read from a folder, the files that were skipped, and the fingerprint of what was read."""

    documents: tuple[Document, ...]
    problems: tuple[Problem, ...] = field(default=())
    fingerprint: str = ""  # see folder_fingerprint; "" for documents that come from no folder


def document_paths(folder: Path) -> list[tuple[str, Path | None, str]]:
    """The files under ``folder`` that a reader knows (hidden files and folders skipped), sorted by name:
    each file's name relative to the folder, and either its real path or None and why it is skipped.

    Only regular files whose real path lies inside the folder are read: a link to a file inside is
    followed, a link out of the folder (``/etc/passwd``, ``../.env``), a link to a folder, a pipe or a
    device is skipped, and so is a name that isn't valid UTF-8 (it could not be shown or stored).
    """
    root = folder.resolve()
    found = []
    for parent, folders, files in os.walk(folder):  # links to folders are listed, not followed
        here = Path(parent)
        folders[:] = [name for name in folders if not name.startswith(".")]
        linked = [name for name in folders if (here / name).is_symlink()]
        for name in files + linked:
            path = here / name
            if name.startswith(".") or (name in files and path.suffix.lower() not in SUFFIXES):
                continue
            relative = path.relative_to(folder)
            shown = os.fsencode(relative).decode("utf-8", "backslashreplace")
            if shown != str(relative):  # undecodable bytes were kept as surrogates
                found.append((shown, None, "its name is not valid UTF-8; rename it"))
            elif name not in files:
                found.append((relative.as_posix(), None, "is a link to a folder, not followed"))
            else:
                found.append((relative.as_posix(), *_real_file(path, root)))
    return sorted(found, key=lambda item: item[0])


def _real_file(path: Path, root: Path) -> tuple[Path | None, str]:
    """``path``'s real path when it is a regular file inside ``root``, else None and why not."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop of links
        return None, "is a link to nothing"
    if not real.is_relative_to(root):
        return None, "is a link out of the documents folder"
    if not stat.S_ISREG(real.stat().st_mode):
        return None, "is not a regular file"
    return real, ""


def too_large(size: int, max_bytes: int) -> str:
    """Why a file of ``size`` bytes is not read."""
    return f"is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:g} MiB limit (TANYA_MAX_DOCUMENT_MB); split it"


class _Fingerprint:
    """A hash of every document's relative path and bytes (or, for one not read, why not)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, name: str, data: bytes | None, problem: str) -> None:
        self._digest.update(name.encode() + b"\x00")
        self._digest.update(hashlib.sha256(data).digest() if data is not None else problem.encode())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _read(path: Path | None, skipped: str, max_bytes: int) -> tuple[bytes | None, str]:
    """The bytes of the real file ``path`` (see ``document_paths``), or None and why it was not read
    (skipped, too large, unreadable).

    The file is opened without following a link, so one swapped in since ``document_paths`` looked is
    not read, and its size and kind are taken from what was opened.
    """
    if path is None:
        return None, skipped
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None, error.strerror or str(error)
    with os.fdopen(handle, "rb") as file:
        try:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                return None, "is not a regular file"
            if info.st_size > max_bytes:
                return None, too_large(info.st_size, max_bytes)
            return file.read(max_bytes + 1)[:max_bytes], ""
        except OSError as error:
            return None, error.strerror or str(error)


def read_documents(
    folder: Path, max_bytes: int = MAX_DOCUMENT_BYTES, *, ocr: Ocr, progress: Progress | None = None
) -> DocumentSet:
    """Read every document in ``folder`` (scanned pages as ``ocr`` says, told to ``progress`` page by
    page); a file that can't be used (unreadable, over ``max_bytes``, not in its format, empty) is
    reported, the rest still read. The set's fingerprint is that of
    the bytes read, so an index built from them records exactly what it holds."""
    if not folder.is_dir():
        raise FileNotFoundError(f"documents folder {folder} does not exist or is not a folder")
    documents, problems = [], []
    fingerprint = _Fingerprint()
    with DocumentReader(ocr=ocr, progress=progress) as reader:
        for name, path, skipped in document_paths(folder):
            data, problem = _read(path, skipped, max_bytes)
            fingerprint.add(name, data, problem)
            try:
                if data is None:
                    raise ValueError(problem)
                document = reader.read(name, data)
            except ValueError as error:
                problems.append(Problem(name, f"{name}: {error}"))
                continue
            if not document.sections:
                problems.append(Problem(name, f"{name}: has no text"))
                continue
            documents.append(document)
    return DocumentSet(tuple(documents), tuple(problems), fingerprint.hexdigest())


def folder_fingerprint(folder: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """A hash of every document's relative path and bytes (only the size of one over ``max_bytes``):
    it changes when any document does, and equals the fingerprint of ``read_documents``."""
    fingerprint = _Fingerprint()
    for name, path, skipped in document_paths(folder):
        fingerprint.add(name, *_read(path, skipped, max_bytes))
    return fingerprint.hexdigest()


MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 255  # in UTF-8: the longest file name most file systems take
NAME_TAG_CHARS = 8  # hex digits of the whole name's hash that a shortened name ends with


def safe_document_name(name: str) -> str:
    """A file name as given by a user, made safe to save in the documents folder: no folders, no
    hidden or control characters, at most ``MAX_NAME_CHARS`` characters and ``MAX_NAME_BYTES``
    bytes; a ValueError when nothing usable is left or its type is not one that can be read.

    A name too long is cut (at a character, never inside one) and tagged before its type with a
    hash of the whole name, ``~1a2b3c4d``, so that long names differing only past the cut stay
    different documents, and the same file sent again gets the same name.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = " ".join(base.split()).lstrip(". ")
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"“{name}” is not a type I can read ({', '.join(SUFFIXES)})")
    stem = base[: -len(suffix)].rstrip(". ")
    if not stem:
        raise ValueError(f"“{name}” has no usable name")
    whole = stem + suffix
    if len(whole) <= MAX_NAME_CHARS and len(whole.encode()) <= MAX_NAME_BYTES:
        return whole
    tag = "~" + hashlib.sha256(whole.encode()).hexdigest()[:NAME_TAG_CHARS] + suffix
    kept = stem.encode()[: MAX_NAME_BYTES - len(tag)].decode(errors="ignore")  # a character cut in two is dropped
    return kept[: MAX_NAME_CHARS - len(tag)].rstrip(". ") + tag


def safe_folder_name(name: str) -> bool:
    """Whether ``name`` may be a subfolder of the documents folder that uploads go into (a collection):
    one visible folder, no separators or control characters, not too long."""
    shown = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    return (
        bool(name)
        and shown == name == name.strip()
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and len(name) <= MAX_NAME_CHARS
        and len(name.encode()) <= MAX_NAME_BYTES
    )


def save_document(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` atomically (a crash leaves the old file or none, never half of
    one). ``name`` is a safe file name, or one inside a subfolder (``collection/file.pdf``), which is made
    if it is not there; a subfolder that is a link is refused."""
    subfolder, _, file_name = name.rpartition("/")
    if file_name != safe_document_name(file_name) or (subfolder and not safe_folder_name(subfolder)):
        raise ValueError(f"“{name}” is not a safe document name")
    parent = folder / subfolder if subfolder else folder
    if subfolder:
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            raise ValueError(f"“{subfolder}” is not a folder of its own in {folder.name}")
        if not parent.exists():
            parent.mkdir()
            fsync_folder(folder)
    target = parent / file_name
    descriptor, temporary = tempfile.mkstemp(prefix=".upload-", dir=parent)  # hidden: never read as a document
    try:
        os.close(descriptor)
        write_synced(Path(temporary), data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(parent)
    return target


def remove_document(folder: Path, name: str) -> None:
    """Delete the document ``name`` (a path relative to ``folder``, as documents are named)."""
    target = (folder / name).resolve()
    if folder.resolve() not in target.parents or target.suffix.lower() not in SUFFIXES:
        raise ValueError(f"“{name}” is not a document of {folder.name}")
    target.unlink()
    fsync_folder(target.parent)
