"""Which reader reads a file, by its content first and its name second, and reading it safely.

A PDF, Word, PowerPoint, OpenDocument, EPUB or image file is recognised by its bytes whatever its
name, so a PDF renamed ``.txt`` is still read as a PDF. All but plain text and Markdown are read in
a separate process with a time and memory limit: a damaged or hostile file (a zip bomb, 10 MB of
nested tags) is reported, and neither crashes nor hangs the indexing run. Scanned PDF pages and
images are read by OCR there too, a step at a time (``embeddings.documents.ocr``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import PurePosixPath

from embeddings.documents.archive import archive_kind
from embeddings.documents.document import Document
from embeddings.documents.faq import questions_and_answers
from embeddings.documents.ocr import IMAGE_SUFFIXES, Ocr, Progress, read_scanned
from embeddings.documents.text import read_text_document

# The file types the documents folder may hold, by suffix.
SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".pptx", ".odt", ".epub", ".html", ".htm", *IMAGE_SUFFIXES)
READ_SECONDS = 60  # one file's reading (not embedding) may take this long; 300 PDF pages take about 1 s
READER_MEMORY_BYTES = 4 * 2**30  # address space of the reading process

logger = logging.getLogger(__name__)


def _read_word(name: str, data: bytes) -> Document:
    from embeddings.documents.word import read_docx_document

    return read_docx_document(name, data)


def _read_html(name: str, data: bytes) -> Document:
    from embeddings.documents.webpage import read_html_document

    return read_html_document(name, data)


def _read_slides(name: str, data: bytes) -> Document:
    from embeddings.documents.slides import read_pptx_document

    return read_pptx_document(name, data)


def _read_opendocument(name: str, data: bytes) -> Document:
    from embeddings.documents.opendocument import read_odt_document

    return read_odt_document(name, data)


def _read_ebook(name: str, data: bytes) -> Document:
    from embeddings.documents.ebook import read_epub_document

    return read_epub_document(name, data)


# The formats read whole in the reading process, by the name ``format_of`` gives them. The others:
# "pdf" and "image", read there a step at a time, their pages without text by OCR
# (``embeddings.documents.ocr.read_scanned``), and "text", read here.
_WHOLE = {
    "docx": _read_word,
    "pptx": _read_slides,
    "odt": _read_opendocument,
    "epub": _read_ebook,
    "html": _read_html,
}
_ARCHIVES = ("docx", "pptx", "odt", "epub")  # zip-based (embeddings.documents.archive)
_SCANNED = ("pdf", "image")

# The first bytes of the image formats read by OCR.
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def format_of(name: str, data: bytes) -> str:
    """The format a file is read as ("pdf", "image", "docx", "pptx", "odt", "epub", "html" or "text"):
    PDF, zip-based documents and images by their bytes (else by name), web pages by either, text by the name."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    suffix = PurePosixPath(name).suffix.lower()
    if head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if data.startswith(b"PK\x03\x04"):  # a zip archive: which document it holds, or what its name says
        kind = (archive_kind(data) or suffix).removeprefix(".")
        return kind if kind in _ARCHIVES else "docx"
    if suffix == ".pdf":
        return "pdf"
    if suffix.removeprefix(".") in _ARCHIVES:
        return suffix.removeprefix(".")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix in (".html", ".htm") or start.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (READER_MEMORY_BYTES, READER_MEMORY_BYTES))


class DocumentReader:
    """Reads files into documents; the formats that need it in a worker process, at most ``READ_SECONDS`` each.

    Use it as a context manager: the worker process is started on the first such file and
    stopped at the end.
    """

    def __init__(self, seconds: float = READ_SECONDS, *, ocr: Ocr, progress: Progress | None = None) -> None:
        """Read each file within ``seconds``, scanned pages as ``ocr`` says, telling ``progress`` how far
        OCR has got."""
        self.seconds = seconds
        self.ocr = ocr
        self.progress = progress
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop(kill=False)

    def read(self, name: str, data: bytes) -> Document:
        """The document in a file's bytes, its FAQ's questions and answers as sections of their own
        (``embeddings.documents.faq``), or a ValueError that says why it can't be read."""
        return questions_and_answers(self._read(name, data))

    def _read(self, name: str, data: bytes) -> Document:
        kind = format_of(name, data)
        if kind == "text":
            return read_text_document(name, data)
        if kind in _SCANNED:
            return read_scanned(name, data, kind == "pdf", self.ocr, self._run, self.progress)
        return self._run(_WHOLE[kind], name, data)

    def _run(self, function: Callable, *args, extra_seconds: float = 0.0):
        """``function(*args)`` in the reading process, within this reader's ``seconds`` and ``extra_seconds`` more."""
        if self._pool is None:
            # spawn: a fork of a process running ONNX Runtime's threads may deadlock
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context, initializer=_limit_memory)
        seconds = self.seconds + extra_seconds
        future = self._pool.submit(function, *args)
        try:
            return future.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            self._stop(kill=True)
            raise ValueError(f"took over {seconds:g} s to read; it was skipped") from None
        except BrokenProcessPool:
            self._stop(kill=True)
            raise ValueError("crashed the reader (a damaged file?); it was skipped") from None
        except MemoryError:
            raise ValueError("needs too much memory to read (a damaged file?); it was skipped") from None
        except ValueError:
            raise
        except Exception as error:  # noqa: BLE001 - a reader's library failing on a damaged file must not end the run
            logger.warning(
                "reading %s failed", args[0] if args and isinstance(args[0], str) else "a file", exc_info=error
            )
            raise ValueError(f"could not be read ({type(error).__name__}: {error})") from None

    def _stop(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:  # the executor has no public way to stop a task that runs: end its process
            for process in list(pool._processes.values()):  # noqa: SLF001
                process.kill()
        pool.shutdown(wait=not kill, cancel_futures=True)
