"""Message formatting and button data at their limits: valid Telegram HTML, ≤ 4096 characters, ≤ 64 bytes."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.formatting import age, format_answer, section_list, section_pages, split_text
from bot.keyboards import (
    AnswerButton,
    ListButton,
    SectionButton,
    answer_keyboard,
    parse_callback,
    section_keyboard,
    section_list_keyboard,
)
from embeddings.documents.passages import Passage
from embeddings.search.index import SectionEntry
from embeddings.search.retrieval import Answer, Hit
from tests.telegram_html import telegram_html_problem


def test_split_text_keeps_every_character_in_order_within_the_limit():
    value = "Kalimat pertama & <kedua>. " * 400 + "\n\n" + "x" * 5000 + " akhir."
    pieces = split_text(value, 1000)
    assert "".join(pieces) == value
    assert all(len(piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) <= 1000 for piece in pieces)
    assert pieces[0].endswith(". ")  # cut at a sentence end when there is one


def _passage(text: str, section: str = "Bagian <1> & \"dua\"") -> Passage:
    return Passage("dir/<doc>&.md", section, 3, 2, 1, text)


def _answer(text: str, sentence: tuple[int, int] | None, confidence: float, sure: bool, total: int = 1) -> Answer:
    """An answer of ``total`` passages, each ``text`` with ``sentence`` as its answering sentence."""
    hits = [Hit(_passage(text), 0.9, number) for number in range(total)]
    return Answer(hits, [sentence] * total, None, confidence, sure)


def test_answer_with_markup_characters_is_escaped_and_highlighted():
    text = "Harga <b>naik</b> & turun. Kalimat kedua menjawab *ini* _itu_."
    message = format_answer(_answer(text, (27, len(text)), confidence=0.9, sure=True), language="en")
    assert telegram_html_problem(message) is None
    assert "<b>Kalimat kedua menjawab *ini* _itu_.</b>" in message
    assert "Harga &lt;b&gt;naik&lt;/b&gt; &amp; turun." in message
    assert "Confidence: high" in message


def test_an_answer_too_long_for_one_message_shows_the_part_with_the_sentence():
    text = "& " * 1500 + "Inilah kalimat jawabannya. " + "< " * 1500
    start = text.index("Inilah")
    sentence = (start, start + len("Inilah kalimat jawabannya. "))
    message = format_answer(_answer(text, sentence, confidence=0.05, sure=False, total=5), language="id")
    assert telegram_html_problem(message) is None
    assert "<b>Inilah kalimat jawabannya.</b>" in message
    assert message.startswith("🤔 Saya tidak yakin")


def test_long_section_pages_are_valid_and_lose_nothing():
    paragraphs = tuple(_passage(f"Paragraf {i} " + "kata & <tanda> " * 120, "Judul") for i in range(10))
    entry = SectionEntry(7, "doc.md", "Judul " * 60, paragraphs)
    pages = section_pages(entry, "en")
    assert len(pages) > 1
    for page in pages:
        assert telegram_html_problem(page) is None
    bodies = [page.split("</i>\n\n", 1)[1] for page in pages]
    unescaped = " ".join(bodies).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped.split() == entry.text.split()


def test_section_list_is_valid():
    entries = [SectionEntry(i, f"doc{i // 7}<&>.txt", f"Judul <{i}>", ()) for i in range(1, 60)]
    message = section_list(entries, "id", 20, 20)
    assert telegram_html_problem(message) is None
    assert "21. Judul &lt;21&gt;" in message and "41." not in message


def test_callback_data_fits_64_bytes_at_the_largest_values_and_round_trips():
    keyboards = [
        answer_keyboard("0123abcd", 2, 99, "abcdef", 999_999_999, "id"),
        section_keyboard("abcdef", 999_999_999, 5, 9999),
        section_list_keyboard("abcdef", list(range(999_999_980, 1_000_000_000)), 3, 999_999),
    ]
    for keyboard in keyboards:
        for row in keyboard.inline_keyboard:
            for button in row:
                assert len(button.callback_data.encode()) <= 64
    assert parse_callback(AnswerButton("0123abcd", 4).data()) == AnswerButton("0123abcd", 4)
    assert parse_callback(SectionButton("abcdef", 12, 3, False).data()) == SectionButton("abcdef", 12, 3, False)
    assert parse_callback(ListButton("abcdef", 2).data()) == ListButton("abcdef", 2)
    forged_data = ("a:abcdef:5", "a:0123abcd:", "a:0123abcd:0:1.2", "a:0123ABCD:1", "s:abcdef:1", "l:ABCDEF:1", "ü" * 40)
    for forged in forged_data:
        assert parse_callback(forged) is None


def test_only_the_best_answer_is_rated():
    text = "Satu kalimat saja."
    for sure in (True, False):
        answer = _answer(text, None, confidence=0.5 if sure else 0.1, sure=sure, total=3)
        best, other = format_answer(answer, 0, language="en"), format_answer(answer, 1, language="en")
        assert best.endswith("Confidence: medium · Answer 1 of 3" if sure else "/sections. · Answer 1 of 3")
        assert ("not sure" in best) is not sure
        assert other.endswith("\nAnswer 2 of 3") and "Confidence" not in other and "not sure" not in other


def test_index_age_in_its_largest_whole_unit():
    created = "2026-11-28T09:00:00+00:00"
    at = [(9, 0, 40), (9, 12, 5), (14, 59, 0)]
    assert [age(created, datetime(2026, 11, 28, h, m, s, tzinfo=timezone.utc)) for h, m, s in at] == [
        "40 s",
        "12 min",
        "5 h",
    ]
    assert age(created, datetime(2026, 12, 1, 10, tzinfo=timezone.utc)) == "3 d"
