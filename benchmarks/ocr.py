"""OCR of scanned pages (issue 31): character error rate, pages per second and memory, on pages rendered
here from Indonesian text, clean and as a phone would take them; and the sample's questions asked of a
scanned copy of the sample.

    .venv/bin/python -m benchmarks.ocr [--engine tesseract|rapidocr] [--wikipedia 12]

The pages: the bundled sample article, the handbook of ``tests/documents.py`` and 12 paragraphs of
``../shared/eval/tydiqa_id_valid.jsonl`` (Indonesian Wikipedia), typeset by fpdf2 (Helvetica, 11 pt,
headings 14 pt bold), rendered by PDFium at 300 dpi (a clean scan). Phone-like:
rendered at 150 dpi, turned by up to ±3°, lit unevenly (a gradient from 55 % to 100 %), with noise
(σ 12 of 255) and saved as JPEG at quality 60 (seeded). The reference text of a page is its text
layer. Character error rate: the edit distance between what OCR read and the reference, whitespace
collapsed, over the reference's length.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import describe
from tests.documents import PDF_SECTIONS, page_images, write_scanned_pdf

REPO = Path(__file__).resolve().parent.parent

SEED = 31
EVAL = REPO.parent / "shared" / "eval" / "tydiqa_id_valid.jsonl"


def _typeset(path: Path, wikipedia: int) -> Path:
    """The sample article, the handbook and ``wikipedia`` TyDi QA valid paragraphs (Indonesian Wikipedia,
    each under its article's title) as a PDF: headings 14 pt bold, paragraphs 11 pt."""
    import json

    from fpdf import FPDF

    from config import SAMPLE_DOCS_DIR

    blocks = [
        (block.strip(), len(block.split()) <= 8 and not block.strip().endswith("."))
        for block in (SAMPLE_DOCS_DIR / "pertemuan-xi-putin.txt").read_text(encoding="utf-8").split("\n\n")
    ]
    for title, _, paragraphs in PDF_SECTIONS:
        blocks += [(title, True)] + [(paragraph, False) for paragraph in paragraphs]
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()]
    contexts = list(dict.fromkeys(row["context"] for row in rows))[:wikipedia]
    for context in contexts:  # Helvetica holds Latin-1: the rare other characters are left out
        text = context.encode("latin-1", "ignore").decode("latin-1")
        blocks += [(" ".join(text.split()[:4]), True), (text, False)]
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20)
    pdf.add_page()
    for text, heading in blocks:
        pdf.set_font("Helvetica", "B" if heading else "", 14 if heading else 11)
        pdf.multi_cell(0, 7 if heading else 5.5, text)
        pdf.ln(3)
    pdf.output(str(path))
    return path


def _reference(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf.read_bytes())
    texts = [" ".join(document[n].get_textpage().get_text_range().split()) for n in range(len(document))]
    document.close()
    return texts


