"""What happens to a question: encode it, weigh the candidate passages, return the best with their sentences."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from embeddings.defaults import ANSWERS, MIN_CONFIDENCE
from embeddings.documents.passages import Passage
from embeddings.models.encoder import Encoder
from embeddings.models.reader import Reader, Reading
from embeddings.search.confidence import Evidence, answer_confidence
from embeddings.search.index import PassageIndex
from embeddings.search.language import language_of, preload
from embeddings.search.sentences import CHOICES, answering_sentence, word_shares
from embeddings.search.taught import TaughtMatch

# How dense and lexical evidence combine (see Retriever). Chosen on FacQA's train split and the
# English → Indonesian and English sets of ../shared/eval/; BM25 keeps bm25s' defaults.
CANDIDATES = 50  # passages taken from each of the dense and the lexical rankings
SENTENCE_WEIGHT = 0.5  # dense evidence: passage similarity and best-sentence similarity, half each
LEXICAL_WEIGHT = 0.4  # at most, for a question whose words all occur in the corpus
# The reader (embeddings.models.reader) reads the first READ candidates (2: as good as 3 on the help-desk
# set's fit half, and a third faster); it moves the second first when its verdict (a logit) beats the
# first's by more than RANK_WEIGHT times their difference in the retrieval's combined score (0 to 1).
# READ chosen by benchmarks/helpdesk.py on the fit half; RANK_WEIGHT on FacQA valid and TyDi QA valid
# (Recall@1 0.786 and 0.868 at 24; 0.763 and 0.863 at 8; 0.756 and 0.848 never reordering), the
# help-desk fit half being flat (0.658 at 24, 0.667 at 8; python -m benchmarks.helpdesk --rank-weights).
READ = 2
RANK_WEIGHT = 24.0
ANSWER_FORMAT = 1  # the form ``Answer.to_data`` writes: bumped when what it holds changes shape or meaning


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its cosine similarity to the question."""

    passage: Passage
    score: float
    number: int  # position of the passage in its index


