"""What happens to a question: encode it, search the index, return the best passages.

Also builds the index of a documents folder, and keeps the saved index in step with the
folder and the model (building it on first use).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

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
from embeddings.passages import Passage, make_passages

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its cosine similarity to the question."""

    passage: Passage
    score: float


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
        scores, ids = self.index.search(self.encoder.encode_queries([question]), k)
        return [Hit(self.index.passages[i], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def index_documents(documents: DocumentSet, encoder: Encoder, fingerprint: str, progress: bool = False) -> PassageIndex:
    """Embed every passage of ``documents`` into a new in-memory index."""
    passages = make_passages(documents.documents, encoder.count_document_tokens, encoder.max_tokens)
    vectors = encoder.encode_documents([p.text for p in passages], progress=progress)
    if not passages:
        vectors = vectors.reshape(0, encoder.dimension)
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
