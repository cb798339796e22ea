"""A text's language, as the "not sure" model sees it."""

from __future__ import annotations

from embeddings.search.language import language_of


def test_languages_are_told_apart_and_malay_counts_as_indonesian():
    assert language_of("Kapan pertemuan virtual Xi Jinping dan Putin diadakan?") == "id"
    assert language_of("Bilakah mesyuarat maya antara Xi Jinping dan Putin diadakan?") == "id"
    assert language_of("Which date was the virtual meeting held?") == "en"
    assert language_of("中俄经济协议涵盖哪些领域？") == "zh"
    assert language_of("Welche Sektoren umfasst das Wirtschaftsabkommen?") == "de"
    assert language_of("Pourquoi l'énergie est-elle un domaine clé de coopération ?") == "fr"
    assert language_of("¿Qué sectores abarca el acuerdo económico entre China y Rusia?") == "es"
