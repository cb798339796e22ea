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

from embeddings.confidence import Evidence, answer_confidence
from embeddings.documents import MAX_DOCUMENT_BYTES, DocumentSet, Problem, folder_fingerprint, read_documents
from embeddings.encoder import Encoder
from embeddings.index import (
    EXACT_SEARCH_LIMIT,
    IndexIncompatible,
    IndexMissing,
    IndexUnavailable,
    PassageIndex,
    build_index,
    load_index,
    save_index,
    search_method,
)
from embeddings.lexical import lexical_tokens
from embeddings.passages import Passage, make_passages, sentence_spans, split_sentences

logger = logging.getLogger(__name__)


# How dense and lexical evidence combine (see Retriever). Chosen on FacQA's train split and the
# English → Indonesian and English sets of ../shared/eval/; BM25 keeps bm25s' defaults.
CANDIDATES = 50  # passages taken from each of the dense and the lexical rankings
SENTENCE_WEIGHT = 0.5  # dense evidence: passage similarity and best-sentence similarity, half each
LEXICAL_WEIGHT = 0.4  # at most, for a question whose words all occur in the corpus


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its cosine similarity to the question."""

    passage: Passage
    score: float
    number: int  # position of the passage in its index


@dataclass(frozen=True)
class Answer:
    """The passages found for a question, best first, the sentence of each closest to the question,
    and how sure it is that the first one answers it (see ``embeddings.confidence``)."""

    question: str
    hits: list[Hit]
    sentences: list[tuple[int, int] | None]  # character span in the passage of the hit at the same place
    evidence: Evidence | None = None
    confidence: float = 0.0

    @property
    def sentence(self) -> tuple[int, int] | None:
        """The answering sentence of the best passage."""
        return self.sentences[0] if self.sentences else None


@dataclass(frozen=True)
class Candidates:
    """The passages weighed for a question (by position in the index), with the evidence of each."""

    numbers: np.ndarray
    similarity: np.ndarray  # cosine of question and passage
    sentence_scores: list[np.ndarray]  # cosine of question and each sentence of the passage
    sentence_similarity: np.ndarray  # the largest of those (the passage's own when it has none)
    dense: np.ndarray  # the two cosines averaged, scaled from 0 (worst candidate) to 1 (best)
    relative_lexical: np.ndarray  # BM25 relative to the best candidate's
    coverage: float  # share of the question's words that occur in the corpus


@dataclass(frozen=True)
class IndexOptions:
    """The limits a deployment sets on indexing its documents folder."""

    max_document_bytes: int = MAX_DOCUMENT_BYTES  # larger files are skipped, with a message
    exact_search_limit: int = EXACT_SEARCH_LIMIT  # above this many passages, vectors are searched approximately


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run read and built."""

    documents: int
    sections: int
    passages: int
    seconds: float
    problems: tuple[Problem, ...]
    embedded: int  # passage and sentence texts embedded; the others' vectors came from the previous index


def _min_max(values: np.ndarray) -> np.ndarray:
    spread = float(values.max() - values.min())
    return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)


