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
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.defaults import MIN_CONFIDENCE
from embeddings.documents.document import Document, Section
from embeddings.documents.folder import DocumentSet
from embeddings.knowledge import KnowledgeBase
from embeddings.models.encoder import Encoder

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

    def as_json(self) -> dict[str, float | int]:
        """The figures under the keys ``tanya eval --json`` prints."""
        figures = {
            "queries": self.queries,
            "passages": self.passages,
            "recall@1": round(self.recall_at_1, 4),
            "recall@5": round(self.recall_at_5, 4),
            "mrr@10": round(self.mrr_at_10, 4),
        }
        for key in ("sentence_hit_rate", "abstained_answerable", "abstained_unanswerable", "p50_ms", "p99_ms"):
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


def evaluate(
    eval_set: EvalSet,
    encoder: Encoder,
    *,
    min_confidence: float = MIN_CONFIDENCE,
    negatives: list[str] | None = None,
    progress: bool = False,
) -> EvalResult:
    """Index the set's contexts in memory and measure how well the product's retrieval finds them.

    Also measured: each question's time asked alone, how often the chosen sentence holds the
    answer, and how often a question is answered "not sure" (answer confidence below
    ``min_confidence``), for the set's own questions and, when given, for ``negatives``:
    questions that the set's passages do not answer.
    """
    started = time.perf_counter()
    knowledge = KnowledgeBase.in_memory(eval_documents(eval_set), encoder, min_confidence, progress=progress)
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
    unanswerable = None
    if negatives:
        refused = [not answer.sure for answer in knowledge.ask_many(negatives, k=1)]
        unanswerable = sum(refused) / len(refused)
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
        seconds=time.perf_counter() - started,
    )


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
