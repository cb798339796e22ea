"""Paragraphs → passages within the model's input limit, split at sentences, nothing lost."""

from __future__ import annotations

from embeddings.documents.document import Document, Section
from embeddings.documents.passages import fit_to_limit, make_passages, split_sentences


def test_sentences_of_indonesian_and_english_text():
    text = (
        "Pertemuan itu digelar Rabu. Dr. Budi hadir bersama Prof. Sari! Apakah J. K. Rowling datang? "
        "“Ya,” katanya. 2024 adalah tahun pemilu."
    )
    assert split_sentences(text) == [
        "Pertemuan itu digelar Rabu.",
        "Dr. Budi hadir bersama Prof. Sari!",
        "Apakah J. K. Rowling datang?",
        "“Ya,” katanya.",
        "2024 adalah tahun pemilu.",
    ]


def test_cjk_sentences():
    assert split_sentences("今天下雨。明天晴天！") == ["今天下雨。", "明天晴天！"]


def test_decimals_and_lowercase_continuations_do_not_split():
    assert split_sentences("Harga naik 3.5 persen. lalu turun.") == ["Harga naik 3.5 persen. lalu turun."]


def test_long_paragraph_is_split_at_sentences_within_the_limit(encoder):
    sentence = "Kedua negara sepakat memperkuat kerja sama ekonomi di bidang energi dan teknologi. "
    paragraph = (sentence * 60).strip()
    parts = fit_to_limit(paragraph, encoder.count_document_tokens, encoder.max_tokens)
    assert len(parts) > 1
    assert all(encoder.count_document_tokens(part) <= encoder.max_tokens for part in parts)
    assert all(part.endswith(".") for part in parts)  # whole sentences only
    assert " ".join(parts) == paragraph  # nothing dropped or reordered


def test_a_single_overlong_sentence_is_split_between_words(encoder):
    sentence = " ".join(f"kata{i}" for i in range(900))
    parts = fit_to_limit(sentence, encoder.count_document_tokens, encoder.max_tokens)
    assert len(parts) > 1
    assert all(encoder.count_document_tokens(part) <= encoder.max_tokens for part in parts)
    assert " ".join(parts) == sentence


def test_passages_know_document_section_and_position():
    documents = [
        Document("a.txt", "A", (Section("A", ("p1", "p2")), Section("Two", ("p3",)))),
        Document("b.md", "B", (Section("Only", ("p4",)),)),
    ]
    passages = make_passages(documents, count_tokens=len, max_tokens=100)
    assert [(p.document, p.section, p.section_number, p.paragraph, p.part, p.text) for p in passages] == [
        ("a.txt", "A", 1, 1, 1, "p1"),
        ("a.txt", "A", 1, 2, 1, "p2"),
        ("a.txt", "Two", 2, 1, 1, "p3"),
        ("b.md", "Only", 3, 1, 1, "p4"),
    ]