class Retriever:
    """Answers questions from one passage index, combining dense and lexical evidence.

    Candidates are the best passages by embedding similarity and by BM25. Each gets a dense
    score (its similarity to the question, averaged with that of its closest sentence) and a
    lexical one (BM25 relative to the best). The lexical share grows with the square of the
    share of the question's words found in the corpus: full for a question in the documents'
    language, next to nothing for one asked in another language, where word overlap misleads.
    """

    def __init__(self, encoder: Encoder, index: PassageIndex) -> None:
        self.encoder = encoder
        self.index = index

    def search(self, question: str, k: int = 5) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first."""
        return self.ask(question, k).hits

    def ask(self, question: str, k: int = 5) -> Answer:
        """The ``k`` best passages for ``question`` and their answering sentences."""
        question = " ".join(question.split())
        if not question or not self.index.passages:
            return Answer(question, [], [])
        return self._answer(question, self.encoder.encode_queries([question])[0], k)

    def ask_many(self, questions: list[str], k: int = 5) -> list[Answer]:
        """``ask`` for many questions, their vectors computed in batches."""
        questions = [" ".join(question.split()) for question in questions]
        if not self.index.passages:
            return [Answer(question, [], []) for question in questions]
        vectors = self.encoder.encode_queries(questions)
        return [self._answer(question, vector, k) for question, vector in zip(questions, vectors, strict=True)]

    def candidates(self, question: str, query: np.ndarray) -> Candidates:
        """The passages weighed for ``question`` (its vector: ``query``), with their evidence."""
        index = self.index
        _, dense_ids = index.search(query[None, :], CANDIDATES)
        lexical, coverage = index.lexical.scores(question)
        lexical_ids = np.arange(len(lexical))
        if len(lexical) > CANDIDATES:
            lexical_ids = np.argpartition(-lexical, CANDIDATES)[:CANDIDATES]
        numbers = np.union1d(dense_ids[0][dense_ids[0] >= 0], lexical_ids[lexical[lexical_ids] > 0])
        similarity = index.passage_vectors(numbers) @ query
        sentence_scores = [index.sentence_rows(int(number)) @ query for number in numbers]
        sentence_similarity = np.array(
            [scores.max() if len(scores) else own for scores, own in zip(sentence_scores, similarity, strict=True)],
            dtype=np.float32,
        )
        top_lexical = float(lexical[numbers].max())
        return Candidates(
            numbers=numbers,
            similarity=similarity,
            sentence_scores=sentence_scores,
            sentence_similarity=sentence_similarity,
            dense=_min_max((1 - SENTENCE_WEIGHT) * similarity + SENTENCE_WEIGHT * sentence_similarity),
            relative_lexical=lexical[numbers] / top_lexical if top_lexical > 0 else np.zeros(len(numbers)),
            coverage=coverage,
        )

    def _answer(self, question: str, query: np.ndarray, k: int) -> Answer:
        found = self.candidates(question, query)
        lexical_weight = LEXICAL_WEIGHT * found.coverage**2
        combined = (1 - lexical_weight) * found.dense + lexical_weight * found.relative_lexical
        order = np.argsort(-combined, kind="stable")[:k]
        first = int(order[0])
        others = np.delete(found.similarity, first)
        evidence = Evidence(
            similarity=float(found.similarity[first]),
            sentence_similarity=float(found.sentence_similarity[first]),
            margin=float(found.similarity[first] - others.max()) if len(others) else 0.0,
            coverage=found.coverage,
            support=self._support(question, self.index.passages[int(found.numbers[first])].text),
        )
        hits, sentences = [], []
        for position in order:
            number = int(found.numbers[position])
            passage = self.index.passages[number]
            scores = found.sentence_scores[position]
            hits.append(Hit(passage, float(found.similarity[position]), number))
            sentences.append(_sentence_spans(passage.text)[int(np.argmax(scores))] if len(scores) else None)
        return Answer(question, hits, sentences, evidence, answer_confidence(evidence))

    def _support(self, question: str, text: str) -> float:
        """The largest IDF-weighted share of the question's known words that one sentence of ``text`` holds."""
        weights = self.index.lexical.term_weights(question)
        total = sum(weights.values())
        if not total:
            return 0.0
        shares = [
            sum(weights.get(token, 0.0) for token in set(lexical_tokens(sentence))) / total
            for sentence in split_sentences(text)
        ]
        return max(shares, default=0.0)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences whose vectors the index holds for a passage (``split_sentences``' sentences)."""
    return [(a, b) for a, b in sentence_spans(text) if text[a:b].strip()]


def known_vectors(index: PassageIndex | None, encoder: Encoder) -> dict[str, np.ndarray]:
    """The vectors an index already holds, by the text they embed, when ``encoder`` would embed them the same way."""
    manifest = index.manifest if index is not None else None
    if manifest is None or manifest.model != encoder.name or manifest.prompts != encoder.prompts:
        return {}
    known = dict(zip((p.text for p in index.passages), index.passage_vectors(np.arange(len(index.passages))), strict=True))
    for number, passage in enumerate(index.passages):
        texts = split_sentences(passage.text)
        known.update(zip(texts, index.sentence_rows(number), strict=True))
    return known


def index_documents(
    documents: DocumentSet,
    encoder: Encoder,
    fingerprint: str,
    progress: bool = False,
    known: dict[str, np.ndarray] | None = None,
    exact_search_limit: int = EXACT_SEARCH_LIMIT,
) -> tuple[PassageIndex, int]:
    """Embed every passage of ``documents``, and each of their sentences, into a new in-memory index.

    A text found in ``known`` (see ``known_vectors``), or met before in this corpus, is not
    embedded again. Above ``exact_search_limit`` passages, vectors are searched approximately.
    Returns the index and the number of texts embedded.
    """
    passages = make_passages(documents.documents, encoder.count_document_tokens, encoder.max_tokens)
    sentence_texts, starts = [], [0]
    for passage in passages:
        sentence_texts.extend(split_sentences(passage.text))
        starts.append(len(sentence_texts))
    passage_texts = [p.text for p in passages]
    lookup = dict(known or {})
    new_texts = [text for text in dict.fromkeys(passage_texts + sentence_texts) if text not in lookup]
    lookup.update(zip(new_texts, encoder.encode_documents(new_texts, progress=progress), strict=True))

    def vectors_of(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        return np.stack([lookup[text] for text in texts]).astype(np.float32, copy=False)

    index = build_index(
        passages,
        vectors_of(passage_texts),
        vectors_of(sentence_texts),
        np.asarray(starts, dtype=np.int64),
        model=encoder.name,
        prompts=encoder.prompts,
        corpus_fingerprint=fingerprint,
        exact_search_limit=exact_search_limit,
    )
    return index, len(new_texts)


def reindex(
    docs_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    progress: bool = False,
    previous: PassageIndex | None = None,
    options: IndexOptions = IndexOptions(),
) -> tuple[PassageIndex, IndexReport]:
    """Build the index of ``docs_dir`` and save it atomically as the current one in ``index_dir``.

    Only passages and sentences whose text is not in ``previous`` (by default, the index saved
    in ``index_dir``) are embedded: after editing one document, only its changed text is.
    """
    started = time.perf_counter()
    if previous is None:
        try:
            previous = load_index(index_dir, model=encoder.name)
        except IndexUnavailable:
            previous = None
    fingerprint = folder_fingerprint(docs_dir, options.max_document_bytes)
    documents = read_documents(docs_dir, options.max_document_bytes)
    for problem in documents.problems:
        logger.warning("skipped %s", problem.message)
    known = known_vectors(previous, encoder)
    index, embedded = index_documents(documents, encoder, fingerprint, progress, known, options.exact_search_limit)
    save_index(index, index_dir)
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


def open_index(
    docs_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    progress: bool = False,
    options: IndexOptions = IndexOptions(),
) -> PassageIndex:
    """The saved index of ``docs_dir``, rebuilt first when missing, stale, damaged, built by another
    model, or searched otherwise than ``options`` now ask. While the folder is unavailable, a
    saved index is used as it is."""
    try:
        index = load_index(index_dir, model=encoder.name)
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
        if manifest.corpus_fingerprint != folder_fingerprint(docs_dir, options.max_document_bytes):
            logger.info("documents changed since the index was built: rebuilding it")
        elif manifest.search != search_method(manifest.passages, options.exact_search_limit):
            logger.info("the exact search limit changed: rebuilding the index (%s search)", manifest.search)
        else:
            return index
    index, _ = reindex(docs_dir, index_dir, encoder, progress, index, options)
    return index
