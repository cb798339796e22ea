"""Questions about the bundled article, in seven languages: the paragraph that answers them, its sentence, and
"not sure" only for the questions it does not answer."""

from __future__ import annotations

import pytest

# (question, section number, paragraph number in that section): Indonesian, English, Indonesian, …
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
    ("Bagaimana kekuatan militer Rusia berpadu dengan kekuatan ekonomi Tiongkok?", 5, 1),
    ("How does Russia's military power combine with China's economic strength?", 5, 1),
    ("Isu global apa saja yang membuat kedua negara mengambil posisi serupa?", 5, 2),
    ("What global issues do China and Russia take similar positions on, such as climate change?", 5, 2),
    ("Apa kesimpulan dari pertemuan Xi Jinping dan Vladimir Putin?", 5, 3),
]

# Every answerable sample question by the language it is asked in, as QUESTIONS.
SAMPLE = {
    "id": QUESTIONS[0::2],
    "en": [
        *QUESTIONS[1::2],
        ("Who are the main actors in international politics mentioned here?", 5, 2),
        ("Which date was the virtual meeting held?", 1, 1),
        ("What is the conclusion of the meeting between Xi Jinping and Vladimir Putin?", 5, 3),
    ],
    "ms": [
        ("Bilakah mesyuarat maya antara Xi Jinping dan Putin diadakan?", 1, 1),
        ("Sektor manakah yang diliputi oleh perjanjian ekonomi China dan Rusia?", 4, 1),
        ("Mengapakah tenaga menjadi bidang utama kerjasama kedua-dua negara?", 4, 2),
        ("Apakah isu global yang membuatkan China dan Rusia mengambil pendirian yang serupa?", 5, 2),
    ],
    "zh": [
        ("习近平和普京的视频会晤是在哪一天举行的？", 1, 1),
        ("中俄经济协议涵盖哪些领域？", 4, 1),
        ("为什么能源是两国合作的主要领域？", 4, 2),
        ("两国领导人在地区安全方面达成了什么共识？", 3, 1),
    ],
    "de": [
        ("An welchem Tag fand das virtuelle Treffen von Xi und Putin statt?", 1, 1),
        ("Welche Sektoren umfasst das Wirtschaftsabkommen zwischen China und Russland?", 4, 1),
        ("Wie verbindet sich Russlands militärische Macht mit Chinas wirtschaftlicher Stärke?", 5, 1),
        ("Bei welchen globalen Fragen nehmen China und Russland ähnliche Positionen ein?", 5, 2),
    ],
    "fr": [
        ("Quel jour a eu lieu la rencontre virtuelle entre Xi et Poutine ?", 1, 1),
        ("Pourquoi l'énergie est-elle un domaine clé de coopération entre les deux pays ?", 4, 2),
        ("Sur quoi les deux dirigeants se sont-ils mis d'accord en matière de sécurité régionale ?", 3, 1),
        ("Comment la diplomatie entre la Chine et la Russie a-t-elle évolué sous Xi et Poutine ?", 2, 1),
    ],
    "es": [
        ("¿Qué día se celebró la reunión virtual entre Xi Jinping y Putin?", 1, 1),
        ("¿Qué sectores abarca el acuerdo económico entre China y Rusia?", 4, 1),
        ("¿Qué papel desempeñan China y Rusia en la política internacional?", 5, 2),
        ("¿Cuál es la conclusión de la reunión entre Xi Jinping y Vladimir Putin?", 5, 3),
    ],
}
ANSWERABLE = [
    (question, section, paragraph) for questions in SAMPLE.values() for question, section, paragraph in questions
]
SAMPLE_DOCUMENT = "pertemuan-xi-putin.txt"


def citation(question: str, section: int, paragraph: int, user_language: str = "en") -> str:
    """The bot's source line for an answer to ``question`` from the sample, in the answer's language."""
    from bot.texts import answer_language, text

    return text(
        answer_language(question, user_language),
        "source",
        document=SAMPLE_DOCUMENT,
        section=section,
        paragraph=paragraph,
    )


# Questions whose answer is one sentence of its paragraph, and words of that sentence.
ANSWER_WORDS = {
    "Kapan pertemuan virtual Xi Jinping dan Putin diadakan?": "4 Februari",
    "Which date was the virtual meeting held?": "4 Februari",
    "Bilakah mesyuarat maya antara Xi Jinping dan Putin diadakan?": "4 Februari",
    "习近平和普京的视频会晤是在哪一天举行的？": "4 Februari",
    "¿Qué día se celebró la reunión virtual entre Xi Jinping y Putin?": "4 Februari",
    "Sektor apa saja yang dicakup kesepakatan ekonomi kedua negara?": "energi, teknologi, dan infrastruktur",
    "Welche Sektoren umfasst das Wirtschaftsabkommen zwischen China und Russland?": "energi, teknologi, dan infrastruktur",
    "中俄经济协议涵盖哪些领域？": "energi, teknologi, dan infrastruktur",
    "Why is energy a key area of cooperation between the two countries?": "konsumen energi terbesar",
    "Wie verbindet sich Russlands militärische Macht mit Chinas wirtschaftlicher Stärke?": "kekuatan militer Rusia",
    "What global issues do China and Russia take similar positions on, such as climate change?": "perubahan iklim",
    "Who are the main actors in international politics mentioned here?": "aktor utama",
    "Sur quoi les deux dirigeants se sont-ils mis d'accord en matière de sécurité régionale ?": "menjaga perdamaian",
    "Do China and Russia take similar positions at the United Nations?": "Perserikatan Bangsa-Bangsa",
}


