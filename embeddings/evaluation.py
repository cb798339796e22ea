"""Retrieval quality on a question → passage file (one JSON object per line).

Each line has ``question``, ``context``, ``context_id`` and optionally ``gold_context_ids`` and
``split``. The corpus is every distinct context of the file; each distinct question is a query,
and a hit is any of its gold contexts. Questions go through the product's own front door
(``KnowledgeBase``); contexts go through the same passage splitting as documents, so a long
context becomes several passages that all count as that context.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.defaults import MIN_CONFIDENCE
from embeddings.documents.document import Document, Section
from embeddings.documents.folder import DocumentSet
from embeddings.knowledge import KnowledgeBase
from embeddings.models.encoder import Encoder
from embeddings.models.reader import Reader

# Passages fetched per question: enough to find 10 distinct contexts when long ones were split.
_CANDIDATES = 50


@dataclass(frozen=True)
class EvalSet:
    """The corpus and the queries of an evaluation file, with each question's answer spans where given."""

    contexts: dict[str, str]
    queries: list[tuple[str, frozenset[str]]]
    answers: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalResult:
    """Retrieval figures for one evaluation file."""

    queries: int
    passages: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    seconds: float
    sentence_hit_rate: float | None = None  # where the right passage is first: its chosen sentence holds the answer
    abstained_answerable: float | None = None  # share of the file's questions answered "not sure"
    abstained_unanswerable: float | None = None  # share of the negatives' questions answered "not sure"
    p50_ms: float | None = None  # one question asked alone (encode and search), after a warm-up
    p99_ms: float | None = None
    suggested_confidence: float | None = None  # the lowest threshold at which at most 5 % of the negatives are answered
    abstained_answerable_suggested: float | None = None  # share of the file's questions "not sure" at that threshold

    def as_json(self) -> dict[str, float | int]:
        """The figures under the keys ``tanya eval --json`` prints."""
        figures = {
            "queries": self.queries,
            "passages": self.passages,
            "recall@1": round(self.recall_at_1, 4),
            "recall@5": round(self.recall_at_5, 4),
            "mrr@10": round(self.mrr_at_10, 4),
        }
        for key in (
            "sentence_hit_rate",
            "abstained_answerable",
            "abstained_unanswerable",
            "p50_ms",
            "p99_ms",
            "suggested_confidence",
            "abstained_answerable_suggested",
        ):
            if getattr(self, key) is not None:
                figures[key] = round(getattr(self, key), 4)
        return figures


def read_eval_file(path: Path, split: str | None = None) -> EvalSet:
    """Read an evaluation file; ``split`` keeps only the queries of that split (the corpus stays whole)."""
    contexts: dict[str, str] = {}
    gold: dict[str, set[str]] = {}
    answers: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                context_id, context, question = row["context_id"], row["context"], row["question"]
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a question/context/context_id JSON object ({error})") from None
            contexts.setdefault(context_id, context)
            if split is None or row.get("split") == split:
                gold.setdefault(question, set()).update(row.get("gold_context_ids") or [context_id])
                if isinstance(row.get("answer"), str) and row["answer"].strip():
                    answers.setdefault(question, set()).add(" ".join(row["answer"].split()))
    if not gold:
        raise ValueError(f"{path}: no questions" + (f" in split {split!r}" if split else ""))
    return EvalSet(
        contexts,
        [(question, frozenset(ids)) for question, ids in gold.items()],
        {question: frozenset(spans) for question, spans in answers.items()},
    )


def read_questions(path: Path) -> list[str]:
    """The distinct questions of a JSONL file, one object with a ``question`` per line (other fields
    are ignored: a file of unanswerable questions needs no passages)."""
    questions: dict[str, None] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                question = json.loads(line)["question"]
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a JSON object with a question ({error})") from None
            if not isinstance(question, str) or not question.strip():
                raise ValueError(f"{path}:{number}: the question is empty")
            questions[question] = None
    if not questions:
        raise ValueError(f"{path}: no questions")
    return list(questions)