def _phone(image, rng: random.Random):
    """``image`` (300 dpi) as a phone's photo of it: 150 dpi, tilted, unevenly lit, noisy, JPEG."""
    from PIL import Image

    small = image.convert("L").resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    tilted = small.rotate(rng.uniform(-3, 3), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    pixels = np.asarray(tilted, dtype=np.float32)
    light = np.linspace(0.55, 1.0, pixels.shape[1], dtype=np.float32)[None, :]
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 12, pixels.shape)
    photo = Image.fromarray(np.clip(pixels * light + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=60, dpi=(150, 150))
    return Image.open(io.BytesIO(buffer.getvalue()))


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, a row of the table at a time in numpy."""
    if not a or not b:
        return max(len(a), len(b))
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    row = np.arange(len(b) + 1)
    for number, character in enumerate(a, start=1):
        substitute = row[:-1] + (codes != ord(character))
        new = np.empty_like(row)
        new[0] = number
        new[1:] = np.minimum(row[1:] + 1, substitute)
        row = np.minimum.accumulate(new - np.arange(len(new))) + np.arange(len(new))  # the insertions
    return int(row[-1])


def _tesseract(images: list) -> list[str]:
    """What the product's OCR reads on ``images``: prepared, a page per core at once."""
    from embeddings.documents.ocr import Ocr, _read_all

    pages = _read_all(images, list(range(1, len(images) + 1)), Ocr())
    return [" ".join(line.text for line in lines) for lines in pages]


def _rapidocr(images: list) -> list[str]:
    """RapidOCR's reading of ``images`` (its ONNX models, from its wheel), a page at a time."""
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    texts = []
    for image in images:
        result, _ = engine(np.asarray(image.convert("RGB")))
        texts.append(" ".join(text for _, text, _ in (result or [])))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("tesseract", "rapidocr"), default="tesseract")
    parser.add_argument("--wikipedia", type=int, default=12, help="TyDi QA valid paragraphs to add (default 12)")
    args = parser.parse_args()
    read = _tesseract if args.engine == "tesseract" else _rapidocr
    rng = random.Random(SEED)
    print(describe())
    with tempfile.TemporaryDirectory() as folder:
        pdf = _typeset(Path(folder) / "sampel.pdf", args.wikipedia)
        references, clean = _reference(pdf), page_images(pdf)
        phone = [_phone(image, rng) for image in clean]
        for label, images in (("clean, 300 dpi A4", clean), ("phone-like, 150 dpi", phone)):
            started = time.perf_counter()
            texts = read(images)
            seconds = time.perf_counter() - started
            errors = [
                (_distance(" ".join(text.split()), reference), len(reference))
                for text, reference in zip(texts, references, strict=True)
            ]
            rate = sum(e for e, _ in errors) / sum(n for _, n in errors)
            worst = max(e / n for e, n in errors)
            print(
                f"{args.engine}, {label}: {len(images)} pages, character error rate {rate:.2%} (worst page "
                f"{worst:.2%}); {len(images) / seconds:.3f} pages/s on {len(os.sched_getaffinity(0))} cores"
            )
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS: this process {self_peak:.0f} MiB, largest OCR child process {children:.0f} MiB")
        if args.engine == "tesseract":
            _questions(Path(folder), pdf, clean)
            _index_memory(Path(folder), clean)


def _questions(folder: Path, pdf: Path, clean: list) -> None:
    """The sample's questions asked of the text and of a scanned copy: is the best passage the same?"""
    import difflib

    from benchmarks.samples import ANSWERABLE
    from config import SAMPLE_DOCS_DIR, load_settings
    from embeddings.documents.folder import read_documents
    from embeddings.documents.ocr import Ocr
    from embeddings.knowledge import KnowledgeBase

    text_dir, scan_dir = folder / "text", folder / "scan"
    text_dir.mkdir()
    scan_dir.mkdir()
    (text_dir / "sampel.txt").write_bytes((SAMPLE_DOCS_DIR / "pertemuan-xi-putin.txt").read_bytes())
    write_scanned_pdf(scan_dir / "sampel.pdf", clean)
    encoder = load_settings().knowledge_setup().load_encoder()
    text = KnowledgeBase.in_memory(read_documents(text_dir, ocr=Ocr()), encoder)
    scan = KnowledgeBase.in_memory(read_documents(scan_dir, ocr=Ocr()), encoder)
    same = 0
    for question, _, _ in ANSWERABLE:
        expected, found = text.ask(question).hits[0].passage.text, scan.ask(question).hits[0].passage.text
        same += difflib.SequenceMatcher(None, expected, found).ratio() > 0.9 or expected in found
    print(
        f"the sample's {len(ANSWERABLE)} questions (benchmarks/samples.py) asked of a scan of those pages: "
        f"the same best passage as from the sample's text for {same}"
    )


def _tree_rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` and all its descendants, summed (shared pages in each)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def _index_memory(folder: Path, clean: list) -> None:
    """`tanya index` of the sample and a scan of the pages, from an empty index: its time, and the most
    memory it, its reading process and the Tesseract processes held together (sampled every 0.1 s)."""
    import subprocess

    from config import SAMPLE_DOCS_DIR, load_settings

    docs, data = folder / "docs", folder / "data"
    docs.mkdir()
    data.mkdir()
    (data / "models").symlink_to(load_settings().model_cache_dir, target_is_directory=True)
    (docs / "sampel.txt").write_bytes((SAMPLE_DOCS_DIR / "pertemuan-xi-putin.txt").read_bytes())
    write_scanned_pdf(docs / "pindaian.pdf", clean)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    env.update(TANYA_DOCS_DIR=str(docs), TANYA_DATA_DIR=str(data))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mib(process.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"tanya index failed ({process.returncode})")
    print(
        f"`tanya index` of the sample and a scan of those {len(clean)} pages, from an empty index: {seconds:.1f} s, "
        f"at most {peak:.0f} MiB resident for it and its child processes together"
    )


if __name__ == "__main__":
    main()
