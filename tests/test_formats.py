"""PDF, Word, PowerPoint, OpenDocument, EPUB, web pages and Markdown, read from real files; damaged and hostile files
named, never crashing a run."""

from __future__ import annotations

import random
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF

from embeddings.documents.archive import MAX_UNZIPPED_BYTES
from embeddings.documents.ebook import read_epub_document
from embeddings.documents.folder import read_documents
from embeddings.documents.formats import DocumentReader
from embeddings.documents.ocr import Ocr, ocr_missing
from embeddings.documents.opendocument import read_odt_document
from embeddings.documents.pdf import MAX_PAGES
from embeddings.documents.slides import read_pptx_document
from embeddings.documents.text import parse_document
from embeddings.documents.word import read_docx_document
from tests.documents import (
    HEADER,
    HYPHENATED,
    PDF_SECTIONS,
    write_docx,
    write_epub,
    write_html,
    write_odt,
    write_pdf,
    write_plain_pdf,
    write_pptx,
)


def _read(path: Path, name: str | None = None):
    with DocumentReader(ocr=Ocr()) as reader:
        return reader.read(name or path.name, path.read_bytes())


def test_pdf_sections_from_its_outline_and_its_type_with_pages_and_no_running_lines(tmp_path: Path):
    document = _read(write_pdf(tmp_path / "pedoman.pdf"))
    assert [(s.title, s.pages) for s in document.sections] == [
        ("Cuti Tahunan", (1, 1, 1)),
        ("Jam Kerja", (2,)),
        ("Perjalanan Dinas", (3,)),  # not in the outline: a heading by its larger, bold type
    ]
    paragraphs = [p for s in document.sections for p in s.paragraphs]
    assert paragraphs[:2] == PDF_SECTIONS[0][2]  # wrapped lines joined, paragraphs apart
    assert f"hak dan {HYPHENATED[0]} yang" in paragraphs[2]  # the word hyphenated at a line end, whole
    assert not any(HEADER in p or "Halaman" in p for p in paragraphs)


def test_a_pdf_without_outline_or_headings_has_a_section_per_page(tmp_path: Path):
    pages = ["Rapat dimulai pukul sembilan.", "Rapat ditutup."]
    document = _read(write_plain_pdf(tmp_path / "notulen-rapat.pdf", pages))
    assert [(s.title, s.paragraphs, s.pages) for s in document.sections] == [
        ("Notulen Rapat, page 1", ("Rapat dimulai pukul sembilan.",), (1,)),
        ("Notulen Rapat, page 2", ("Rapat ditutup.",), (2,)),
    ]


def test_word_headings_lists_and_tables(tmp_path: Path):
    document = _read(write_docx(tmp_path / "tunjangan.docx"))
    assert [(s.title, s.paragraphs) for s in document.sections] == [
        (
            "Kebijakan Tunjangan",
            (
                "Tunjangan transportasi dibayarkan bersama gaji setiap tanggal dua puluh lima.",
                "Syarat pengajuan tunjangan:",
                "• Formulir pengajuan yang sudah diisi\n• Persetujuan atasan langsung",
            ),
        ),
        (
            "Besaran Tunjangan",
            (
                "Jabatan | Tunjangan per bulan\nStaf | Rp 750.000\nManajer | Rp 2.000.000",
                "Besaran tunjangan ditinjau ulang setiap awal tahun anggaran.",
            ),
        ),
    ]


def test_a_web_page_keeps_its_main_content(tmp_path: Path):
    document = _read(write_html(tmp_path / "portal.html"))
    assert document.title == "Tanya Jawab Kantor"
    assert [(s.title, s.paragraphs) for s in document.sections] == [
        (
            "Parkir Kendaraan",
            ("Karyawan dapat memarkir kendaraan di basement gedung B dengan menunjukkan kartu akses.",),
        ),
        (
            "Ruang Rapat",
            (
                "Ruang rapat dipesan melalui kalender bersama paling lambat satu hari sebelumnya.",
                "• Ruang Merapi untuk 12 orang\n• Ruang Bromo untuk enam orang",
            ),
        ),
    ]


