"""Admins add and remove documents from the chat: the real bot over HTTP, real PDF, Word and HTML files."""

from __future__ import annotations

from pathlib import Path

from tests.documents import write_docx, write_epub, write_html, write_odt, write_pdf, write_pptx
from tests.test_bot import ADMIN, assert_all_messages_valid, buttons


def _upload(bot, path: Path, file_name: str | None = None, user_id: int = ADMIN, **kwargs) -> dict:
    """Send ``path`` as a file and return the bot's first reply to it."""
    sent = bot.standin.send_document(path.read_bytes(), file_name or path.name, user_id=user_id, **kwargs)
    return bot.standin.reply_to(sent)


def _said(bot, words: str, count: int = 1) -> str:
    """The text of the ``count``-th message the bot sent that holds ``words``."""
    calls = bot.standin.wait_for(lambda c: c.method == "sendMessage" and words in c.params["text"], count=count)
    return calls[-1].params["text"]


def test_an_admin_adds_a_pdf_a_word_file_and_a_web_page_and_each_answers(bot, tmp_path: Path):
    for number, (path, added) in enumerate(
        [
            (write_pdf(tmp_path / "pedoman.pdf"), "✅ pedoman.pdf is in: 3 sections, 5 passages, 3 pages."),
            (write_docx(tmp_path / "tunjangan.docx"), "✅ tunjangan.docx is in: 2 sections, 5 passages."),
            (write_html(tmp_path / "portal.html"), "✅ portal.html is in: 2 sections, 3 passages."),
        ],
        start=1,
    ):
        assert _upload(bot, path)["text"].startswith("⏳ Adding")
        assert _said(bot, "is in:", count=number) == added
        assert (bot.docs_dir / path.name).read_bytes() == path.read_bytes()
    cuti = bot.ask("Berapa hari cuti tahunan karyawan tetap?", language="en")["text"]
    assert "dua belas hari cuti tahunan" in cuti and "📄 pedoman.pdf · bagian 1, paragraf 1, halaman 1" in cuti
    assert "Rp 2.000.000" in bot.ask("Berapa tunjangan per bulan untuk manajer?")["text"]
    assert "basement gedung B" in bot.ask("Di mana karyawan memarkir kendaraan?")["text"]
    section = bot.ask("/section Perjalanan Dinas")["text"]
    assert section.startswith("<b>3. Perjalanan Dinas</b>\n📄 pedoman.pdf, page 3\n\nBiaya perjalanan dinas")
    listing = bot.ask("/documents")["text"]
    assert listing.startswith("📚 <b>Documents</b> (4)\n1. pedoman.pdf — 3 sections, 5 passages, 3 pages\n")
    assert_all_messages_valid(bot)


def test_an_admin_adds_slides_an_opendocument_text_and_an_ebook(bot, tmp_path: Path):
    assert _upload(bot, write_pptx(tmp_path / "pedoman.pptx"))["text"].startswith("⏳ Adding")
    assert _said(bot, "is in:") == "✅ pedoman.pptx is in: 3 sections, 5 passages, 3 pages."
    cuti = bot.ask("Berapa hari cuti tahunan karyawan tetap?", language="en")["text"]
    assert "dua belas hari cuti tahunan" in cuti and "📄 pedoman.pptx · bagian 1, paragraf 1, halaman 1" in cuti
    for number, (path, added) in enumerate(
        [
            (write_odt(tmp_path / "pedoman.odt"), "✅ pedoman.odt is in: 3 sections, 5 passages."),
            (write_epub(tmp_path / "pedoman.epub"), "✅ pedoman.epub is in: 3 sections, 4 passages."),
        ],
        start=2,
    ):
        assert _upload(bot, path)["text"].startswith("⏳ Adding")
        assert _said(bot, "is in:", count=number) == added
    assert_all_messages_valid(bot)


def test_files_from_non_admins_are_refused_and_nothing_is_saved(bot, tmp_path: Path):
    before = sorted(p.name for p in bot.docs_dir.iterdir())
    reply = _upload(bot, write_html(tmp_path / "portal.html"), user_id=1001)
    assert reply["text"] == "Only admins can add documents. Please ask one of them to send this file."
    assert sorted(p.name for p in bot.docs_dir.iterdir()) == before
    assert not [c for c in bot.standin.calls if c.method in ("getFile", "file")]  # not even downloaded


def test_a_document_of_the_same_name_is_replaced_only_when_asked(bot, tmp_path: Path):
    _upload(bot, write_html(tmp_path / "portal.html", people=12))
    _said(bot, "is in:")
    question = reply = _upload(bot, write_html(tmp_path / "portal.html", people=40))
    assert reply["text"] == "portal.html is already in the documents. Replace it with this file?"
    bot.press(question, buttons(question)["Cancel"], user_id=ADMIN)
    [cancelled] = bot.standin.wait_for(lambda c: c.method == "editMessageText")
    assert cancelled.params["text"] == "Cancelled: portal.html was not changed."
    assert "12 orang" in (bot.docs_dir / "portal.html").read_text(encoding="utf-8")
    again = _upload(bot, write_html(tmp_path / "portal.html", people=40))
    bot.press(again, buttons(again)["Replace"], user_id=ADMIN)
    assert _said(bot, "is in:", count=2) == "✅ portal.html is in: 2 sections, 3 passages."
    assert "40 orang" in bot.ask("Ruang Merapi untuk berapa orang?")["text"]
    answered = bot.press(again, buttons(again)["Replace"], user_id=ADMIN)  # pressed again: the file is gone
    assert answered.params["text"] == "I no longer have that file. Please send it again."


