"""Hostile text end to end: names, titles, text and questions full of HTML's special characters,
emoji, long runs without spaces and names at the file system's limits, through the real bot (the
Bot API stand-in refuses invalid HTML and messages over 4096 characters, as Telegram does)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.keyboards import LIST_PAGE_SIZE
from bot.state.history import Asked, new_ref
from embeddings.documents.folder import MAX_NAME_BYTES, MAX_NAME_CHARS, safe_document_name, save_document
from tests.telegram_html import telegram_html_problem
from tests.test_bot import ADMIN, assert_all_messages_valid, buttons

MARKS = "<&>\"'"  # each grows to 4-6 characters when escaped
_NUMBERED = re.compile(r"\n(\d+)\. ")


def _said(bot, words: str, count: int = 1, timeout: float = 120) -> str:
    """The text of the ``count``-th message the bot sent that holds ``words``."""
    calls = bot.standin.wait_for(lambda c: c.method == "sendMessage" and words in c.params["text"], timeout, count)
    return calls[-1].params["text"]


def _pages(bot, first: dict) -> list[dict]:
    """Every page of a paged message, ``first`` then each one ▶ leads to, each checked valid; then
    back through ◀, which must show the same pages again (the first less a note it had above the list)."""
    edits = 0

    def turn(message: dict, label: str) -> dict:
        nonlocal edits
        bot.press(message, buttons(message)[label], user_id=ADMIN)
        edits += 1
        mine = bot.standin.wait_for(
            lambda c: c.method == "editMessageText" and c.params["message_id"] == first["message_id"], count=edits
        )
        assert mine[-1].status == 200, mine[-1].result
        return mine[-1].result

    pages = [first]
    while "▶" in buttons(pages[-1]):
        pages.append(turn(pages[-1], "▶"))
    back = [pages[-1]]
    while "◀" in buttons(back[-1]):
        back.append(turn(back[-1], "◀"))
    assert [page["text"] for page in back[:-1]] == [page["text"] for page in reversed(pages[1:])]
    assert first["text"].endswith(back[-1]["text"])
    for page in pages:
        assert telegram_html_problem(page["text"]) is None, page["text"][:300]
    return pages


def _write_hostile_documents(folder: Path) -> None:
    """Markdown files whose folders, names, headings and text are hostile, near the limits of each; one
    has a section too long for one message; and PDFs that can't be read, to be named in the report."""
    for number in range(24):
        inner = folder / (f"{number % 3} " + MARKS * 40 + "📁")  # 206 bytes: a folder name near the limit
        inner.mkdir(exist_ok=True)
        name = f"{number:02} " + MARKS * 47 + "📄🤔.md"  # 249 bytes
        headings = [f"# {number}-{part} {MARKS * 30}🤔{'x' * 150}" for part in range(2)]
        paragraph = f"Catatan {number} & <tanda> \"kutip\" 'tunggal' {MARKS * 10} " + "y" * 80 + "."
        (inner / name).write_text(f"{headings[0]}\n\n{paragraph}\n\n{headings[1]}\n\n{paragraph}\n", encoding="utf-8")
    long_section = "\n\n".join(f'Paragraf {i}: kata & <tanda> "kutip" ' * 40 for i in range(12))
    (folder / "panjang.md").write_text(f"# Panjang {MARKS * 50}\n\n{long_section}\n", encoding="utf-8")
    for number in range(3):
        (folder / (f"{number} " + "&" * 200 + ".pdf")).write_bytes(b"%PDF-1.7 " + MARKS.encode() * 100)