@dataclass(frozen=True)
class Answer:
    """The passages found for a question, best first, the sentence of each closest to the question,
    how likely it is that the first one answers it (see ``embeddings.search.confidence``), and
    whether that is sure enough to be given as the answer rather than as a guess; and the answer
    the admins taught for such a question, if there is one (see ``embeddings.search.taught``)."""

    hits: list[Hit]
    sentences: list[tuple[int, int] | None]  # character span in the passage of the hit at the same place
    evidence: Evidence | None = None
    confidence: float = 0.0
    sure: bool = False
    question_vector: np.ndarray | None = field(default=None, compare=False)  # to group similar questions
    taught: TaughtMatch | None = None

    def to_data(self) -> dict:
        """The answer as JSON data to keep (the question's vector left out), marked with its format.

        Returns:
            A dict of JSON types, which ``Answer.from_data`` reads back.
        """
        return {
            "format": ANSWER_FORMAT,
            "hits": [{"passage": asdict(hit.passage), "score": hit.score, "number": hit.number} for hit in self.hits],
            "sentences": self.sentences,
            "evidence": None if self.evidence is None else asdict(self.evidence),
            "confidence": self.confidence,
            "sure": self.sure,
            "taught": None if self.taught is None else self.taught.to_data(),
        }

    @classmethod
    def from_data(cls, data: object) -> Answer | None:
        """The answer ``to_data`` wrote.

        Args:
            data: what ``to_data`` returned, after a round trip through JSON.

        Returns:
            The answer; None for data of another format or shape (kept by another version of tanya).
        """
        if not isinstance(data, dict) or data.get("format") != ANSWER_FORMAT:
            return None
        try:
            return cls(
                hits=[Hit(Passage(**hit["passage"]), float(hit["score"]), int(hit["number"])) for hit in data["hits"]],
                sentences=[(int(span[0]), int(span[1])) if span else None for span in data["sentences"]],
                evidence=None if data["evidence"] is None else Evidence(**data["evidence"]),
                confidence=float(data["confidence"]),
                sure=bool(data["sure"]),
                taught=None if data["taught"] is None else TaughtMatch.from_data(data["taught"]),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    @property
    def taught_given(self) -> bool:
        """Whether the admins' taught answer is given (close enough), instead of the documents'."""
        return self.taught is not None and self.taught.given

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

    With a ``reader``, the first ``READ`` passages are read with the question, which may reorder
    them and weighs in their confidence. Each passage's answering sentence is picked by
    ``embeddings.search.sentences`` or, with ``sentence_picker`` off, is the closest by cosine. An answer is sure when its confidence is
    at least ``min_confidence``; this is the one place that decides it.
    """

    def __init__(
        self,
        encoder: Encoder,
        index: PassageIndex,
        min_confidence: float = MIN_CONFIDENCE,
        sentence_picker: bool = True,
        reader: Reader | None = None,
    ) -> None:
        self.encoder = encoder
        self.index = index
        self.min_confidence = min_confidence
        self.sentence_picker = sentence_picker
        self.reader = reader
        preload()

    def ask(self, question: str, k: int = ANSWERS, collections: frozenset[str] | None = None) -> Answer:
        """The best passages for one question.

        Args:
            question: as the user wrote it.
            k: how many passages to return.
            collections: search only the passages of these collections (``embeddings.collections``);
                None: every passage.

        Returns:
            The ``k`` best passages, best first, their answering sentences, the evidence and confidence
            that the first answers it, and whether that is sure (no taught answer: ``KnowledgeBase``
            adds it).
        """
        question = " ".join(question.split())
        return self.ask_many([question], k, collections)[0] if question else Answer([], [])

    def ask_many(
        self, questions: list[str], k: int = ANSWERS, collections: frozenset[str] | None = None
    ) -> list[Answer]:
        """``ask`` for many questions."""
        questions = [" ".join(question.split()) for question in questions]
        index = self.index  # one index for all: a reindex may swap it meanwhile
        allowed = index.selection(collections)
        if not index.passages or (allowed is not None and not allowed.any()):
            vectors = self.encoder.encode_queries(questions) if index.passages else [None] * len(questions)
            return [Answer([], [], question_vector=vector) for vector in vectors]
        vectors = self.encoder.encode_queries(questions)
        return [
            self._answer(index, question, vector, k, allowed)
            for question, vector in zip(questions, vectors, strict=True)
        ]

    def candidates(
        self, question: str, query: np.ndarray, index: PassageIndex | None = None, allowed: np.ndarray | None = None
    ) -> Candidates:
        """The passages weighed for ``question`` (its vector: ``query``), with their evidence; only those
        ``allowed`` (``PassageIndex.selection``) when it is given."""
        index = self.index if index is None else index
        _, dense_ids = index.search(query[None, :], CANDIDATES, allowed)
        lexical, coverage = index.lexical.scores(question)
        if allowed is not None:
            lexical = np.where(allowed, lexical, 0.0).astype(lexical.dtype)
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

    def _answer(
        self, index: PassageIndex, question: str, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> Answer:
        found = self.candidates(question, query, index, allowed)
        lexical_weight = LEXICAL_WEIGHT * found.coverage**2
        combined = (1 - lexical_weight) * found.dense + lexical_weight * found.relative_lexical
        order = np.argsort(-combined, kind="stable")[: max(k, READ if self.reader else 0)]
        readings = self._read(index, question, found, order) if self.reader is not None else {}
        if readings:  # the passage the reader finds answering comes first, unless retrieval much prefers another
            read = order[: len(readings)]
            lead = float(combined[read[0]])
            ranked = sorted(read, key=lambda p: -(readings[int(p)].logit + RANK_WEIGHT * (float(combined[p]) - lead)))
            order = np.array([*ranked, *order[len(readings) :]])
        order = order[:k]
        first = int(order[0])
        weights = index.lexical.term_weights(question)
        hits, sentences, support = [], [], 0.0
        for position in order:
            number = int(found.numbers[position])
            passage = index.passages[number]
            rows = index.sentences(number)
            kept = [row for row, (start, end) in enumerate(rows) if end > start]  # not a FAQ's question
            spans = [rows[row] for row in kept]
            scores = found.sentence_scores[position][kept]
            hits.append(Hit(passage, float(found.similarity[position]), number))
            texts = [passage.text[start:end] for start, end in spans]
            shares = None
            if position == first:  # every sentence's: how well the documents support the answer
                shares = word_shares(weights, texts)
                support = float(shares.max(initial=0.0))
            elif self.sentence_picker and len(scores):  # only those the picker weighs: its CHOICES closest
                shares = np.zeros(len(texts), dtype=np.float32)
                weighed = np.argsort(-scores, kind="stable")[:CHOICES]
                shares[weighed] = word_shares(weights, [texts[i] for i in weighed])
            if not len(scores):
                sentences.append(None)
            elif self.sentence_picker:
                sentences.append(spans[answering_sentence(question, texts, scores, found.coverage**2 * shares)])
            else:
                sentences.append(spans[int(np.argmax(scores))])
        passage = index.passages[int(found.numbers[first])]
        language = language_of(question)
        reading = readings.get(first)
        evidence = Evidence(
            similarity=float(found.similarity[first]),
            sentence_similarity=float(found.sentence_similarity[first]),
            coverage=found.coverage,
            support=support,
            language=language,
            same_language=language == language_of(passage.text),
            reading=reading.logit if reading is not None else None,
            read_margin=reading.margin if reading is not None else 0.0,
            read_gap=_gap(readings, first),
        )
        confidence = answer_confidence(evidence)
        return Answer(
            hits, sentences, evidence, confidence, sure=confidence >= self.min_confidence, question_vector=query
        )

    def _read(self, index: PassageIndex, question: str, found: Candidates, order: np.ndarray) -> dict[int, Reading]:
        """The reader's verdict on the first ``READ`` candidates of ``order``, by their position in ``found``;
        a long passage is read around its sentence closest to the question."""
        readings = {}
        for position in order[:READ].tolist():
            number = int(found.numbers[position])
            passage = index.passages[number]
            rows = index.sentences(number)
            scores = found.sentence_scores[position]
            focus = 0
            spoken = [row for row, (start, end) in enumerate(rows) if end > start]
            if spoken:
                focus = int(rows[max(spoken, key=lambda row: scores[row])][0])
            readings[position] = self.reader.read(question, passage.text, focus)
        return readings


def _gap(readings: dict[int, Reading], first: int) -> float:
    """How much more the reader believes the first passage answers than the best of the others it read."""
    if first not in readings:
        return 0.0
    others = [reading.logit for position, reading in readings.items() if position != first]
    return readings[first].logit - max(others) if others else 0.0
