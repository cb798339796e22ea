"""Text extraction, before any embedding: a 300-page PDF, and a folder of 100 mixed files.

    .venv/bin/python -m benchmarks.extraction [--pages 300] [--files 100]

Each case runs in a fresh process, so its time and peak memory (RSS, with its reading process)
are its own. The files are written first by real libraries (fpdf2, python-docx): a handbook
PDF with an outline, headings, running headers and footers; and a folder with a quarter each of
PDF, Word, web pages and Markdown. Compared in one run: the PDF read directly in the process,
and through ``DocumentReader`` (the separate reading process that indexing uses, with its time
and memory limits), and the folder read by ``read_documents`` as indexing reads it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe
from tests.documents import PDF_SECTIONS, write_docx, write_html, write_pdf

# Each section of the handbook fills about a page: 8 paragraphs of some 40 words, 45 lines of text.
FULL_PAGE_SECTIONS = [
    (title, marked, paragraphs * (8 // len(paragraphs))) for title, marked, paragraphs in PDF_SECTIONS
]


def _files(folder: Path, pages: int, files: int) -> Path:
    """The PDF of about ``pages`` full pages (``handbook.pdf``) and the mixed folder (``mixed/``), in ``folder``."""
    write_pdf(folder / "handbook.pdf", FULL_PAGE_SECTIONS, repeat=pages // len(PDF_SECTIONS))
    mixed = folder / "mixed"
    mixed.mkdir()
    for number in range(files):
        kind = number % 4
        if kind == 0:
            write_pdf(mixed / f"pedoman-{number}.pdf", repeat=3)
        elif kind == 1:
            write_docx(mixed / f"tunjangan-{number}.docx")
        elif kind == 2:
            write_html(mixed / f"portal-{number}.html", people=number)
        else:
            text = "\n\n".join(f"## Bagian {n}\n\nIsi bagian {n} dokumen {number}, *penting*." for n in range(20))
            (mixed / f"catatan-{number}.md").write_text(text, encoding="utf-8")
    return folder


def _case(case: str, folder: Path) -> dict:
    """Run one case in this process; returns what it read and its time."""
    from embeddings.documents.folder import read_documents
    from embeddings.documents.formats import DocumentReader
    from embeddings.documents.ocr import Ocr
    from embeddings.documents.pdf import read_pdf_document

    started = time.perf_counter()
    if case == "pdf, in process":
        documents = [read_pdf_document("handbook.pdf", (folder / "handbook.pdf").read_bytes())]
    elif case == "pdf, reading process":
        with DocumentReader(ocr=Ocr()) as reader:
            documents = [reader.read("handbook.pdf", (folder / "handbook.pdf").read_bytes())]
    else:
        result = read_documents(folder / "mixed", ocr=Ocr())
        documents = list(result.documents)
        assert not result.problems, result.problems
    seconds = time.perf_counter() - started
    paragraphs = sum(len(s.paragraphs) for d in documents for s in d.sections)
    sections = sum(len(d.sections) for d in documents)
    return {"seconds": seconds, "documents": len(documents), "sections": sections, "paragraphs": paragraphs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # run one case (used by this script itself)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        figures = _case(args.case, args.folder)
        usage = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        print(json.dumps({**figures, "peak_mib": usage / 1024}))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = _files(Path(tmp), args.pages, args.files)
        import pypdfium2

        size = (folder / "handbook.pdf").stat().st_size / 2**20
        pages = len(pypdfium2.PdfDocument(folder / "handbook.pdf"))
        print(
            f"{describe()}; "
            f"handbook.pdf: {pages} pages, {size:.1f} MiB; mixed: {args.files} files "
            "(a quarter each PDF of 9 pages, Word, web page, Markdown)"
        )
        print()
        print("| case | documents | sections | paragraphs | seconds | peak RSS (MiB) |")
        print("|---|---|---|---|---|---|")
        for case in ("pdf, in process", "pdf, reading process", "100 mixed files, read_documents"):
            command = [sys.executable, "-m", "benchmarks.extraction", "--case", case, "--folder", str(folder)]
            figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            print(
                f"| {case} | {figures['documents']} | {figures['sections']} | {figures['paragraphs']} | "
                f"{figures['seconds']:.2f} | {figures['peak_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
