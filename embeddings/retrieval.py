"""What happens to a question: encode it, search the index, return the best passages.

Also builds the index of a documents folder, and keeps the saved index in step with the
folder and the model (building it on first use).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.documents import DocumentSet, Problem, folder_fingerprint, read_documents
from embeddings.encoder import Encoder
from embeddings.index import (
    IndexIncompatible,
    IndexMissing,
    PassageIndex,
    build_index,
    load_index,
    save_index,
)
from embeddings.passages import Passage, make_passages, sentence_spans

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its cosine similarity to the question."""

    passage: Passage
    score: float
    number: int  # position of the passage in its index


@dataclass(frozen=True)
class Answer:
    """The passages found for a question, and the sentence of the best one that answers it."""

    question: str
    hits: list[Hit]
    sentence: tuple[int, int] | None  # character span in hits[0].passage.text


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run read and built."""

    documents: int
    sections: int
    passages: int
    seconds: float
    problems: tuple[Problem, ...]


class Retriever:
    """Answers questions from one passage index."""

    def __init__(self, encoder: Encoder, index: PassageIndex) -> None:
        self.encoder = encoder
        self.index = index

    def search(self, question: str, k: int = 5) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first."""
        question = " ".join(question.split())
        if not question:
            return []
        return self._search_vector(self.encoder.encode_queries([question]), k)

    def _search_vector(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        scores, ids = self.index.search(query_vector, k)
        return [Hit(self.index.passages[i], float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def ask(self, question: str, k: int = 5) -> Answer:
        """The ``k`` best passages, and the sentence of the first that is closest to the question."""
        question = " ".join(question.split())
        if not question:
            return Answer(question, [], None)
        query_vector = self.encoder.encode_queries([question])
        hits = self._search_vector(query_vector, k)
        sentence = self._closest_sentence(query_vector, hits[0].passage.text) if hits else None
        return Answer(question, hits, sentence)

    def best_sentence(self, question: str, text: str) -> tuple[int, int] | None:
        """The span of the sentence of ``text`` closest to ``question``."""
        question = " ".join(question.split())
        return self._closest_sentence(self.encoder.encode_queries([question]), text) if question else None

    def _closest_sentence(self, query_vector: np.ndarray, text: str) -> tuple[int, int] | None:
        spans = [(a, b) for a, b in sentence_spans(text) if text[a:b].strip()]
        if len(spans) <= 1:
            return spans[0] if spans else None
        vectors = self.encoder.encode_documents([text[a:b] for a, b in spans])
        return spans[int(np.argmax(vectors @ query_vector[0]))]


def index_documents(documents: DocumentSet, encoder: Encoder, fingerprint: str, progress: bool = False) -> PassageIndex:
    """Embed every passage of ``documents`` into a new in-memory index."""
    passages = make_passages(documents.documents, encoder.count_document_tokens, encoder.max_tokens)
    vectors = encoder.encode_documents([p.text for p in passages], progress=progress)
    return build_index(
        passages, vectors, model=encoder.name, prompts=encoder.prompts, corpus_fingerprint=fingerprint
    )


def reindex(docs_dir: Path, index_dir: Path, encoder: Encoder, progress: bool = False) -> tuple[PassageIndex, IndexReport]:
    """Build the index of ``docs_dir`` and save it atomically as the current one in ``index_dir``."""
    started = time.perf_counter()
    fingerprint = folder_fingerprint(docs_dir)
    documents = read_documents(docs_dir)
    for problem in documents.problems:
        logger.warning("skipped %s", problem.message)
    index = index_documents(documents, encoder, fingerprint, progress=progress)
    save_index(index, index_dir)
    manifest = index.manifest
    report = IndexReport(
        documents=manifest.documents,
        sections=manifest.sections,
        passages=manifest.passages,
        seconds=time.perf_counter() - started,
        problems=documents.problems,
    )
    return index, report


def open_index(docs_dir: Path, index_dir: Path, encoder: Encoder, progress: bool = False) -> PassageIndex:
    """The saved index of ``docs_dir``, rebuilt first when missing, stale, damaged, or built by another model."""
    try:
        index = load_index(index_dir, model=encoder.name)
    except IndexMissing:
        logger.info("no index yet: building it from %s", docs_dir)
    except IndexIncompatible as reason:
        logger.warning("rebuilding the index: %s", reason)
    else:
        if index.manifest.corpus_fingerprint == folder_fingerprint(docs_dir):
            return index
        logger.info("documents changed since the index was built: rebuilding it")
    index, _ = reindex(docs_dir, index_dir, encoder, progress=progress)
    return index