def test_an_upload_cut_off_halfway_saves_nothing(bot, tmp_path: Path):
    from tests.botapi import Fault

    bot.standin.inject("file", Fault.drop())
    before = sorted(p.name for p in bot.docs_dir.iterdir())
    reply = _upload(bot, write_pdf(tmp_path / "pedoman.pdf"))
    assert reply["text"] == "The file did not arrive whole. Please send it again; nothing was saved."
    assert sorted(p.name for p in bot.docs_dir.iterdir()) == before


def test_unusable_files_are_named_with_their_reason_and_nothing_is_saved(bot, tmp_path: Path):
    (tmp_path / "laporan.pdf").write_bytes(b"%PDF-1.7 this is not really a PDF")
    (tmp_path / "lagu.mp3").write_bytes(b"ID3\x03\x00 a song")
    (tmp_path / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a whole jpeg")
    before = sorted(p.name for p in bot.docs_dir.iterdir())
    assert _upload(bot, tmp_path / "laporan.pdf")["text"].startswith("I can't use laporan.pdf: is not a readable PDF")
    assert _upload(bot, tmp_path / "lagu.mp3")["text"].startswith("I can't save that file: “lagu.mp3” is not a type")
    assert _upload(bot, tmp_path / "foto.jpg")["text"].startswith("I can't use foto.jpg: is not a readable image")
    big = _upload(bot, tmp_path / "laporan.pdf", file_name="besar.pdf", announced_size=30 * 2**20)
    assert big["text"] == "besar.pdf is 30.0 MiB; I can take files up to 10 MiB. Please split it."
    assert sorted(p.name for p in bot.docs_dir.iterdir()) == before
    assert_all_messages_valid(bot)


def test_a_name_with_folders_is_saved_inside_the_documents_folder(bot, tmp_path: Path):
    _upload(bot, write_html(tmp_path / "portal.html"), file_name="../../../etc/.portal kantor.html")
    assert _said(bot, "is in:") == "✅ portal kantor.html is in: 2 sections, 3 passages."
    assert (bot.docs_dir / "portal kantor.html").exists() and not (bot.docs_dir.parent / "etc").exists()


def test_an_upload_while_a_reindex_runs_is_refused(bot, tmp_path: Path):
    job = bot.application.bot_data["knowledge"].start_reindex()  # reserved, not yet run
    assert _upload(bot, write_html(tmp_path / "portal.html"))["text"] == (
        "A reindex is already running. Please wait for it to finish."
    )
    job()
    assert not (bot.docs_dir / "portal.html").exists()


def test_an_admin_removes_a_document_after_confirming(bot, tmp_path: Path):
    _upload(bot, write_docx(tmp_path / "tunjangan.docx"))
    _said(bot, "is in:")
    assert bot.ask("/remove tunjangan.docx", user_id=1001)["text"].startswith("Sorry, only admins")
    missing = bot.ask("/remove nothing.pdf", user_id=ADMIN)["text"]
    assert missing == "No document is called “nothing.pdf”. /documents lists them."
    confirm = bot.ask("/remove TUNJANGAN.docx", user_id=ADMIN)
    assert confirm["text"] == "Delete tunjangan.docx (2 sections, 5 passages) from the documents?"
    bot.press(confirm, buttons(confirm)["Cancel"], user_id=ADMIN)
    bot.standin.wait_for(lambda c: c.method == "editMessageText" and "was kept" in c.params["text"])
    assert (bot.docs_dir / "tunjangan.docx").exists()
    confirm = bot.ask("/remove tunjangan.docx", user_id=ADMIN)
    bot.press(confirm, buttons(confirm)["🗑 Delete"], user_id=ADMIN)
    assert _said(bot, "was removed") == "🗑 tunjangan.docx was removed. Documents: 1, passages: 8."
    assert not (bot.docs_dir / "tunjangan.docx").exists()
    assert "Rp 2.000.000" not in bot.ask("Berapa tunjangan per bulan untuk manajer?")["text"]


def test_the_document_list_is_paged(bot):
    for number in range(25):
        (bot.docs_dir / f"catatan-{number:02}.md").write_text(
            f"# Catatan {number}\n\nIsi catatan {number}.", encoding="utf-8"
        )
    bot.ask("/reindex", user_id=ADMIN)
    _said(bot, "Reindexed in")
    first = bot.ask("/documents")
    assert first["text"].startswith("📚 <b>Documents</b> (26)\n1. catatan-00.md — 1 sections, 1 passages")
    assert "21." not in first["text"] and set(buttons(first)) == {"▶"}
    bot.press(first, buttons(first)["▶"])
    [second] = bot.standin.wait_for(lambda c: c.method == "editMessageText")
    assert "\n21. catatan-20.md" in second.params["text"] and "26. pertemuan-xi-putin.txt" in second.params["text"]
