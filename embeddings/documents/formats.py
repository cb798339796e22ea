"""Which reader reads a file, by its content first and its name second, and reading it safely.

A PDF or Word file is recognised by its bytes whatever its name, so a PDF renamed ``.txt`` is
still read as a PDF. PDF, Word and web pages are read in a separate process with a time and
memory limit: a damaged or hostile file (a zip bomb, 10 MB of nested tags) is reported, and
neither crashes nor hangs the indexing run.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import PurePosixPath

from embeddings.documents.document import Document
from embeddings.documents.text import read_text_document

# The file types the documents folder may hold, by suffix.
SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
READ_SECONDS = 60  # one file's reading (not embedding) may take this long; 300 PDF pages take about 1 s
READER_MEMORY_BYTES = 4 * 2**30  # address space of the reading process

logger = logging.getLogger(__name__)


def _read_pdf(name: str, data: bytes) -> Document:
    from embeddings.documents.pdf import read_pdf_document  # pypdfium2 is loaded in the reading process only

    return read_pdf_document(name, data)


def _read_word(name: str, data: bytes) -> Document:
    from embeddings.documents.word import read_docx_document

    return read_docx_document(name, data)


def _read_html(name: str, data: bytes) -> Document:
    from embeddings.documents.webpage import read_html_document

    return read_html_document(name, data)


def reader_for(name: str, data: bytes) -> Callable[[str, bytes], Document]:
    """The reader for a file: PDF and Word files by their bytes, web pages by either, text by the name."""
    head = data[:1024]
    if b"%PDF-" in head:
        return _read_pdf
    if data.startswith(b"PK\x03\x04"):  # a zip archive: of our formats, only Word's
        return _read_word
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".pdf":
        return _read_pdf
    if suffix == ".docx":
        return _read_word
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix in (".html", ".htm") or start.startswith((b"<!doctype html", b"<html")):
        return _read_html
    return read_text_document


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (READER_MEMORY_BYTES, READER_MEMORY_BYTES))


class DocumentReader:
    """Reads files into documents; the formats that need it in a worker process, at most ``READ_SECONDS`` each.

    Use it as a context manager: the worker process is started on the first such file and
    stopped at the end.
    """

    def __init__(self, seconds: float = READ_SECONDS) -> None:
        self.seconds = seconds
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop(kill=False)

    def read(self, name: str, data: bytes) -> Document:
        """The document in a file's bytes, or a ValueError that says why it can't be read."""
        reader = reader_for(name, data)
        if reader is read_text_document:
            return reader(name, data)
        if self._pool is None:
            # spawn: a fork of a process running ONNX Runtime's threads may deadlock
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context, initializer=_limit_memory)
        future = self._pool.submit(reader, name, data)
        try:
            return future.result(timeout=self.seconds)
        except concurrent.futures.TimeoutError:
            self._stop(kill=True)
            raise ValueError(f"took over {self.seconds:g} s to read; it was skipped") from None
        except BrokenProcessPool:
            self._stop(kill=True)
            raise ValueError("crashed the reader (a damaged file?); it was skipped") from None
        except MemoryError:
            raise ValueError("needs too much memory to read (a damaged file?); it was skipped") from None
        except ValueError:
            raise
        except Exception as error:  # noqa: BLE001 - a reader's library failing on a damaged file must not end the run
            logger.warning("reading %s failed", name, exc_info=error)
            raise ValueError(f"could not be read ({type(error).__name__}: {error})") from None

    def _stop(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:  # the executor has no public way to stop a task that runs: end its process
            for process in list(pool._processes.values()):  # noqa: SLF001
                process.kill()
        pool.shutdown(wait=not kill, cancel_futures=True)
