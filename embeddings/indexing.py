"""The index's life cycle: build it from a documents folder, save it, and keep it in step with the folder.

Vectors already in the previous index are reused, so after editing one document only its
changed passages and sentences are embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.defaults import EXACT_SEARCH_LIMIT, MAX_DOCUMENT_BYTES
from embeddings.documents.folder import DocumentSet, Problem, folder_fingerprint, read_documents
from embeddings.documents.ocr import Ocr
from embeddings.documents.passages import Passage, make_passages, trimmed_sentence_spans
from embeddings.models.encoder import Encoder
from embeddings.search.index import (
    IndexIncompatible,
    IndexMissing,
    IndexUnavailable,
    PassageIndex,
    build_index,
    search_method,
)
from embeddings.search.store import IndexStore, as_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexLimits:
    """What indexing a documents folder keeps to: how scanned pages are read (``ocr``), the largest
    document read (larger ones are skipped, with a problem saying so), and above how many passages
    vectors are searched approximately."""

    ocr: Ocr
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    exact_search_limit: int = EXACT_SEARCH_LIMIT


@dataclass
class IndexingStatus:
    """How far an indexing run has got, updated as it goes (for another thread to read)."""

    documents: int | None = None  # documents read, once they are
    texts: int | None = None  # texts to embed, once known
    embedded: int = 0
    embedding_since: float | None = None  # time.monotonic() when embedding began
    scanning: tuple[str, int, int] | None = None  # while OCR reads a file: its name, pages read, pages to read

    def scanned(self, name: str, done: int, total: int) -> None:
        """OCR has read ``done`` of the ``total`` pages of ``name`` it reads."""
        self.scanning = (name, done, total)
        logger.info("OCR of %s: %d of %d pages read", name, done, total)

    def add_embedded(self, count: int) -> None:
        self.embedded += count

    def seconds_left(self) -> float | None:
        """The embedding time left at the rate so far, once there is a rate."""
        if not self.texts or not self.embedded or self.embedding_since is None:
            return None
        rate = self.embedded / max(time.monotonic() - self.embedding_since, 1e-6)
        return (self.texts - self.embedded) / rate


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run read and built."""

    documents: int
    sections: int
    passages: int
    seconds: float
    problems: tuple[Problem, ...]
    embedded: int  # passage and sentence texts embedded; the others' vectors came from the previous index


def known_vectors(index: PassageIndex | None, encoder: Encoder) -> dict[str, np.ndarray]:
    """The vectors an index already holds, by the text they embed, when ``encoder`` would embed them the same way."""
    manifest = index.manifest if index is not None else None
    if manifest is None or manifest.model != encoder.name or manifest.prompts != encoder.prompts:
        return {}
    vectors = index.passage_vectors(np.arange(len(index.passages)))
    known = dict(zip((embedded_text(p) for p in index.passages), vectors, strict=True))
    for number, passage in enumerate(index.passages):
        texts = [_row_text(passage, start, end) for start, end in index.sentences(number)]
        known.update(zip(texts, index.sentence_rows(number), strict=True))
    return known


# A FAQ passage's question is kept as a row of its sentences' with no span, embedded as a question is
# (the query prompt): a user's question is matched to it as to a taught answer's. Its key among the
# texts embedded says so.
QUESTION_KEY = "\x00question\x00"


def embedded_text(passage: Passage) -> str:
    """What a passage's vector embeds: its text after its section's title (after its question, in a FAQ):
    a paragraph under "Jam kerja selama Ramadan" is about Ramadan even when it never says so. A
    section named after its document (an evaluation file's context) adds nothing."""
    if passage.question:
        return f"{passage.question}\n{passage.text}"
    return f"{passage.section}\n{passage.text}" if passage.section != passage.document else passage.text


def _row_text(passage: Passage, start: int, end: int) -> str:
    return QUESTION_KEY + passage.question if start == end else passage.text[start:end]


def _row_spans(passage: Passage) -> list[tuple[int, int]]:
    """The rows a passage's sentences take: a FAQ's question first (an empty span), then its sentences."""
    return ([(0, 0)] if passage.question else []) + trimmed_sentence_spans(passage.text)


def embed_texts(encoder: Encoder, texts: list[str], progress: bool = False, on_embedded=None) -> np.ndarray:
    """Vectors of texts as indexing keys them: passages and sentences as documents, FAQ questions as questions."""
    vectors = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    asked = [n for n, text in enumerate(texts) if text.startswith(QUESTION_KEY)]
    read = [n for n, text in enumerate(texts) if not text.startswith(QUESTION_KEY)]
    if read:
        vectors[read] = encoder.encode_documents([texts[n] for n in read], progress=progress, on_embedded=on_embedded)
    if asked:
        vectors[asked] = encoder.encode_queries([texts[n].removeprefix(QUESTION_KEY) for n in asked])
        if on_embedded is not None:
            on_embedded(len(asked))
    return vectors


