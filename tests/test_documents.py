"""Documents folder → documents → sections → paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SAMPLE_DOCS_DIR
from embeddings.documents.document import document_title
from embeddings.documents.folder import folder_fingerprint, read_documents
from embeddings.documents.ocr import Ocr
from embeddings.documents.text import is_plain_text_heading, parse_document


def test_sample_article_has_an_opening_section_and_four_headings():
    documents = read_documents(SAMPLE_DOCS_DIR, ocr=Ocr())
    assert documents.problems == ()
    [article] = documents.documents
    assert article.name == "pertemuan-xi-putin.txt"
    assert [s.title for s in article.sections] == [
        "Pertemuan Xi Putin",
        "Hubungan Diplomatik yang Semakin Menguat",
        "Fokus pada Stabilitas dan Keamanan Regional",
        "Kerja Sama Ekonomi yang Solid",
        "Dinamika Politik Global",
    ]
    assert [len(s.paragraphs) for s in article.sections] == [1, 1, 1, 2, 3]
    assert article.sections[0].paragraphs[0].startswith("Pertemuan virtual antara Presiden Tiongkok")


def test_plain_text_heading_rules():
    assert is_plain_text_heading("Kerja Sama Ekonomi yang Solid")
    assert not is_plain_text_heading("Ini kalimat pendek.")  # closing punctuation
    assert not is_plain_text_heading("Apa artinya?")
    assert not is_plain_text_heading("two\nlines")
    assert not is_plain_text_heading(" ".join(["kata"] * 20))  # too long


def test_markdown_headings_and_opening_section():
    text = "Intro paragraph\nwrapped line.\n\n# Goals\n\nFirst goal.\n\nSecond goal.\n\n## Budget ##\nMoney.\n"
    document = parse_document("plans/rencana_kerja-2025.md", text)
    assert document.title == "Rencana Kerja 2025"
    assert [(s.title, s.paragraphs) for s in document.sections] == [
        ("Rencana Kerja 2025", ("Intro paragraph wrapped line.",)),
        ("Goals", ("First goal.", "Second goal.")),
        ("Budget", ("Money.",)),
    ]


def test_markdown_without_text_before_first_heading_has_no_opening_section():
    document = parse_document("a.md", "# Only\n\nBody.")
    assert [s.title for s in document.sections] == ["Only"]


def test_crlf_line_endings_and_utf8_bom(tmp_path: Path):
    (tmp_path / "windows.txt").write_bytes("\ufeffJudul\r\n\r\nIsi paragraf.\r\n".encode())
    [document] = read_documents(tmp_path, ocr=Ocr()).documents
    assert [(s.title, s.paragraphs) for s in document.sections] == [("Judul", ("Isi paragraf.",))]


def test_bad_files_are_reported_by_name_and_the_rest_is_still_read(tmp_path: Path):
    (tmp_path / "good.md").write_text("# Section\n\nGood text.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait.".encode("latin-1"))
    (tmp_path / "image.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(64))  # a program, not text
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    result = read_documents(tmp_path, ocr=Ocr())
    assert [d.name for d in result.documents] == ["good.md"]
    messages = {p.name: p.message for p in result.problems}
    assert set(messages) == {"latin1.txt", "image.txt", "empty.md", "notes.pdf"}  # notes.pdf: just a header
    assert "not UTF-8" in messages["latin1.txt"] and messages["latin1.txt"].startswith("latin1.txt:")
    assert "binary" in messages["image.txt"]
    assert "no text" in messages["empty.md"]
    assert result.fingerprint == folder_fingerprint(tmp_path)  # hashed as read: an index records what it holds


def test_a_file_over_the_size_limit_is_skipped_unread_and_named(tmp_path: Path):
    (tmp_path / "cuti.txt").write_text("Cuti tahunan dua belas hari.", encoding="utf-8")
    (tmp_path / "arsip.txt").write_text("Arsip rapat. " * 25_000, encoding="utf-8")  # 325,000 bytes
    result = read_documents(tmp_path, max_bytes=2**18, ocr=Ocr())
    assert [d.name for d in result.documents] == ["cuti.txt"]
    assert [p.message for p in result.problems] == [
        "arsip.txt: is 0.3 MiB, over the 0.25 MiB limit (TANYA_MAX_DOCUMENT_MB); split it"
    ]
    assert [d.name for d in read_documents(tmp_path, max_bytes=2**19, ocr=Ocr()).documents] == ["arsip.txt", "cuti.txt"]
    # raising the limit changes the fingerprint, so a saved index is rebuilt with the file
    assert folder_fingerprint(tmp_path, 2**18) != folder_fingerprint(tmp_path, 2**19)
    assert result.fingerprint == folder_fingerprint(tmp_path, 2**18)


def test_a_file_that_cannot_be_read_is_reported_and_the_rest_is_still_read(tmp_path: Path):
    (tmp_path / "cuti.txt").write_text("Cuti tahunan dua belas hari.", encoding="utf-8")
    # Reading /proc/self/mem from its start fails with EIO, even as root (for whom permissions don't);
    # it is not even opened now: a link out of the documents folder is never read (tests/test_attacks.py).
    (tmp_path / "rusak.txt").symlink_to("/proc/self/mem")
    (tmp_path / "hilang.txt").symlink_to(tmp_path / "dihapus.txt")
    result = read_documents(tmp_path, ocr=Ocr())
    assert [d.name for d in result.documents] == ["cuti.txt"]
    assert [p.message for p in result.problems] == [
        "hilang.txt: is a link to nothing",
        "rusak.txt: is a link out of the documents folder",
    ]
    assert folder_fingerprint(tmp_path) == folder_fingerprint(tmp_path) == result.fingerprint


def test_documents_in_subfolders_are_named_by_relative_path(tmp_path: Path):
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "cuti.txt").write_text("Cuti tahunan dua belas hari.", encoding="utf-8")
    [document] = read_documents(tmp_path, ocr=Ocr()).documents
    assert document.name == "hr/cuti.txt"


def test_fingerprint_changes_with_content_and_names(tmp_path: Path):
    (tmp_path / "a.txt").write_text("one", encoding="utf-8")
    first = folder_fingerprint(tmp_path)
    assert folder_fingerprint(tmp_path) == first
    (tmp_path / "a.txt").write_text("two", encoding="utf-8")
    second = folder_fingerprint(tmp_path)
    (tmp_path / "a.txt").rename(tmp_path / "b.txt")
    assert len({first, second, folder_fingerprint(tmp_path)}) == 3


def test_document_title_from_file_name():
    assert document_title("pertemuan-xi-putin.txt") == "Pertemuan Xi Putin"
    assert document_title("dir/laporan_tahunan 2024.md") == "Laporan Tahunan 2024"


def test_a_saved_document_is_whole_or_absent_even_when_writing_fails(tmp_path: Path, monkeypatch):
    from embeddings.documents import folder as folder_module
    from embeddings.documents.folder import save_document

    save_document(tmp_path, "cuti.txt", b"Versi lama.")

    def fail_halfway(path: Path, data: bytes) -> None:
        path.write_bytes(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folder_module, "write_synced", fail_halfway)
    with pytest.raises(OSError):
        save_document(tmp_path, "cuti.txt", b"Versi baru yang panjang.")
    with pytest.raises(OSError):
        save_document(tmp_path, "baru.txt", b"Dokumen baru.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cuti.txt"]  # no half file, no leftover
    assert (tmp_path / "cuti.txt").read_bytes() == b"Versi lama."
    with pytest.raises(ValueError):
        save_document(tmp_path, "../luar.txt", b"x")
