"""Scans and photos read by OCR (the real Tesseract): scanned and mixed PDFs, image files of every kind,
what OCR read kept by checksum, the engine missing, and a photo an admin sends in chat."""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path

import pytest
from fpdf import FPDF

from embeddings.documents import ocr as ocr_module
from embeddings.documents.formats import DocumentReader
from embeddings.documents.ocr import Ocr, ocr_missing
from tests.documents import PDF_SECTIONS, page_images, write_pdf, write_scanned_pdf
from tests.test_bot import ADMIN, assert_all_messages_valid

pytestmark = pytest.mark.skipif(
    ocr_missing("ind+eng") is not None,
    reason="Tesseract is not installed (scripts/test.sh installs it where it runs as root)",
)
CUTI = PDF_SECTIONS[0][2][0]  # the first paragraph of the handbook


def _similarity(read: str, expected: str) -> float:
    return difflib.SequenceMatcher(None, read, expected).ratio()


def _read(name: str, data: bytes, ocr: Ocr | None = None):
    with DocumentReader(ocr=ocr or Ocr()) as reader:
        return reader.read(name, data)


def test_a_scanned_pdf_has_the_sections_and_paragraphs_of_its_text(tmp_path: Path):
    original = write_pdf(tmp_path / "pedoman.pdf")
    document = _read("pindaian.pdf", write_scanned_pdf(tmp_path / "pindaian.pdf", page_images(original)).read_bytes())
    assert document.scanned_pages == {1, 2, 3}
    assert [section.title for section in document.sections] == [title for title, _, _ in PDF_SECTIONS]
    for section, (_, _, paragraphs) in zip(document.sections, PDF_SECTIONS, strict=True):
        for expected in paragraphs:  # each paragraph read nearly letter for letter
            assert max(_similarity(read, expected) for read in section.paragraphs) > 0.97, expected


def test_only_the_pages_without_text_of_a_mixed_pdf_are_read_by_ocr(tmp_path: Path):
    scan = page_images(write_pdf(tmp_path / "pedoman.pdf"))[0]
    mixed = FPDF()
    mixed.add_page()
    mixed.set_font("Helvetica", size=12)
    mixed.multi_cell(0, 8, "Kantor tutup pada hari libur nasional dan cuti bersama yang ditetapkan pemerintah.")
    mixed.add_page()
    mixed.image(scan, x=0, y=0, w=210, h=297)  # a signed page, scanned and put in
    document = _read("campuran.pdf", bytes(mixed.output()))
    assert document.scanned_pages == {2}
    paragraphs = [(p, s.page_of(n)) for s in document.sections for n, p in enumerate(s.paragraphs)]
    assert paragraphs[0] == ("Kantor tutup pada hari libur nasional dan cuti bersama yang ditetapkan pemerintah.", 1)
    assert max(_similarity(text, CUTI) for text, page in paragraphs if page == 2) > 0.97


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_image_files_of_each_kind_are_read_a_page_per_frame(tmp_path: Path, kind: str):
    pages = page_images(write_pdf(tmp_path / "pedoman.pdf"))
    buffer = io.BytesIO()
    extra = {"save_all": True, "append_images": pages[1:]} if kind == "TIFF" else {}
    pages[0].save(buffer, kind, dpi=(300, 300), **extra)
    document = _read(f"papan.{kind.lower()}", buffer.getvalue())
    assert document.scanned_pages == ({1, 2, 3} if kind == "TIFF" else {1})
    paragraphs = [p for s in document.sections for p in s.paragraphs]
    assert max(_similarity(p, CUTI) for p in paragraphs) > 0.97
    renamed = _read("tanpa-akhiran.txt", buffer.getvalue())  # told by its bytes, not its name
    assert renamed.scanned_pages == document.scanned_pages