def test_lists_of_hostile_titles_names_and_questions_are_valid_on_every_page(bot):
    _write_hostile_documents(bot.docs_dir)
    bot.ask("/reindex", user_id=ADMIN)
    report = _said(bot, "Reindexed in", timeout=600)
    assert "\nAdded: " in report and "\nSkipped: 0 &amp;&amp;" in report
    knowledge = bot.application.bot_data["knowledge"]

    sections = _pages(bot, bot.ask("/sections", user_id=ADMIN))
    assert len(sections) > -(-len(knowledge.sections()) // LIST_PAGE_SIZE)  # paged by length, not by count
    numbers = [int(label) for page in sections for label in buttons(page) if label.isdigit()]
    assert numbers == [entry.number for entry in knowledge.sections()]  # each section once, in order
    noted = _pages(bot, bot.ask("/section " + '"' * 300, user_id=ADMIN))  # the list under "no title matches …"
    note = "No section title matches “" + "&quot;" * 59 + "…”. These are the sections:"
    assert noted[0]["text"] == f"{note}\n\n{sections[0]['text']}"
    assert [page["text"] for page in noted[1:]] == [page["text"] for page in sections[1:]]

    documents = _pages(bot, bot.ask("/documents", user_id=ADMIN))
    listed = [int(n) for page in documents for n in _NUMBERED.findall(page["text"])]
    assert listed == list(range(1, len(knowledge.documents()) + 1)) and len(documents) > 2

    history = bot.application.bot_data["state"].history
    questions = [f"Pertanyaan {n} {MARKS * 28}🤔 " + "z" * 30 for n in range(45)]
    for number, question in enumerate(questions):
        user = history.user(3000 + number)
        history.record(
            Asked(new_ref(), time.time(), "private", "en", user, question, None, None, None, 0.1, True, 0.2, None)
        )
    assert history.flush()
    unanswered = _pages(bot, bot.ask("/unanswered", user_id=ADMIN))
    listed = [int(n) for page in unanswered for n in _NUMBERED.findall(page["text"])]
    assert listed == list(range(1, len(questions) + 1)) and len(unanswered) > 3

    long = next(entry for entry in knowledge.sections() if entry.document == "panjang.md")
    section = _pages(bot, bot.ask(f"/section {long.number}", user_id=ADMIN))
    assert len(section) > 1 and section[0]["text"].startswith(f"<b>{long.number}. Panjang &lt;&amp;&gt;&quot;")
    assert_all_messages_valid(bot)


def _upload(bot, data: bytes, file_name: str) -> dict:
    """An admin sends ``data`` as the file ``file_name``; the bot's first reply."""
    return bot.standin.reply_to(bot.standin.send_document(data, file_name, user_id=ADMIN))


def test_a_document_hostile_in_name_title_and_text_is_added_answered_and_listed(bot):
    parking = (
        "# Tarif \\<b\\>Parkir\\</b\\> & \"Valet\" 'VIP'\n\n"
        "Tarif parkir valet VIP & reguler di gedung \"Merdeka\" adalah Rp 25.000 per jam, 'tanpa' batas waktu; "
        "parkir < 2 jam gratis.\n"
    )
    canteen = (
        '# Jadwal Kantin & "Kopi" <lantai 3>\n\n'
        "Kantin di lantai 3 & kedai \"kopi\" buka pukul 07.00 sampai 15.00 setiap hari 'kerja' "
        "(harga < Rp 20.000).\n"
    )
    hostile_name = "tarif <parkir> & \"valet\" 'vip'.md"
    long_name = "🚗" * 70 + ' <kantin> & "kopi".md'  # 302 bytes in UTF-8
    stored = safe_document_name(long_name)
    assert _upload(bot, parking.encode(), hostile_name)["text"].startswith("⏳ Adding tarif &lt;parkir&gt; &amp;")
    added = _said(bot, "is in:")
    assert added == "✅ tarif &lt;parkir&gt; &amp; &quot;valet&quot; &#x27;vip&#x27;.md is in: 1 sections, 1 passages."
    _upload(bot, canteen.encode(), long_name)
    assert _said(bot, "is in:", count=2) == f"✅ {stored} is in: 1 sections, 1 passages."
    assert (bot.docs_dir / hostile_name).read_bytes() == parking.encode()
    assert (bot.docs_dir / stored).read_bytes() == canteen.encode()

    answer = bot.ask("Berapa tarif parkir valet VIP per jam?")["text"]
    assert answer.startswith("<b>Tarif &lt;b&gt;Parkir&lt;/b&gt; &amp; &quot;Valet&quot; &#x27;VIP&#x27;</b>\n")
    assert "VIP &amp; reguler di gedung &quot;Merdeka&quot; adalah Rp 25.000 per jam, &#x27;tanpa&#x27;" in answer
    assert "parkir &lt; 2 jam gratis." in answer
    assert (
        "📄 tarif &lt;parkir&gt; &amp; &quot;valet&quot; &#x27;vip&#x27;.md · bagian " in answer
    )  # the question's language
    answer = bot.ask("Jam berapa kantin dan kedai kopi buka?")["text"]
    assert answer.startswith("<b>Jadwal Kantin &amp; &quot;Kopi&quot; &lt;lantai 3&gt;</b>\n")
    assert "Kantin di lantai 3 &amp; kedai &quot;kopi&quot; buka pukul 07.00" in answer
    assert f"📄 {stored} · bagian " in answer

    listing = bot.ask("/documents")["text"]
    assert "\n2. tarif &lt;parkir&gt; &amp; &quot;valet&quot; &#x27;vip&#x27;.md — 1 sections, 1 passages" in listing
    assert f"\n3. {stored} — 1 sections, 1 passages" in listing
    assert_all_messages_valid(bot)


def test_a_name_too_long_for_the_file_system_is_cut_to_fit_keeping_its_type_and_staying_distinct(tmp_path: Path):
    parking, canteen = "🚗" * 70 + " <&> 'parkir'.MD", "🚗" * 70 + " <&> 'kantin'.MD"  # differ past the cut
    name = safe_document_name(parking)
    assert re.fullmatch(r"🚗+~[0-9a-f]{8}\.md", name) and len(name.encode()) <= MAX_NAME_BYTES
    assert safe_document_name(name) == name == safe_document_name(parking)  # the same file sent again: replaced
    assert safe_document_name(canteen) != name
    for character in ("a", "é", "中", "🚗"):  # 1 to 4 bytes each
        for count in range(60, 260, 7):
            cut = safe_document_name(character * count + " & <b>.pdf")
            assert len(cut) <= MAX_NAME_CHARS and len(cut.encode()) <= MAX_NAME_BYTES and cut.endswith(".pdf")
            assert safe_document_name(cut) == cut
            save_document(tmp_path, cut, b"%PDF")  # the file system takes it
    assert safe_document_name("a <b> & \"c\" 'd'.md") == "a <b> & \"c\" 'd'.md"  # short names are kept as they are
