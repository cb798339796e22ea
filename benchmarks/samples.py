"""The data the tests and the benchmarks share, so that no benchmark imports a test module.

The sample document is the bundled article ``pertemuan-xi-putin.txt`` (``config.SAMPLE_DOCS_DIR``);
its questions, asked by ``tests/test_answers.py`` and the benchmarks:

- ``QUESTIONS``: (question, section number, paragraph number in that section) that the article
  answers, alternately in Indonesian and English (other tests ask them of the bot too;
  ``benchmarks/busy.py`` asks them during a reindex).
- ``SAMPLE``: every answerable sample question by the language it is asked in (seven languages),
  as ``QUESTIONS`` (``benchmarks/chart.py``, ``benchmarks/threshold.py``).
- ``ANSWERABLE``: ``SAMPLE``'s questions in one list (``benchmarks/ocr.py``).
- ``ANSWER_WORDS``: the questions whose answer is one sentence of its paragraph, and words of that
  sentence (``benchmarks/sentences.py``).
- ``OFF_TOPIC``: questions the article does not answer, by language, some sharing its words
  (``benchmarks/threshold.py``).

And ``spreadsheet_bomb``: the FAQ spreadsheet bomb of ``tests/test_attacks.py`` and
``benchmarks/attacks.py``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

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


def spreadsheet_bomb(path: Path, inflated: int) -> Path:
    """A real workbook whose shared strings unzip to ``inflated`` bytes of one cell (it zips to a few hundred KB)."""
    from openpyxl import Workbook  # here, so that the question lists above cost no import

    workbook = Workbook()
    workbook.active.append(["question", "answer"])
    workbook.active.append(["Q", "Jawaban."])
    plain = io.BytesIO()
    workbook.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            if part.filename != "xl/sharedStrings.xml":
                bomb.writestr(part, source.read(part))
        with bomb.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>'
            )
            for _ in range(inflated // 2**20):
                strings.write(b"A" * 2**20)
            strings.write(b"</t></si><si><t>Jawaban.</t></si></sst>")
    return path
