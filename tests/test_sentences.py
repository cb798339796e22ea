"""The answering sentence: what the question asks for, the question's words, and the switch that turns it off."""

from __future__ import annotations

import numpy as np

from config import load_settings
from embeddings.knowledge import KnowledgeBase
from embeddings.search.sentences import CHOICES, answering_sentence, asked_for, word_shares

SENTENCES = [
    "Pertemuan virtual antara kedua presiden menegaskan hubungan yang kuat.",
    "Mereka bertemu pada hari Rabu di awal Februari.",
    "Kedua negara mengirim 300 delegasi.",
]


def test_what_a_question_asks_for_in_several_languages():
    dates = [
        "Kapan pertemuan diadakan?",
        "When did they meet?",
        "习近平和普京是什么时候会晤的？",
        "Wann fand das Treffen statt?",
        "Quand a eu lieu la réunion ?",
        "¿En qué año se fundó?",
        "Tahun berapa film itu dirilis?",
    ]
    numbers = ["Berapa jumlah delegasi?", "How many delegates came?", "有多少代表？", "Combien de délégués ?"]
    assert all(asked_for(question) and asked_for(question).search("Rabu, 4 Februari") for question in dates)
    assert all(asked_for(question) and asked_for(question).search("300") for question in numbers)
    assert asked_for("Why is energy a key area?") is None and asked_for("Apa fokus kerja sama?") is None


def test_a_date_question_takes_the_sentence_with_the_date_among_the_closest():
    similarity = np.array([0.90, 0.85, 0.80], dtype=np.float32)
    none = np.zeros(3, dtype=np.float32)
    assert answering_sentence("When did the presidents meet?", SENTENCES, similarity, none) == 1
    assert answering_sentence("How many delegates were sent?", SENTENCES, similarity, none) == 2
    assert answering_sentence("What did the meeting show?", SENTENCES, similarity, none) == 0  # cosine decides
    # Only cosine's closest CHOICES are weighed: a date further down is not taken.
    far = np.array([0.9, *np.linspace(0.89, 0.88, CHOICES - 1), 0.5], dtype=np.float32)
    texts = ["Tanpa tanggal."] * CHOICES + ["Pada 4 Februari 2026."]
    assert answering_sentence("When?", texts, far, np.zeros(len(texts), dtype=np.float32)) == 0


def test_question_words_break_near_ties_and_weigh_by_their_idf():
    shares = word_shares({"delegasi": 3.0, "negara": 1.0}, SENTENCES)
    assert shares.tolist() == [0.0, 0.0, 1.0]
    similarity = np.array([0.801, 0.7, 0.8], dtype=np.float32)
    assert answering_sentence("Apa yang dikirim kedua negara?", SENTENCES, similarity, shares) == 2
    assert answering_sentence("Apa yang dikirim kedua negara?", SENTENCES, similarity, shares * 0) == 0


def test_the_picker_on_the_sample_and_switched_off(sample_knowledge, monkeypatch):
    question = "Which date was the virtual meeting held?"
    passage = sample_knowledge.ask(question, k=1).hits[0].passage.text
    start, end = sample_knowledge.ask(question, k=1).sentence
    assert "4 Februari" in passage[start:end]

    monkeypatch.setenv("TANYA_SENTENCE_PICKER", "off")
    setup = load_settings().knowledge_setup()  # the setting as the bot and the command line pass it on
    by_cosine = KnowledgeBase(sample_knowledge.encoder, sample_knowledge.index, sentence_picker=setup.sentence_picker)
    start, end = by_cosine.ask(question, k=1).sentence
    assert passage[start:end].startswith("Pertemuan virtual antara Presiden Tiongkok")
