"""Message formatting and button data at their limits: valid Telegram HTML, ≤ 4096 characters, ≤ 64 bytes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.formatting import (
    LIST_PAGE_SIZE,
    MESSAGE_LIMIT,
    TAUGHT_ANSWER_LIMIT,
    age,
    document_list,
    escape_within,
    format_answer,
    format_taught,
    pages_by_length,
    reindex_report,
    section_list,
    section_pages,
    split_text,
    stats_message,
    taught_list,
    unanswered_list,
)
from bot.keyboards import (
    AnswerButton,
    ListButton,
    NewSectionButton,
    SectionButton,
    answer_keyboard,
    parse_callback,
    section_keyboard,
    section_list_keyboard,
)
from bot.state.history import Unanswered, Usage
from embeddings.documents.folder import Problem
from embeddings.documents.passages import Passage
from embeddings.knowledge import Counts, DocumentEntry, ReindexResult
from embeddings.search.index import Manifest, SectionEntry
from embeddings.search.retrieval import Answer, Hit
from embeddings.search.taught import TaughtAnswer, TaughtMatch
from tests.telegram_html import telegram_html_problem


def test_split_text_keeps_every_character_in_order_within_the_limit():
    value = "Kalimat pertama & <kedua>. " * 400 + "\n\n" + "x" * 5000 + " akhir."
    pieces = split_text(value, 1000)
    assert "".join(pieces) == value
    assert all(len(piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) <= 1000 for piece in pieces)
    assert pieces[0].endswith(". ")  # cut at a sentence end when there is one


def _passage(text: str, section: str = 'Bagian <1> & "dua"') -> Passage:
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
    pages = section_list(entries, "id")
    assert [page.entries for page in pages] == [range(20), range(20, 40), range(40, 59)]
    message = pages[1].text
    assert telegram_html_problem(message) is None
    assert "21. Judul &lt;21&gt;" in message and "41." not in message
    assert message.startswith("📚 <b>Daftar bagian</b> (59)\n\n📄 <i>doc3&lt;&amp;&gt;.txt</i>\n21. Judul")


# Text that grows most when escaped, with emoji, quotes and a long run without spaces.
HOSTILE = "<&>\"'" * 30 + "📄🤔" + "&" * 300


def _hostile(number: int) -> str:
    return f"{number} {HOSTILE}"


def test_lists_of_hostile_entries_are_paged_by_length_into_valid_messages():
    sections = [SectionEntry(i, f"dir/{_hostile(i // 3)}.md", _hostile(i), ()) for i in range(1, 80)]
    documents = [DocumentEntry(f"{_hostile(i)}.md", 3, 9, i) for i in range(60)]
    questions = [Unanswered(_hostile(i), 2, 0.0, 1, 1, (_hostile(i),), None) for i in range(70)]
    taught = [TaughtAnswer(i, _hostile(i) * 40, 0.0, tuple(_hostile(i + n) for n in range(5))) for i in range(50)]
    note = "No section title matches “" + "&amp;" * 60 + "”."
    lists = {
        "sections": (section_list(sections, "en"), len(sections)),
        "sections under a note": (section_list(sections, "en", note=note), len(sections)),
        "documents": (document_list(documents, "id"), len(documents)),
        "unanswered": (unanswered_list(questions, 30, "en"), len(questions)),
        "taught": (taught_list(taught, "id"), len(taught)),
    }
    for name, (pages, count) in lists.items():
        assert len(pages) > 4, name
        assert [number for page in pages for number in page.entries] == list(range(count)), name  # each once, in order
        for page in pages:
            assert telegram_html_problem(page.text) is None, (name, page.entries, page.text[:300])
            assert 0 < len(page.entries) <= LIST_PAGE_SIZE
    plain, noted = lists["sections"][0], lists["sections under a note"][0]
    assert [page.entries for page in plain] == [page.entries for page in noted]  # the same pages, whatever the note
    assert noted[0].text == f"{note}\n\n{plain[0].text}" and noted[1:] == plain[1:]
    for page in plain:  # a page starting within a document names it again
        assert f"\n\n📄 <i>dir/{sections[page.entries.start].number // 3} &lt;" in page.text


def test_pages_by_length_fill_each_page_and_refuse_an_entry_that_can_never_fit():
    assert pages_by_length([], 100) == [range(0)]
    assert pages_by_length(["\n" + "x" * 9] * 25, 30) == [range(n, min(n + 3, 25)) for n in range(0, 25, 3)]
    assert pages_by_length(["\n1"] * 45, MESSAGE_LIMIT) == [range(20), range(20, 40), range(40, 45)]
    headed = ["\n# head\n1", "\n# head\n22"]  # each entry as it reads at the top of a page
    assert pages_by_length(["\n1", "\n22"], 12, first=headed) == [range(2)]
    assert pages_by_length(["\n1", "\n22"], 10, first=headed) == [range(1), range(1, 2)]
    with pytest.raises(ValueError, match="entry 1 "):
        pages_by_length(["\n1", "\n" + "x" * 50], 20)


def test_escape_within_cuts_the_text_not_the_html():
    for value in (HOSTILE, "a" * 50 + "&" * 50, "&quot; " * 40):
        for limit in range(2, 120):
            shown = escape_within(value, limit)
            assert len(shown) <= limit and telegram_html_problem(shown) is None, (value, limit, shown)
    assert escape_within("  <b>  & </b> ", 26) == "&lt;b&gt; &amp; &lt;/b&gt;"
    assert escape_within("  <b>  & </b> ", 25) == "&lt;b&gt; &amp; &lt;/b…"
    assert escape_within("&&&", 10) == "&amp;…"


def test_a_reindex_report_with_hostile_names_is_one_valid_message():
    names = tuple(f"{_hostile(i)}.md" for i in range(12))
    problems = tuple(Problem(name, f"{name}: is not a readable PDF ({HOSTILE})") for name in names)
    result = ReindexResult(Counts(1, 5, 8), Counts(13, 40, 90), names, names[:5], 1.5, problems)
    for language in ("en", "id"):
        report = reindex_report(result, language)
        assert telegram_html_problem(report) is None, report[-200:]
        assert ": 0 &lt;&amp;&gt;&quot;&#x27;" in report and report.endswith("…")
    few = ReindexResult(Counts(1, 5, 8), Counts(2, 6, 9), ("a <b> & c.md",), (), 1.5, ())
    assert reindex_report(few, "en").endswith("Passages: 8 → 9\nAdded: a &lt;b&gt; &amp; c.md")


def test_a_section_page_with_a_hostile_title_and_document_fits_a_message():
    paragraphs = tuple(Passage(_hostile(1), _hostile(2), 7, i, 1, "kata & <tanda> " * 150, page=i) for i in range(1, 6))
    pages = section_pages(SectionEntry(7, _hostile(1), _hostile(2), paragraphs), "en")
    assert len(pages) > 1
    for page in pages:
        assert telegram_html_problem(page) is None, page[:300]
        assert page.startswith("<b>7. 2 &lt;&amp;&gt;")


def test_stats_with_hostile_document_names_fit_a_message():
    manifest = Manifest(1, "multilingual-e5-small", 384, {}, "", "2026-11-28T09:00:00+00:00", 12, 40, 90)
    by_document = [(f"{_hostile(i)}.md", 12 - i) for i in range(12)]
    usage = Usage(5, 9, 20, 3, 2, 4, 1, 0.05, by_document)
    message = stats_message(manifest, usage, "en")
    assert telegram_html_problem(message) is None, len(message)
    assert "\n0 &lt;&amp;&gt;" in message and "\n10 &lt;" not in message  # the ten most answered


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
    assert parse_callback(NewSectionButton("abcdef", 12, 3).data()) == NewSectionButton("abcdef", 12, 3)
    assert parse_callback("s:abcdef:12:3") == SectionButton("abcdef", 12, 3) != NewSectionButton("abcdef", 12, 3)
    assert parse_callback(ListButton("abcdef", 2).data()) == ListButton("abcdef", 2)
    forged_data = (
        "a:abcdef:5",
        "a:0123abcd:",
        "a:0123abcd:0:1.2",
        "a:0123ABCD:1",
        "s:abcdef:1",
        "l:ABCDEF:1",
        "ü" * 40,
    )
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


def test_a_taught_answer_of_hostile_text_at_its_longest_fits_one_valid_message():
    answer = TaughtAnswer(1, "<&>" * (TAUGHT_ANSWER_LIMIT // 15), 0.0, ("<b>" * 200,))
    found = Answer([], [], taught=TaughtMatch(answer, answer.questions[0], 0.97, given=True))
    for language in ("en", "id"):
        message = format_taught(found, language)
        assert telegram_html_problem(message) is None and len(message) <= 4096
        assert message.count("&lt;&amp;&gt;") == TAUGHT_ANSWER_LIMIT // 15
