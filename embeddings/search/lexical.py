"""Lexical evidence: BM25 (bm25s) over stemmed word tokens, and how much of a question the corpus knows."""

from __future__ import annotations

import math
import re
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"\w+")
# Snowball stemmers for the product's main languages; each leaves the other's words mostly alone.
_STEMMERS = (Stemmer.Stemmer("indonesian"), Stemmer.Stemmer("english"))


def lexical_tokens(text: str) -> list[str]:
    """Lower-cased word tokens, stemmed for Indonesian and English."""
    tokens = _WORD.findall(text.lower())
    for stemmer in _STEMMERS:
        tokens = stemmer.stemWords(tokens)
    return tokens


class LexicalIndex:
    """BM25 scores of every passage for a question."""

    def __init__(self, bm25: bm25s.BM25 | None, passages: int) -> None:
        self.bm25 = bm25
        self.passages = passages

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        tokens = [lexical_tokens(text) for text in texts]
        if not any(tokens):
            return cls(None, len(texts))
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(bm25, len(texts))

    def scores(self, question: str) -> tuple[np.ndarray, float]:
        """BM25 score of each passage, and the share of the question's words that occur in the corpus.

        The share is what decides how much lexical evidence counts: a question asked in the
        corpus's language shares most of its words with it; one asked in another language
        shares few (names, numbers), and then word overlap says little.
        """
        tokens = lexical_tokens(question)
        if self.bm25 is None or not tokens:
            return np.zeros(self.passages, dtype=np.float32), 0.0
        known = [token for token in tokens if token in self.bm25.vocab_dict]
        if not known:
            return np.zeros(self.passages, dtype=np.float32), 0.0
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32), len(known) / len(tokens)

    def term_weights(self, question: str) -> dict[str, float]:
        """BM25's inverse document frequency of each of the question's words that occur in the corpus."""
        if self.bm25 is None:
            return {}
        postings = self.bm25.scores["indptr"]  # column t of the token-by-passage matrix: passages holding t
        weights = {}
        for token in set(lexical_tokens(question)):
            column = self.bm25.vocab_dict.get(token)
            if column is not None:
                frequency = int(postings[column + 1] - postings[column])
                weights[token] = math.log(1 + (self.passages - frequency + 0.5) / (frequency + 0.5))
        return weights

    def save(self, folder: Path) -> list[str]:
        """Write the index into ``folder``; returns the names of the files written."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.bm25 is None:
            return []
        self.bm25.save(str(folder), show_progress=False)
        return sorted(path.name for path in folder.iterdir())

    @classmethod
    def load(cls, folder: Path, passages: int) -> LexicalIndex:
        if not folder.is_dir() or not any(folder.iterdir()):
            return cls(None, passages)
        return cls(bm25s.BM25.load(str(folder), mmap=False), passages)
