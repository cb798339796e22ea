"""Which reader reads a file, by its content first and its name second, and reading it safely.

A PDF, Word, PowerPoint, OpenDocument, EPUB or image file is recognised by its bytes whatever its
name, so a PDF renamed ``.txt`` is still read as a PDF. All but plain text and Markdown are read in
a separate process with a time and memory limit: a damaged or hostile file (a zip bomb, 10 MB of
nested tags) is reported, and neither crashes nor hangs the indexing run. Scanned PDF pages and
images are read by OCR there too, a page at a time, each within its own time limit; what OCR read
is kept by the file's checksum, so an unchanged scan is not read again.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import PurePosixPath

from embeddings.documents.archive import archive_kind
from embeddings.documents.document import Document, Line
from embeddings.documents.faq import questions_and_answers
from embeddings.documents.ocr import IMAGE_SUFFIXES, Ocr, ocr_missing
from embeddings.documents.text import read_text_document
from embeddings.files import write_synced

# The file types the documents folder may hold, by suffix.
SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".pptx", ".odt", ".epub", ".html", ".htm", *IMAGE_SUFFIXES)
READ_SECONDS = 60  # one file's reading (not embedding) may take this long; 300 PDF pages take about 1 s
READER_MEMORY_BYTES = 4 * 2**30  # address space of the reading process
Progress = Callable[[str, int, int], None]  # told a file's name, its pages OCR has read, and those it reads

logger = logging.getLogger(__name__)


def _read_pdf(name: str, data: bytes) -> Document:
    """A PDF, its scanned pages read by OCR (in this process: ``DocumentReader`` runs it a step at a time)."""
    return read_paged(name, data, True, Ocr(), _call)[0]


def _read_image(name: str, data: bytes) -> Document:
    """An image file, read by OCR (in this process: ``DocumentReader`` runs it a step at a time)."""
    return read_paged(name, data, False, Ocr(), _call)[0]


def _call(function: Callable, *args, seconds: float | None = None):
    return function(*args)


def read_paged(
    name: str,
    data: bytes,
    pdf: bool,
    ocr: Ocr,
    run: Callable,
    known: dict[int, list] | None = None,
    progress: Progress | None = None,
) -> tuple[Document, dict[int, list]]:
    """A PDF's text layer with its pages that have none read by OCR, or an image file's pages read by
    OCR, and the lines OCR read, by page; each step through ``run(function, *args, seconds=…)`` (in the
    reading process, with limits). ``known``: lines OCR read of these bytes before, by page;
    ``progress(name, pages read, pages to read)`` is told as OCR goes."""
    from embeddings.documents import ocr as reading

    if pdf:
        from embeddings.documents.pdf import read_pdf_pages

        pages = run(read_pdf_pages, data)
        lines, outline = pages.lines, pages.outline
    else:
        lines, outline = [[] for _ in range(run(reading.image_pages, data))], []
    unread = [number for number, page in enumerate(lines, start=1) if not page]
    known = known or {}
    missing = ocr_missing(ocr.languages) if any(number not in known for number in unread) else None
    if missing and not pdf:
        raise ValueError(f"is an image, and {missing}")
    if unread and not missing:
        if len(unread) > ocr.max_pages:
            raise ValueError(
                f"has {len(unread)} pages to read by OCR, over the limit of {ocr.max_pages} "
                "(TANYA_OCR_MAX_PAGES); split it"
            )
        page_lines = reading.pdf_page_lines if pdf else reading.image_page_lines
        for number in unread:
            if number in known:
                lines[number - 1] = known[number]
        to_read = [number for number in unread if number not in known]
        at_once = len(os.sched_getaffinity(0))  # pages read together, one per core
        for start in range(0, len(to_read), at_once):
            if progress:
                progress(name, start, len(to_read))
            batch = to_read[start : start + at_once]
            for number, read in zip(
                batch, run(page_lines, data, batch, ocr, seconds=ocr.page_seconds + READ_SECONDS), strict=True
            ):
                lines[number - 1] = read
        if progress and to_read:
            progress(name, len(to_read), len(to_read))
    scanned = frozenset(unread) if unread and not missing else frozenset()
    document = run(_assemble, name, lines, outline, scanned, missing or "")
    return document, {number: lines[number - 1] for number in scanned}


def _assemble(name: str, lines: list, outline: list, scanned: frozenset[int], missing: str) -> Document:
    from embeddings.documents.pdf import lines_document

    return lines_document(name, lines, outline, scanned, missing)


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


# The readers of zip-based documents, by the suffix of their kind (embeddings.documents.archive).
_ARCHIVE_READERS = {".docx": _read_word, ".pptx": _read_slides, ".odt": _read_opendocument, ".epub": _read_ebook}


# The first bytes of the image formats read by OCR.
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def reader_for(name: str, data: bytes) -> Callable[[str, bytes], Document]:
    """The reader for a file: PDF, zip-based documents and images by their bytes (else by name), web
    pages by either, text by the name."""
    head = data[:1024]
    if b"%PDF-" in head:
        return _read_pdf
    suffix = PurePosixPath(name).suffix.lower()
    if head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return _read_image
    if suffix in IMAGE_SUFFIXES:
        return _read_image
    if data.startswith(b"PK\x03\x04"):  # a zip archive: which document it holds, or what its name says
        return _ARCHIVE_READERS.get(archive_kind(data) or suffix, _read_word)
    if suffix == ".pdf":
        return _read_pdf
    if suffix in _ARCHIVE_READERS:
        return _ARCHIVE_READERS[suffix]
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

    def __init__(self, seconds: float = READ_SECONDS, ocr: Ocr = Ocr(), progress: Progress | None = None) -> None:
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
        reader = reader_for(name, data)
        if reader is read_text_document:
            return reader(name, data)
        if reader not in (_read_pdf, _read_image):
            return self._run(reader, name, data)
        key = hashlib.sha256(data + self.ocr.languages.encode()).hexdigest()
        known = self._kept(key)
        document, read = read_paged(name, data, reader is _read_pdf, self.ocr, self._run, known, self.progress)
        if read and read != known:
            self._keep(key, read)
        return document

    def _run(self, function: Callable, *args, seconds: float | None = None):
        """``function(*args)`` in the reading process, within ``seconds`` (default: this reader's)."""
        if self._pool is None:
            # spawn: a fork of a process running ONNX Runtime's threads may deadlock
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context, initializer=_limit_memory)
        seconds = self.seconds if seconds is None else seconds
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

    def _kept(self, key: str) -> dict[int, list] | None:
        """The lines OCR read of the same bytes before, by page, if they were kept."""
        if self.ocr.cache_dir is None:
            return None
        try:
            raw = json.loads((self.ocr.cache_dir / f"{key}.json").read_text(encoding="utf-8"))
            return {int(page): [Line(*fields) for fields in lines] for page, lines in raw.items()}
        except (OSError, ValueError, TypeError):
            return None

    def _keep(self, key: str, read: dict[int, list]) -> None:
        """Keep the lines OCR read (by page) under the bytes' ``key``, whole or not at all."""
        if self.ocr.cache_dir is None:
            return
        raw = {page: [dataclasses.astuple(line) for line in lines] for page, lines in read.items()}
        try:
            self.ocr.cache_dir.mkdir(parents=True, exist_ok=True)
            temporary = self.ocr.cache_dir / f".{key}.{os.getpid()}"
            write_synced(temporary, json.dumps(raw, ensure_ascii=False).encode())
            os.replace(temporary, self.ocr.cache_dir / f"{key}.json")
        except OSError as error:
            logger.warning("could not keep what OCR read (%s); it will be read again next time", error)

    def _stop(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:  # the executor has no public way to stop a task that runs: end its process
            for process in list(pool._processes.values()):  # noqa: SLF001
                process.kill()
        pool.shutdown(wait=not kill, cancel_futures=True)