def index_documents(
    documents: DocumentSet,
    encoder: Encoder,
    progress: bool = False,
    known: dict[str, np.ndarray] | None = None,
    exact_search_limit: int = EXACT_SEARCH_LIMIT,
    status: IndexingStatus | None = None,
) -> tuple[PassageIndex, int]:
    """Embed every passage of ``documents``, and each of their sentences, into a new in-memory index.

    Args:
        documents: the documents read (``embeddings.documents.folder.read_documents``).
        encoder: the model that embeds them.
        progress: show a progress bar.
        known: vectors already computed, by text (see ``known_vectors``): such a text, or one met
            before in this corpus, is not embedded again.
        exact_search_limit: above this many passages, vectors are searched approximately.
        status: kept up to date as the run goes, when given.

    Returns:
        The index, and the number of texts embedded.
    """
    passages = make_passages(documents.documents, encoder.count_document_tokens, encoder.max_tokens)
    spans, starts = [], [0]
    for passage in passages:
        spans.extend(_row_spans(passage))
        starts.append(len(spans))
    sentence_texts = [
        _row_text(passage, start, end)
        for number, passage in enumerate(passages)
        for start, end in spans[starts[number] : starts[number + 1]]
    ]
    passage_texts = [embedded_text(p) for p in passages]
    lookup = dict(known or {})
    new_texts = [text for text in dict.fromkeys(passage_texts + sentence_texts) if text not in lookup]
    status = status or IndexingStatus()
    status.texts, status.embedding_since = len(new_texts), time.monotonic()
    vectors = embed_texts(encoder, new_texts, progress=progress, on_embedded=status.add_embedded)
    lookup.update(zip(new_texts, vectors, strict=True))

    def vectors_of(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        return np.stack([lookup[text] for text in texts]).astype(np.float32, copy=False)

    index = build_index(
        passages,
        vectors_of(passage_texts),
        vectors_of(sentence_texts),
        np.asarray(starts, dtype=np.int64),
        np.asarray(spans, dtype=np.int64).reshape(-1, 2),
        model=encoder.name,
        prompts=encoder.prompts,
        corpus_fingerprint=documents.fingerprint,
        exact_search_limit=exact_search_limit,
    )
    return index, len(new_texts)


def reindex(
    docs_dir: Path,
    index_dir: Path | IndexStore,
    encoder: Encoder,
    *,
    limits: IndexLimits,
    previous: PassageIndex | None = None,
    progress: bool = False,
    status: IndexingStatus | None = None,
) -> tuple[PassageIndex, IndexReport]:
    """Build the index of ``docs_dir`` and publish it atomically in ``index_dir``.

    Args:
        docs_dir: the documents folder (only regular files inside it are read).
        index_dir: a folder, or another store (``embeddings.search.store``), to publish in.
        encoder: the model that embeds the passages.
        limits: how scanned pages are read, the largest document read, when search is approximate.
        previous: an index whose vectors are reused by text (by default, the one saved in
            ``index_dir``): after editing one document, only its changed text is embedded.
        progress: show a progress bar.
        status: kept up to date as the run goes, when given.

    Returns:
        The new index, and a report of what it holds, what changed and which files were skipped.
    """
    started = time.perf_counter()
    store = as_store(index_dir)
    if previous is None:
        try:
            previous = store.load(encoder.name)
        except IndexUnavailable:
            previous = None
    status = status or IndexingStatus()
    documents = read_documents(docs_dir, limits.max_document_bytes, ocr=limits.ocr, progress=status.scanned)
    for problem in documents.problems:
        logger.warning("skipped %s", problem.message)
    status.documents = len(documents.documents)
    known = known_vectors(previous, encoder)
    index, embedded = index_documents(documents, encoder, progress, known, limits.exact_search_limit, status)
    store.save(index)
    manifest = index.manifest
    report = IndexReport(
        documents=manifest.documents,
        sections=manifest.sections,
        passages=manifest.passages,
        seconds=time.perf_counter() - started,
        problems=documents.problems,
        embedded=embedded,
    )
    return index, report


@dataclass(frozen=True)
class ShardReport:
    """What one shard of a sharded indexing run did, and how many of the run's shards are in."""

    run: str
    shard: str
    documents: int  # of this shard
    embedded: int  # texts this shard embedded (the others' vectors were in the published index)
    seconds: float
    shards_in: int
    shards: int

    @property
    def complete(self) -> bool:
        return self.shards_in == self.shards


def shard_of(name: str, shards: int) -> int:
    """The shard (0-based) a document belongs to: by a hash of its name, the same on every machine."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % shards


def index_shard(
    docs_dir: Path,
    index_dir: Path | IndexStore,
    encoder: Encoder,
    shard: int,
    shards: int,
    *,
    limits: IndexLimits,
    progress: bool = False,
) -> ShardReport:
    """Embed shard ``shard`` (0-based) of ``shards`` of ``docs_dir``'s documents and keep its vectors in
    the store until every shard is in (then ``publish_shards``). Each machine runs one shard; all
    must see the same documents (the run is named by their fingerprint). Texts whose vectors the
    published index holds are not embedded again."""
    started = time.perf_counter()
    store = as_store(index_dir)
    documents = read_documents(docs_dir, limits.max_document_bytes, ocr=limits.ocr)
    mine = DocumentSet(tuple(d for d in documents.documents if shard_of(d.name, shards) == shard))
    try:
        known = known_vectors(store.load(encoder.name), encoder)
    except (IndexMissing, IndexIncompatible):
        known = {}
    texts = [text for text in dict.fromkeys(_texts(mine, encoder)) if text not in known]
    if texts:
        vectors = embed_texts(encoder, texts, progress=progress)
    else:  # a shard with no documents (or nothing new) still reports in
        vectors = np.zeros((0, encoder.dimension), dtype=np.float32)
    run = _run_name(documents.fingerprint, shards)
    store.stage(run, f"{shard + 1}-of-{shards}", texts, vectors)
    return ShardReport(
        run,
        f"{shard + 1}/{shards}",
        len(mine.documents),
        len(texts),
        time.perf_counter() - started,
        len(store.staged(run)),
        shards,
    )


def publish_shards(
    docs_dir: Path,
    index_dir: Path | IndexStore,
    encoder: Encoder,
    shards: int,
    *,
    limits: IndexLimits,
) -> PassageIndex | None:
    """Build the whole index from the published one's vectors and every shard's, publish it, and drop
    the shards; None when the run's shards are not all in (or were published already). Call it
    holding the one reindex lease, so that one process publishes."""
    store = as_store(index_dir)
    documents = read_documents(docs_dir, limits.max_document_bytes, ocr=limits.ocr)
    run = _run_name(documents.fingerprint, shards)
    staged = store.staged(run)
    if len(staged) < shards:
        return None
    try:
        known = known_vectors(store.load(encoder.name), encoder)
    except (IndexMissing, IndexIncompatible):
        known = {}
    for vectors in staged.values():
        known.update(vectors)
    index, embedded = index_documents(documents, encoder, known=known, exact_search_limit=limits.exact_search_limit)
    if embedded:
        logger.warning("publishing embedded %d texts no shard had: the documents changed during the run", embedded)
    store.save(index)
    store.drop_staged(run)
    return index


def _texts(documents: DocumentSet, encoder: Encoder) -> list[str]:
    """The passage and sentence texts of ``documents``, as indexing embeds them."""
    passages = make_passages(documents.documents, encoder.count_document_tokens, encoder.max_tokens)
    texts = [embedded_text(passage) for passage in passages]
    for passage in passages:
        texts += [_row_text(passage, start, end) for start, end in _row_spans(passage)]
    return texts


def _run_name(fingerprint: str, shards: int) -> str:
    return f"{fingerprint[:16]}-{shards}"


def open_index(
    docs_dir: Path,
    index_dir: Path | IndexStore,
    encoder: Encoder,
    *,
    limits: IndexLimits,
    progress: bool = False,
) -> PassageIndex:
    """The saved index of ``docs_dir``, rebuilt first (see ``reindex``) when it is missing, stale,
    damaged, built by another model, or searched otherwise than ``limits.exact_search_limit`` now asks.

    Args:
        docs_dir, index_dir, encoder, limits, progress: as ``reindex``.

    Returns:
        The index. While the folder is unavailable, a saved index is returned as it is.
    """
    try:
        index = as_store(index_dir).load(encoder.name)
    except IndexMissing:
        logger.info("no index yet: building it from %s", docs_dir)
        index = None
    except IndexIncompatible as reason:
        logger.warning("rebuilding the index: %s", reason)
        index = None
    else:
        manifest = index.manifest
        if not docs_dir.is_dir():
            logger.warning(
                "documents folder %s is unavailable: answering from the index built %s", docs_dir, manifest.created_at
            )
            return index
        if manifest.corpus_fingerprint != folder_fingerprint(docs_dir, limits.max_document_bytes):
            logger.info("documents changed since the index was built: rebuilding it")
        elif manifest.search != search_method(manifest.passages, limits.exact_search_limit):
            logger.info("the exact search limit changed: rebuilding the index (%s search)", manifest.search)
        else:
            return index
    index, _ = reindex(docs_dir, index_dir, encoder, limits=limits, previous=index, progress=progress)
    return index
