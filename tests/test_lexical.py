"""Lexical evidence: stemmed BM25 tokens, coverage of the question's words, saved and loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embeddings.documents.folder import DocumentSet
from embeddings.documents.text import parse_document
from embeddings.knowledge import KnowledgeBase
from embeddings.search.lexical import LexicalIndex, lexical_tokens

TEXTS = [
    "Pemerintah membangun jembatan baru di Kalimantan.",
    "Pembangunan jalan tol selesai tahun depan.",
    "Harga beras naik di pasar tradisional.",
]


def test_tokens_are_lowercased_and_inflections_meet():
    development, bridge, its_development = lexical_tokens("Pembangunan JEMBATAN, pembangunannya!")
    assert development == its_development == lexical_tokens("membangun")[0] == "bangun"
    assert bridge == lexical_tokens("jembatan")[0]
    assert lexical_tokens("Building bridges") == lexical_tokens("builds bridge")


def test_scores_and_coverage():
    index = LexicalIndex.build(TEXTS)
    scores, coverage = index.scores("Kapan pembangunan jalan tol selesai?")
    assert int(np.argmax(scores)) == 1
    assert coverage == 4 / 5  # "kapan" occurs nowhere
    english, english_coverage = index.scores("When will the highway be finished?")
    assert english_coverage == 0.0 and not english.any()


def test_save_and_load_give_the_same_scores(tmp_path: Path):
    index = LexicalIndex.build(TEXTS)
    names = index.save(tmp_path / "lexical")
    assert names
    loaded = LexicalIndex.load(tmp_path / "lexical", len(TEXTS))
    question = "harga beras di pasar"
    assert np.allclose(loaded.scores(question)[0], index.scores(question)[0])


def test_empty_corpus_has_no_lexical_evidence(tmp_path: Path):
    index = LexicalIndex.build([])
    assert index.save(tmp_path / "lexical") == []
    scores, coverage = LexicalIndex.load(tmp_path / "lexical", 0).scores("apa saja")
    assert scores.shape == (0,) and coverage == 0.0


def test_exact_codes_decide_between_otherwise_alike_passages(encoder):
    text = "\n\n".join(
        f"Kode galat {code} pada mesin pembayaran berarti {meaning}. Hubungi petugas bila galat berulang."
        for code, meaning in (
            ("E-4012", "kartu ditolak oleh bank penerbit"),
            ("E-4021", "saldo rekening tidak mencukupi"),
            ("E-4102", "koneksi ke server bank terputus"),
            ("E-4120", "PIN salah dimasukkan tiga kali"),
        )
    )
    documents = DocumentSet((parse_document("galat.md", "# Kode Galat\n\n" + text),))
    knowledge = KnowledgeBase.in_memory(documents, encoder)
    for code, expected in (("E-4021", "saldo"), ("E-4102", "koneksi"), ("E-4120", "PIN")):
        answer = knowledge.ask(f"Apa arti kode galat {code}?", k=1)
        assert code in answer.hits[0].passage.text and expected in answer.hits[0].passage.text


def test_term_weights_favour_rare_words_and_skip_unknown_ones():
    index = LexicalIndex.build(TEXTS + ["Harga jembatan naik."])
    weights = index.term_weights("Harga beras jembatan Jupiter")
    assert set(weights) == {lexical_tokens(w)[0] for w in ("harga", "beras", "jembatan")}
    assert weights[lexical_tokens("beras")[0]] > weights[lexical_tokens("harga")[0]] > 0  # in 1 passage vs 2
    assert LexicalIndex.build(["", ""]).term_weights("harga") == {}