def test_what_ocr_read_is_kept_by_checksum_and_used_without_the_engine(tmp_path: Path, monkeypatch):
    scan = write_scanned_pdf(tmp_path / "pindaian.pdf", page_images(write_pdf(tmp_path / "pedoman.pdf"))).read_bytes()
    ocr = Ocr(cache_dir=tmp_path / "ocr")
    first = _read("pindaian.pdf", scan, ocr)
    assert len(list((tmp_path / "ocr").glob("*.json"))) == 1
    monkeypatch.setenv("PATH", "/nonexistent")  # Tesseract gone: only what was kept can be read
    ocr_missing.cache_clear()
    try:
        assert _read("berganti-nama.pdf", scan, ocr).sections == first.sections
        with pytest.raises(ValueError, match="has no text layer \\(a scan\\?\\); OCR needs Tesseract: apt install"):
            _read("lain.pdf", scan + b"\n%", ocr)  # other bytes: nothing kept for them
        with pytest.raises(ValueError, match="^is an image, and OCR needs Tesseract"):
            _read("foto.png", _png(page_images(tmp_path / "pedoman.pdf")[0]), ocr)
        monkeypatch.setattr(ocr_module, "PREPARATION_VERSION", ocr_module.PREPARATION_VERSION + 1)
        with pytest.raises(ValueError, match="has no text layer \\(a scan\\?\\); OCR needs Tesseract"):
            _read("pindaian.pdf", scan, ocr)  # kept by an older preparation of the pages: not used
    finally:
        ocr_missing.cache_clear()


def test_a_file_with_more_pages_to_read_than_the_limit_is_skipped_with_the_setting_named(tmp_path: Path):
    scan = write_scanned_pdf(tmp_path / "pindaian.pdf", page_images(write_pdf(tmp_path / "pedoman.pdf"))).read_bytes()
    with pytest.raises(ValueError, match=r"^has 3 pages to read by OCR, over the limit of 2 \(TANYA_OCR_MAX_PAGES\)"):
        _read("pindaian.pdf", scan, Ocr(max_pages=2))


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def test_an_admin_sends_a_photo_and_its_text_answers_saying_it_was_read_from_a_scan(bot, tmp_path: Path):
    page = page_images(write_pdf(tmp_path / "pedoman.pdf"), resolution=200)[0]
    bot.standin.files["photo-1"] = _jpeg(page)
    photo = [
        {
            "file_id": "photo-1",
            "file_unique_id": "u-photo-1",
            "width": page.width,
            "height": page.height,
            "file_size": len(bot.standin.files["photo-1"]),
        }
    ]
    sent = bot.standin.send(None, user_id=ADMIN, extra={"photo": photo, "caption": "Pengumuman cuti"})
    assert bot.standin.reply_to(sent)["text"].startswith("⏳ Adding")
    [added] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "is in:" in c.params["text"])
    assert added.params["text"].startswith("✅ Pengumuman-cuti.jpg is in:")
    assert (bot.docs_dir / "Pengumuman-cuti.jpg").exists()
    answer = bot.ask("Berapa hari cuti tahunan karyawan tetap setelah dua belas bulan?", language="en")["text"]
    assert (
        "📄 Pengumuman-cuti.jpg" in answer and "(dibaca dari hasil pindaian: periksa kata-katanya)" in answer
    )  # the question's language
    refused = bot.standin.send(None, user_id=1001, extra={"photo": photo})  # a user's photo is no question
    assert bot.standin.reply_to(refused)["text"] == "I can only read text questions. Please type your question."
    assert_all_messages_valid(bot)


def _jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_a_reindex_tells_how_many_pages_ocr_has_read_and_an_unchanged_scan_is_not_read_again(
    encoder, tmp_path: Path, caplog
):
    import logging

    from bot.formatting import reindex_progress
    from embeddings.indexing import IndexingStatus, IndexLimits, reindex

    docs = tmp_path / "docs"
    docs.mkdir()
    write_scanned_pdf(docs / "pindaian.pdf", page_images(write_pdf(tmp_path / "pedoman.pdf")))
    seen = []

    class Watched(IndexingStatus):
        def scanned(self, name: str, done: int, total: int) -> None:
            super().scanned(name, done, total)
            seen.append(reindex_progress(self, "en"))

    ocr = Ocr(cache_dir=tmp_path / "ocr")
    with caplog.at_level(logging.INFO, logger="embeddings.indexing"):
        index, report = reindex(docs, tmp_path / "index", encoder, limits=IndexLimits(ocr), status=Watched())
    at_once = len(os.sched_getaffinity(0))  # pages read together
    steps = [*range(0, 3, at_once), 3]
    assert seen == [f"Reading the documents… pindaian.pdf by OCR: {done} of 3 pages" for done in steps]
    assert report.passages >= 4 and all(passage.scanned for passage in index.passages)
    seen.clear()
    reindex(docs, tmp_path / "index", encoder, limits=IndexLimits(ocr), status=Watched())  # unchanged: OCR's kept
    assert seen == []