def evaluate(
    eval_set: EvalSet,
    encoder: Encoder,
    *,
    min_confidence: float = MIN_CONFIDENCE,
    negatives: list[str] | None = None,
    progress: bool = False,
    reader: Reader | None = None,
) -> EvalResult:
    """Index the set's contexts in memory and measure how well the product's retrieval finds them.

    Also measured: each question's time asked alone, how often the chosen sentence holds the
    answer, and how often a question is answered "not sure" (answer confidence below
    ``min_confidence``), for the set's own questions and, when given, for ``negatives``:
    questions that the set's passages do not answer. With negatives, also the lowest confidence
    threshold at which at most ``NEGATIVES_ANSWERED`` of them would be answered, and the share of the
    set's own questions that would be "not sure" at it (``suggest_threshold``). ``reader``: read the
    best passages as the bot does (``embeddings.models.reader``).
    """
    started = time.perf_counter()
    knowledge = KnowledgeBase.in_memory(
        eval_documents(eval_set), encoder, min_confidence, progress=progress, reader=reader
    )
    answers = knowledge.ask_many([question for question, _ in eval_set.queries], k=_CANDIDATES)
    rankings = [[hit.passage.document for hit in answer.hits] for answer in answers]
    result = score_rankings(eval_set, rankings, time.perf_counter() - started)

    sentence_hits = sentence_trials = 0
    for (question, gold), answer in zip(eval_set.queries, answers, strict=True):
        spans = eval_set.answers.get(question)
        if spans and answer.hits and answer.hits[0].passage.document in gold and answer.sentence:
            start, end = answer.sentence
            sentence = answer.hits[0].passage.text[start:end]
            sentence_trials += 1
            sentence_hits += any(span in sentence for span in spans)
    abstained = [not answer.sure for answer in answers]
    unanswerable = suggested = cost = None
    if negatives:
        negative_answers = knowledge.ask_many(negatives, k=1)
        refused = [not answer.sure for answer in negative_answers]
        unanswerable = sum(refused) / len(refused)
        suggested, cost = suggest_threshold([a.confidence for a in answers], [a.confidence for a in negative_answers])
    questions = [question for question, _ in eval_set.queries]
    knowledge.ask(questions[0], k=_CANDIDATES)  # warm-up
    milliseconds = []
    for question in questions:
        asked = time.perf_counter()
        knowledge.ask(question, k=_CANDIDATES)
        milliseconds.append((time.perf_counter() - asked) * 1000)
    return dataclasses.replace(
        result,
        p50_ms=float(np.percentile(milliseconds, 50)),
        p99_ms=float(np.percentile(milliseconds, 99)),
        sentence_hit_rate=sentence_hits / sentence_trials if sentence_trials else None,
        abstained_answerable=sum(abstained) / len(abstained),
        abstained_unanswerable=unanswerable,
        suggested_confidence=suggested,
        abstained_answerable_suggested=cost,
        seconds=time.perf_counter() - started,
    )


NEGATIVES_ANSWERED = 0.05  # the share of unanswerable questions a suggested threshold lets through


def suggest_threshold(answerable: list[float], unanswerable: list[float]) -> tuple[float, float]:
    """The lowest confidence threshold at which at most ``NEGATIVES_ANSWERED`` of the ``unanswerable``
    questions' confidences reach it, and the share of the ``answerable`` ones below it (answered "not sure").

    Args:
        answerable: the confidences of questions the documents answer.
        unanswerable: the confidences of questions they do not.

    Returns:
        The threshold (to 3 decimals, just above the highest confidence kept out), and the share of
        answerable questions it turns to "not sure".
    """
    ranked = sorted(unanswerable, reverse=True)
    allowed = int(NEGATIVES_ANSWERED * len(ranked))  # this many may reach the threshold
    highest_kept_out = ranked[allowed] if allowed < len(ranked) else 0.0
    threshold = min(1.0, math.floor(highest_kept_out * 1000) / 1000 + 0.001)
    cost = sum(confidence < threshold for confidence in answerable) / len(answerable) if answerable else 0.0
    return threshold, cost


def eval_documents(eval_set: EvalSet) -> DocumentSet:
    """Each context as a one-paragraph document named by its context id."""
    return DocumentSet(
        tuple(
            Document(name=context_id, title=context_id, sections=(Section(context_id, (" ".join(text.split()),)),))
            for context_id, text in eval_set.contexts.items()
        )
    )


def score_rankings(eval_set: EvalSet, rankings: list[list[str]], seconds: float = 0.0) -> EvalResult:
    """Recall@1, Recall@5 and MRR@10 of one ranking of context ids per query (repeats are skipped)."""
    hits_at_1 = hits_at_5 = reciprocal_ranks = 0.0
    for (_, gold), ranking in zip(eval_set.queries, rankings, strict=True):
        distinct = list(dict.fromkeys(ranking))[:10]
        rank = next((position for position, cid in enumerate(distinct, start=1) if cid in gold), None)
        if rank is not None:
            hits_at_1 += rank == 1
            hits_at_5 += rank <= 5
            reciprocal_ranks += 1.0 / rank
    count = len(eval_set.queries)
    return EvalResult(
        queries=count,
        passages=len(eval_set.contexts),
        recall_at_1=hits_at_1 / count,
        recall_at_5=hits_at_5 / count,
        mrr_at_10=reciprocal_ranks / count,
        seconds=seconds,
    )