# Questions whose paragraph the embedded model ranks second (to a neighbour on the same topic):
# a known limit of passage ranking (README, Performance). Strict: the day one passes, it leaves this list.
SECOND_BEST = {
    "Sektor manakah yang diliputi oleh perjanjian ekonomi China dan Rusia?",
    "What is the conclusion of the meeting between Xi Jinping and Vladimir Putin?",
}


# Questions whose paragraph is first on some processors and second on others: its lead over the
# neighbour is within the float differences of ONNX Runtime's kernels for each instruction set
# (first on AVX2 cores, second on AVX-512 VNNI ones). Held to the first two everywhere.
FIRST_OR_SECOND = {
    "¿Qué papel desempeñan China y Rusia en la política internacional?",
}


@pytest.mark.parametrize(
    ("question", "section", "paragraph"),
    [
        pytest.param(*entry, marks=pytest.mark.xfail(strict=True, reason="ranked second: see SECOND_BEST"))
        if entry[0] in SECOND_BEST
        else entry
        for entry in ANSWERABLE
    ],
)
def test_best_passage_answers_the_question(sample_knowledge, question, section, paragraph):
    hits = sample_knowledge.ask(question, k=3).hits[: 2 if question in FIRST_OR_SECOND else 1]
    assert (section, paragraph) in [(hit.passage.section_number, hit.passage.paragraph) for hit in hits]
    assert {hit.passage.document for hit in hits} == {"pertemuan-xi-putin.txt"}


def test_k_hits_are_distinct_passages(sample_knowledge):
    hits = sample_knowledge.ask("kerja sama energi", k=8).hits
    assert len({hit.number for hit in hits}) == len(hits) == 8


def test_blank_question_finds_nothing(sample_knowledge):
    answer = sample_knowledge.ask("   \n\t ")
    assert answer.hits == [] and not answer.sure


# Questions the article does not answer (off-topic), by language, some sharing its words.
OFF_TOPIC = {
    "id": [
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
    ],
    "en": [
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
    ],
    "ms": [
        "Berapakah harga tiket bas dari Kuala Lumpur ke Pulau Pinang?",
        "Bagaimanakah cara membuat nasi lemak yang sedap?",
        "Siapakah yang memenangi Piala Dunia bola sepak pada tahun 2014?",
        "Bilakah cuti sekolah penggal kedua bermula?",
        "Bagaimanakah cara memperbaharui lesen memandu yang telah tamat tempoh?",
        "Apakah simptom demam denggi pada kanak-kanak?",
    ],
    "zh": [
        "从雅加达到万隆的高铁票多少钱？",
        "怎样在家里做面包？",
        "2010年世界杯足球赛的冠军是谁？",
        "海平面上水的沸点是多少？",
        "如何重置我的电子邮件密码？",
        "普通感冒有哪些症状？",
    ],
    "de": [
        "Wie backe ich zu Hause Sauerteigbrot?",
        "Wer hat die Fußball-Weltmeisterschaft 2010 gewonnen?",
        "Wie hoch ist der Siedepunkt von Wasser auf Meereshöhe?",
        "Wann öffnet die Bibliothek am Sonntag?",
        "Wie verlängere ich meinen Reisepass?",
        "Was sind die Symptome einer Erkältung?",
    ],
    "fr": [
        "Comment faire du pain au levain à la maison ?",
        "Qui a gagné la Coupe du monde de football en 2010 ?",
        "Quelle est la capitale de l'Australie ?",
        "Combien de joueurs compte une équipe de basket-ball ?",
        "Comment réinitialiser le mot de passe de ma messagerie ?",
        "Quels sont les symptômes du rhume ?",
    ],
    "es": [
        "¿Cómo se hace pan de masa madre en casa?",
        "¿Quién ganó la Copa Mundial de fútbol en 2010?",
        "¿Cuál es la capital de Australia?",
        "¿Cuánto cuesta un billete de tren de alta velocidad de Yakarta a Bandung?",
        "¿Cómo renuevo mi pasaporte?",
        "¿Cuál es el planeta más grande del sistema solar?",
    ],
}


@pytest.mark.parametrize("language", SAMPLE)
def test_answerable_questions_are_confident_in_every_language(sample_knowledge, language):
    questions = [question for question, _, _ in SAMPLE[language]]
    unsure = [
        q for q, answer in zip(questions, sample_knowledge.ask_many(questions, k=1), strict=True) if not answer.sure
    ]
    assert unsure == []


@pytest.mark.parametrize("language", OFF_TOPIC)
def test_off_topic_questions_get_not_sure_in_every_language(sample_knowledge, language):
    """At least 90 % of off-topic questions in each language, asked of the sample's 8 passages, get "not sure"."""
    answers = sample_knowledge.ask_many(OFF_TOPIC[language], k=1)
    assert all(answer.hits for answer in answers), "a guess is still returned"
    confident = [question for question, answer in zip(OFF_TOPIC[language], answers, strict=True) if answer.sure]
    assert len(confident) <= 0.1 * len(OFF_TOPIC[language]), confident


def test_the_answering_sentence_is_chosen(sample_knowledge):
    """The sentence chosen holds the answer for all but 4 of the 14 sample questions whose answer is one
    sentence (the picker's figure, benchmarks/sentences.py; by cosine alone: 5 of 14)."""
    questions = list(ANSWER_WORDS)
    missed = []
    for question, answer in zip(questions, sample_knowledge.ask_many(questions, k=1), strict=True):
        start, end = answer.sentence
        if ANSWER_WORDS[question] not in answer.hits[0].passage.text[start:end]:
            missed.append(question)
    assert len(missed) <= 4, missed
