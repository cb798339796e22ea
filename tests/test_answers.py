"""Questions about the bundled article, in Indonesian and English, find the paragraph that answers them."""

from __future__ import annotations

import pytest

from config import Settings

DEFAULT_MIN_CONFIDENCE = Settings.model_fields["min_confidence"].default

# (question, section number, paragraph number in that section)
QUESTIONS = [
    ("Kapan pertemuan virtual Xi Jinping dan Putin diadakan?", 1, 1),
    ("On what day did Xi and Putin meet virtually?", 1, 1),
    ("Bagaimana perkembangan diplomasi Tiongkok dan Rusia di bawah Xi dan Putin?", 2, 1),
    ("How has diplomacy between China and Russia developed under Xi and Putin?", 2, 1),
    ("Apa yang disepakati kedua pemimpin tentang keamanan regional?", 3, 1),
    ("What did the leaders agree on regarding regional security and peace?", 3, 1),
    ("Sektor apa saja yang dicakup kesepakatan ekonomi kedua negara?", 4, 1),
    ("Which sectors does the economic agreement between China and Russia cover?", 4, 1),
    ("Mengapa sektor energi menjadi bidang utama kerja sama?", 4, 2),
    ("Why is energy a key area of cooperation between the two countries?", 4, 2),
    ("How does Russia's military power combine with China's economic strength?", 5, 1),
    ("Isu global apa saja yang membuat kedua negara mengambil posisi serupa?", 5, 2),
    ("What global issues do China and Russia take similar positions on, such as climate change?", 5, 2),
    ("Apa kesimpulan dari pertemuan Xi Jinping dan Vladimir Putin?", 5, 3),
]


@pytest.mark.parametrize(("question", "section", "paragraph"), QUESTIONS)
def test_best_passage_answers_the_question(sample_retriever, question, section, paragraph):
    best = sample_retriever.search(question, k=3)[0]
    assert (best.passage.section_number, best.passage.paragraph) == (section, paragraph)
    assert best.passage.document == "pertemuan-xi-putin.txt"


def test_k_hits_are_distinct_passages(sample_retriever):
    hits = sample_retriever.search("kerja sama energi", k=8)
    assert len({hit.number for hit in hits}) == len(hits) == 8



def test_blank_question_finds_nothing(sample_retriever):
    assert sample_retriever.search("   \n\t ") == []


# Questions the article does not answer, in both languages, some sharing its words.
UNANSWERABLE = [
    "Bagaimana cara membuat roti tawar di rumah?",
    "Siapa pemenang Piala Dunia sepak bola tahun 2010?",
    "Berapa harga tiket kereta dari Jakarta ke Bandung?",
    "How do I bake sourdough bread at home?",
    "Who won the football World Cup in 2010?",
    "What is the boiling point of water at sea level?",
]


@pytest.mark.parametrize(("question", "section", "paragraph"), QUESTIONS)
def test_answerable_questions_are_confident(sample_retriever, question, section, paragraph):
    assert sample_retriever.ask(question, k=1).confidence >= DEFAULT_MIN_CONFIDENCE


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_documents_do_not_answer_are_not(sample_retriever, question):
    answer = sample_retriever.ask(question, k=1)
    assert answer.hits, "a guess is still returned"
    assert answer.confidence < DEFAULT_MIN_CONFIDENCE