def test_markdown_is_read_as_commonmark():
    text = (
        "Intro.\n\nKebijakan Cuti\n==============\n\n```bash\n# bukan judul\nls\n```\n\n"
        "- satu\n- dua\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
    )
    document = parse_document("catatan.md", text)
    assert [(s.title, s.paragraphs) for s in document.sections] == [
        ("Catatan", ("Intro.",)),
        ("Kebijakan Cuti", ("# bukan judul\nls", "• satu\n• dua", "A | B\n1 | 2")),  # setext heading; code is text
    ]


def test_files_are_recognised_by_content_and_names_in_any_script_are_kept(tmp_path: Path):
    write_pdf(tmp_path / "pedoman (salinan).txt")  # a PDF renamed .txt
    write_docx(tmp_path / "Тунjangan 'baru' 2026.docx")
    (tmp_path / "未完成.pdf").write_bytes(b"just text, not a PDF")
    result = read_documents(tmp_path, ocr=Ocr())
    assert {d.name: [s.title for s in d.sections][0] for d in result.documents} == {
        "pedoman (salinan).txt": "Cuti Tahunan",
        "Тунjangan 'baru' 2026.docx": "Kebijakan Tunjangan",
    }
    [problem] = result.problems
    assert problem.message.startswith("未完成.pdf: is not a readable PDF")


def _encrypted_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 10, "Rahasia perusahaan.")
    pdf.set_encryption(owner_password="pemilik", user_password="rahasia")
    pdf.output(str(path))
    return path


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b" " * (300 * 2**20) + b">")
    return path


def test_bad_files_are_named_with_their_reason_and_the_rest_is_indexed(tmp_path: Path):
    write_html(tmp_path / "baik.html")
    _encrypted_pdf(tmp_path / "terkunci.pdf")
    (tmp_path / "rusak.pdf").write_bytes(write_pdf(tmp_path / "utuh.pdf").read_bytes()[:900])
    (tmp_path / "utuh.pdf").unlink()
    write_plain_pdf(tmp_path / "pindaian.pdf", ["", ""])
    _zip_bomb(tmp_path / "bom.docx")
    (tmp_path / "bukan-zip.docx").write_bytes(b"Ini bukan dokumen Word.")
    write_plain_pdf(tmp_path / "tebal.pdf", ["x"] * (MAX_PAGES + 1))
    result = read_documents(tmp_path, ocr=Ocr())
    assert [d.name for d in result.documents] == ["baik.html"]
    messages = {p.name: p.message.removeprefix(f"{p.name}: ") for p in result.problems}
    assert messages.pop("terkunci.pdf") == "is encrypted (password-protected); save a copy without a password"
    assert messages.pop("rusak.pdf").startswith("is not a readable PDF")
    missing = ocr_missing("ind+eng")  # blank pages: read by OCR where it is installed, and found empty
    assert messages.pop("pindaian.pdf") == (
        "has no text that OCR could read" if missing is None else f"has no text layer (a scan?); {missing}"
    )
    assert messages.pop("bom.docx").startswith("unpacks to 300 MiB, too much for its size (a zip bomb?)")
    assert messages.pop("bukan-zip.docx").startswith("is not a Word document (not a readable zip archive")
    assert messages.pop("tebal.pdf") == f"has {MAX_PAGES + 1} pages, over the {MAX_PAGES}-page limit; split it"
    assert messages == {}


