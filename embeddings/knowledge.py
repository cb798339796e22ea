"""The documents as a long-running server sees them: answers now, reindexing in the background."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from embeddings.documents import Problem
from embeddings.encoder import Encoder
from embeddings.index import Manifest, SectionEntry
from embeddings.retrieval import Answer, IndexOptions, Retriever, open_index, reindex

logger = logging.getLogger(__name__)


class ReindexBusy(RuntimeError):
    """A reindex is already running."""


@dataclass(frozen=True)
class Counts:
    """Documents, sections and passages of one index."""

    documents: int
    sections: int
    passages: int

    @classmethod
    def of(cls, manifest: Manifest) -> Counts:
        return cls(manifest.documents, manifest.sections, manifest.passages)


@dataclass(frozen=True)
class ReindexResult:
    """What a reindex changed."""

    before: Counts
    after: Counts
    added: tuple[str, ...]
    removed: tuple[str, ...]
    seconds: float
    problems: tuple[Problem, ...]


class KnowledgeBase:
    """One documents folder and its index, safe to query from many threads while it reindexes."""

    def __init__(
        self, encoder: Encoder, docs_dir: Path, index_dir: Path, options: IndexOptions = IndexOptions()
    ) -> None:
        self.encoder = encoder
        self.docs_dir = docs_dir
        self.index_dir = index_dir
        self.options = options
        self._retriever = Retriever(encoder, open_index(docs_dir, index_dir, encoder, options=options))
        self._reindexing = threading.Lock()

    @property
    def manifest(self) -> Manifest:
        return self._retriever.index.manifest

    @property
    def version(self) -> str:
        """A short id of the current index, so that references to its passages can be checked."""
        manifest = self.manifest
        return hashlib.sha256(f"{manifest.created_at}|{manifest.corpus_fingerprint}".encode()).hexdigest()[:6]

    def ask(self, question: str, k: int = 5) -> Answer:
        return self._retriever.ask(question, k)

    def sections(self) -> list[SectionEntry]:
        return self._retriever.index.sections()

    def start_reindex(self) -> Callable[[], ReindexResult]:
        """Reserve a rebuild of the index from the documents folder; return the job that runs it.

        Raises ReindexBusy at once when another reindex is reserved or running, so a caller can
        tell "started" from "busy" before any work begins. While the job runs (in a worker
        thread, say) questions keep using the old index; it is swapped in whole when the new
        one is saved, and a failed job leaves it in place. The job releases the reservation.
        """
        if not self._reindexing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")

        def job() -> ReindexResult:
            try:
                return self._rebuild()
            finally:
                self._reindexing.release()

        return job

    def _rebuild(self) -> ReindexResult:
        old = self._retriever.index
        index, report = reindex(self.docs_dir, self.index_dir, self.encoder, previous=old, options=self.options)
        self._retriever = Retriever(self.encoder, index)
        old_documents = {p.document for p in old.passages}
        new_documents = {p.document for p in index.passages}
        logger.info("reindexed: %d documents, %d passages", report.documents, report.passages)
        return ReindexResult(
            before=Counts.of(old.manifest),
            after=Counts.of(index.manifest),
            added=tuple(sorted(new_documents - old_documents)),
            removed=tuple(sorted(old_documents - new_documents)),
            seconds=report.seconds,
            problems=report.problems,
        )
