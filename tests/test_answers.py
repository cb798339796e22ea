"""Questions about the bundled article, in Indonesian and English, find the paragraph that answers them."""

from __future__ import annotations

import pytest

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
def test_best_passage_answers_the_question(sample_knowledge, question, section, paragraph):
    best = sample_knowledge.ask(question, k=3).hits[0]
    assert (best.passage.section_number, best.passage.paragraph) == (section, paragraph)
    assert best.passage.document == "pertemuan-xi-putin.txt"


def test_k_hits_are_distinct_passages(sample_knowledge):
    hits = sample_knowledge.ask("kerja sama energi", k=8).hits
    assert len({hit.number for hit in hits}) == len(hits) == 8



def test_blank_question_finds_nothing(sample_knowledge):
    answer = sample_knowledge.ask("   \n\t ")
    assert answer.hits == [] and not answer.sure


# Questions the article does not answer (off-topic), in Indonesian and English, some sharing its words.
UNANSWERABLE = [
    "Berapa harga tiket kereta cepat Jakarta ke Bandung tahun ini?",
    "Bagaimana cara membuat roti tawar di rumah?",
    "Siapa pemenang Piala Dunia sepak bola tahun 2010?",
    "Berapa harga tiket kereta dari Jakarta ke Bandung?",
    "Kapan jadwal libur sekolah semester genap?",
    "Bagaimana cara memperpanjang SIM yang sudah habis masa berlakunya?",
    "Apa resep rendang daging sapi yang empuk?",
    "Berapa suhu rata-rata kota Bandung pada bulan Juli?",
    "Siapa penulis novel Laskar Pelangi?",
    "Bagaimana cara menanam cabai di dalam pot?",
    "Di mana letak Candi Borobudur?",
    "Berapa gaji minimum regional Jakarta tahun ini?",
    "Apa gejala demam berdarah pada anak?",
    "Bagaimana cara mendaftar BPJS Kesehatan secara online?",
    "Jam berapa kantor pos buka pada hari Sabtu?",
    "Siapa pelatih tim nasional sepak bola Indonesia saat ini?",
    "Berapa kalori dalam sepiring nasi goreng?",
    "How do I bake sourdough bread at home?",
    "Who won the football World Cup in 2010?",
    "What is the boiling point of water at sea level?",
    "How much does a high-speed train ticket from Jakarta to Bandung cost?",
    "What time does the library open on Sundays?",
    "How do I reset my email password?",
    "Who wrote the novel Pride and Prejudice?",
    "What is the capital city of Australia?",
    "How many players are on a basketball team?",
    "What is a good recipe for chocolate chip cookies?",
    "How long does it take to learn to play the guitar?",
    "Which planet is the largest in the solar system?",
    "How do I renew my passport?",
    "What are the symptoms of the common cold?",
    "When is the next school holiday?",
]


# An English question about these Indonesian paragraphs that the "not sure" model, fitted without
# evaluation data, rates 0.18: under the default, though the answer is found (README, Performance).
UNSURE_IN_ENGLISH = "What did the leaders agree on regarding regional security and peace?"


@pytest.mark.parametrize("question", [
    pytest.param(question, marks=pytest.mark.xfail(strict=True, reason="known limit: see UNSURE_IN_ENGLISH"))
    if question == UNSURE_IN_ENGLISH else question
    for question, _, _ in QUESTIONS
])
def test_answerable_questions_are_confident(sample_knowledge, question):
    assert sample_knowledge.ask(question, k=1).sure


def test_off_topic_questions_get_not_sure(sample_knowledge):
    """At least 90 % of off-topic questions, asked of the sample's 8 passages, get "not sure"."""
    answers = sample_knowledge.ask_many(UNANSWERABLE, k=1)
    assert all(answer.hits for answer in answers), "a guess is still returned"
    confident = [question for question, answer in zip(UNANSWERABLE, answers, strict=True) if answer.sure]
    assert len(confident) <= 0.1 * len(UNANSWERABLE), confident
    assert "Berapa harga tiket kereta cepat Jakarta ke Bandung tahun ini?" not in confident


# Questions whose passage holds several candidate sentences, and the words the right one holds.
ANSWER_SENTENCES = [
    ("Sektor apa saja yang dicakup kesepakatan ekonomi Tiongkok dan Rusia?", "Kesepakatan ekonomi ini mencakup"),
    pytest.param(
        "Do China and Russia take similar positions at the United Nations?",
        "Perserikatan Bangsa-Bangsa",
        # The embedded model finds the passage but ranks "Ini menunjukkan bahwa …" above the
        # sentence naming the United Nations; no ranker trained here fixed it (README, "Training
        # our own ranker"). Strict: the day it passes, this marker must go.
        marks=pytest.mark.xfail(strict=True, reason="cross-language answer sentence: a known limit of the model"),
    ),
]


@pytest.mark.parametrize(("question", "words"), ANSWER_SENTENCES)
def test_the_answering_sentence_is_chosen(sample_knowledge, question, words):
    answer = sample_knowledge.ask(question, k=1)
    start, end = answer.sentence
    assert words in answer.hits[0].passage.text[start:end]