def _lying_archive(path: Path, part: str, hidden: int, writer=write_docx) -> Path:
    """A file made by ``writer`` whose ``part`` inflates to ``hidden`` more bytes (spaces after its XML) than its
    sizes in the central directory and its local header say; its CRC is that of the bytes declared."""
    with zipfile.ZipFile(writer(path)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    body, directory = bytearray(), bytearray()
    for name, content in parts:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as zip holds it
        stream = packer.compress(content)
        if name == part:
            stream += b"".join(packer.compress(b" " * 2**20) for _ in range(hidden // 2**20))
        stream += packer.flush()
        # method, time, date (1980-01-01), CRC-32, compressed size, declared size, name length, extra length
        fields = (zipfile.ZIP_DEFLATED, 0, 33, zlib.crc32(content), len(stream), len(content), len(name), 0)
        directory += struct.pack("<4s6H3L5H2L", b"PK\1\2", 20, 20, 0, *fields, 0, 0, 0, 0, len(body)) + name.encode()
        body += struct.pack("<4s5H3L2H", b"PK\3\4", 20, 0, *fields) + name.encode() + stream
    end = struct.pack("<4s4H2LH", b"PK\5\6", 0, 0, len(parts), len(parts), len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


ARCHIVES = [  # (writer, reader, the part each format's reader needs)
    (write_docx, read_docx_document, "word/document.xml"),
    (write_pptx, read_pptx_document, "ppt/presentation.xml"),
    (write_odt, read_odt_document, "content.xml"),
    (write_epub, read_epub_document, "META-INF/container.xml"),
]


@pytest.mark.parametrize(("writer", "reader", "part"), ARCHIVES, ids=["docx", "pptx", "odt", "epub"])
def test_a_file_lying_about_its_unpacked_size_is_refused_without_unpacking_it(tmp_path: Path, writer, reader, part):
    suffix = writer.__name__.removeprefix("write_")
    bomb = _lying_archive(tmp_path / f"bom.{suffix}", part, MAX_UNZIPPED_BYTES + 2**20, writer).read_bytes()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ValueError, match=r"^unpacks to over \d+ MiB, too much for its size \(a zip bomb\?\)$"):
            reader(f"bom.{suffix}", bomb)
        seconds, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20 and seconds < 5, (peak, seconds)
    assert reader(f"tunjangan.{suffix}", writer(tmp_path / f"tunjangan.{suffix}").read_bytes()).sections


def test_slides_opendocument_and_ebooks_have_sections_paragraphs_and_slide_numbers(tmp_path: Path):
    slides = _read(write_pptx(tmp_path / "pedoman.pptx"))
    assert [(s.title, s.pages) for s in slides.sections] == [
        ("Cuti Tahunan", (1, 1, 1)),
        ("Jam Kerja", (2,)),
        ("Perjalanan Dinas", (3,)),
    ]
    first = slides.sections[0].paragraphs
    assert (
        first[0].startswith("Setiap karyawan tetap berhak") and first[1] == "Masa kerja | Hari cuti\n12 bulan | 12 hari"
    )
    assert first[2].startswith("Permohonan cuti diajukan")  # the speaker's notes
    expected = [(title, tuple(paragraphs)) for title, _, paragraphs in PDF_SECTIONS]
    text = _read(write_odt(tmp_path / "pedoman.odt"))
    last = text.sections[-1]
    assert [(s.title, s.paragraphs) for s in text.sections[:-1]] == expected[:-1]
    assert last.paragraphs == (*expected[-1][1], "• Kartu identitas karyawan\n• Formulir cuti yang ditandatangani")
    book = _read(write_epub(tmp_path / "pedoman.epub"))
    assert [(s.title, s.paragraphs) for s in book.sections] == expected
    for path in (tmp_path / "pedoman.pptx", tmp_path / "pedoman.odt", tmp_path / "pedoman.epub"):
        with DocumentReader(ocr=Ocr()) as reader:  # by content, whatever the name says
            assert reader.read("salah-nama.docx", path.read_bytes()).sections == _read(path).sections


@pytest.mark.parametrize("suffix", ["pptx", "odt", "epub"])
def test_a_file_of_a_new_format_that_is_no_such_file_is_named_and_skipped(tmp_path: Path, suffix):
    (tmp_path / f"terkunci.{suffix}").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(600))  # an encrypted Office file
    with zipfile.ZipFile(tmp_path / f"lain.{suffix}", "w") as archive:
        archive.writestr("isi.txt", "bukan dokumen")
    write_html(tmp_path / "baik.html")
    result = read_documents(tmp_path, ocr=Ocr())
    assert [d.name for d in result.documents] == ["baik.html"]
    messages = {p.name: p.message.removeprefix(f"{p.name}: ") for p in result.problems}
    assert (
        messages[f"terkunci.{suffix}"].startswith("is not a")
        and "not a readable zip archive" in messages[f"terkunci.{suffix}"]
    )
    assert messages[f"lain.{suffix}"].startswith("is a zip archive but not a")


def test_a_file_that_takes_too_long_to_read_is_skipped_and_the_next_still_read(tmp_path: Path):
    nested = ("<div>" * 100_000 + "dalam" + "</div>" * 100_000).encode()  # seconds of parsing
    with DocumentReader(seconds=0.5, ocr=Ocr()) as reader:
        with pytest.raises(ValueError, match=r"took over 0.5 s to read; it was skipped"):
            reader.read("bersarang.html", nested)
        reader.seconds = 60  # a new reading process starts: its start-up alone may take over 0.5 s
        assert reader.read("baik.html", write_html(tmp_path / "baik.html").read_bytes()).sections


def _mutants(data: bytes, count: int, seed: int) -> list[bytes]:
    """``count`` damaged copies of ``data``: bytes flipped, a piece cut out, a piece repeated, the end cut off."""
    rng = random.Random(seed)
    mutants = []
    for number in range(count):
        damaged = bytearray(data)
        kind = number % 4
        if kind == 0:
            for _ in range(rng.randint(1, 20)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        elif kind == 1:
            start = rng.randrange(len(damaged))
            del damaged[start : start + rng.randint(1, 2000)]
        elif kind == 2:
            start = rng.randrange(len(damaged))
            damaged[start:start] = damaged[start : start + rng.randint(1, 2000)] * rng.randint(2, 50)
        else:
            del damaged[rng.randrange(1, len(damaged)) :]
        mutants.append(bytes(damaged))
    return mutants


@pytest.mark.parametrize(
    "writer",
    [write_pdf, write_docx, write_html, write_pptx, write_odt, write_epub],
    ids=["pdf", "docx", "html", "pptx", "odt", "epub"],
)
def test_damaged_bytes_are_read_or_refused_never_a_crash(tmp_path: Path, writer):
    original = writer(tmp_path / f"asli.{writer.__name__.removeprefix('write_')}")
    outcomes = {"read": 0, "refused": 0}
    with DocumentReader(seconds=30, ocr=Ocr()) as reader:
        for number, damaged in enumerate(_mutants(original.read_bytes(), 40, seed=len(original.name))):
            try:
                document = reader.read(original.name, damaged)
            except ValueError as error:
                assert str(error), number
                outcomes["refused"] += 1
            else:
                assert all(isinstance(p, str) for s in document.sections for p in s.paragraphs)
                outcomes["read"] += 1
    assert outcomes["read"] + outcomes["refused"] == 40


def test_damaged_markdown_and_text_are_read():
    source = ("# Judul\n\nParagraf *satu* dengan [tautan](http://x).\n\n- a\n- b\n\n```\nkode\n```\n" * 20).encode()
    with DocumentReader(ocr=Ocr()) as reader:
        for damaged in _mutants(source, 40, seed=7):
            for name in ("catatan.md", "catatan.txt"):
                try:
                    reader.read(name, damaged)
                except ValueError as error:  # not UTF-8 any more
                    assert "UTF-8" in str(error) or "binary" in str(error)
