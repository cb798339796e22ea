"""Experiment: a trained linear re-scorer of tanya's candidate passages and of their sentences. Not shipped.

    .venv/bin/python -m scripts.train_rescorer [--eval-dir ../shared/eval] [--index-cache DIR]

Two linear models over evidence of each candidate that the retrieval gathers anyway:
- passages: the embedding similarities of the passage and of its closest sentence, today's
  dense score, BM25, the IDF-weighted share of the question's words in the passage and in its
  best sentence, and the share of the question's word pairs side by side in one sentence.
  Trained listwise: the passage that answers against the candidates tanya's own retrieval
  ranks first (its hard negatives).
- sentences of the answering passage: similarity to the question, and that of the sentences
  before and after it, the question's words and word pairs in it, whether it opens the
  passage, and whether it holds a digit when the question asks for a number or a date.
Word evidence is scaled by c² (the share of the question's words the corpus knows), as
today's ranking does. Measured result (README, "Training our own ranker"): no better than
today's ranking on validation data, so it is not part of tanya; this script reproduces it.

Data (../shared/eval/README.md): trains on tydiqa_id_train only, its questions asked through
the product's retrieval against its own 3,881 passages. Compares on tydiqa_id_valid, asked
against the passages of train + valid, and on FacQA's valid split (read to compare and choose
the L2 penalty, never trained on). No test split and no XQuAD-based file is read. Both models
are fitted by full-batch L-BFGS on a softmax per question; deterministic. Prints the data, the
settings, the validation figures of every penalty against today's ranking, and the time.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks.corpora import EVAL_DIR, file_index, load_eval_files
from config import load_settings
from embeddings.documents.passages import split_sentences
from embeddings.evaluation import EvalSet, eval_documents, read_eval_file
from embeddings.indexing import index_documents, known_vectors
from embeddings.search.lexical import LexicalIndex, lexical_tokens
from embeddings.search.retrieval import LEXICAL_WEIGHT, Retriever

PENALTIES = (0.0, 0.001, 0.01, 0.1)  # L2 penalties tried, per question and weight


PASSAGE_FEATURES = (
    "similarity",
    "sentence_similarity",
    "dense",  # the two similarities averaged, scaled from 0 (worst candidate) to 1 (best)
    "bm25",  # relative to the best candidate's, times c²
    "passage_words",  # IDF-weighted share of the question's words in the passage, times c²
    "sentence_words",  # the same in its best sentence for them, times c²
    "sentence_pairs",  # share of the question's word pairs side by side in one sentence, times c²
)
SENTENCE_FEATURES = (
    "similarity",
    "previous_similarity",  # of the sentence before it (0 for the first)
    "next_similarity",
    "words",  # times c², as below
    "pairs",
    "first",  # the passage's first sentence
    "number",  # holds a digit, and the question asks for a number or a date
)
# Words that ask for a number or a date (Indonesian, English), as written: stemming would turn
# "berapa" (how many) into "apa" (what).
_NUMBER_WORDS = frozenset("berapa kapan tahun tanggal abad when year many much old long".split())
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class QuestionWords:
    """What the re-scorer looks for of a question in a passage's words."""

    weights: dict[str, float]  # IDF of each of its words the corpus knows
    pairs: frozenset[tuple[str, str]]  # its consecutive words
    asks_number: bool
    coverage_squared: float


@dataclass(frozen=True)
class SentenceWords:
    """A sentence's words, word pairs, and whether it holds a digit."""

    words: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    has_digit: bool


def question_words(question: str, lexical: LexicalIndex, coverage: float) -> QuestionWords:
    """The words of ``question`` the re-scorer weighs, with their weights in ``lexical``'s corpus."""
    tokens = lexical_tokens(question)
    return QuestionWords(
        lexical.term_weights(question),
        frozenset(zip(tokens, tokens[1:], strict=False)),
        bool(_NUMBER_WORDS & set(_WORD.findall(question.lower()))),
        coverage**2,
    )


@functools.cache
def sentence_words(sentence: str) -> SentenceWords:
    """The words of one sentence as the re-scorer compares them."""
    tokens = lexical_tokens(sentence)
    return SentenceWords(
        frozenset(tokens), frozenset(zip(tokens, tokens[1:], strict=False)), bool(_DIGIT.search(sentence))
    )


def _word_share(question: QuestionWords, words: frozenset[str] | set[str]) -> float:
    total = sum(question.weights.values())
    return sum(w for t, w in question.weights.items() if t in words) / total if total else 0.0


def _pair_share(question: QuestionWords, pairs: frozenset[tuple[str, str]]) -> float:
    return len(question.pairs & pairs) / len(question.pairs) if question.pairs else 0.0


def sentence_features(question: QuestionWords, similarities: np.ndarray, sentences: list[SentenceWords]) -> np.ndarray:
    """One row of ``SENTENCE_FEATURES`` for each sentence of a passage."""
    words = np.array([_word_share(question, s.words) for s in sentences]) * question.coverage_squared
    pairs = np.array([_pair_share(question, s.pairs) for s in sentences]) * question.coverage_squared
    first = np.zeros(len(sentences))
    first[:1] = 1.0
    number = np.array([question.asks_number and s.has_digit for s in sentences], dtype=float)
    previous = np.concatenate([[0.0], similarities[:-1]])
    following = np.concatenate([similarities[1:], [0.0]])
    return np.column_stack([similarities, previous, following, words, pairs, first, number])


def passage_features(
    question: QuestionWords,
    similarity: np.ndarray,
    sentence_similarity: np.ndarray,
    dense: np.ndarray,
    relative_lexical: np.ndarray,
    passages: list[list[SentenceWords]],
) -> np.ndarray:
    """One row of ``PASSAGE_FEATURES`` for each candidate passage."""
    c2 = question.coverage_squared
    passage_words = [_word_share(question, set().union(*(s.words for s in p))) if p else 0.0 for p in passages]
    best_words = [max((_word_share(question, s.words) for s in p), default=0.0) for p in passages]
    best_pairs = [max((_pair_share(question, s.pairs) for s in p), default=0.0) for p in passages]
    return np.column_stack(
        [
            similarity,
            sentence_similarity,
            dense,
            c2 * relative_lexical,
            c2 * np.array(passage_words),
            c2 * np.array(best_words),
            c2 * np.array(best_pairs),
        ]
    )


def gather(retriever: Retriever, eval_set: EvalSet) -> tuple[list, list, list]:
    """For each question whose answering passage is among the candidates: (passage features, which
    answer), today's score of each candidate; and where the answer's sentence is known, (the answering
    passage's sentence features, which sentence holds the answer)."""
    questions = [question for question, _ in eval_set.queries]
    vectors = retriever.encoder.encode_queries(questions)
    passage_rows, today, sentence_rows = [], [], []
    for (question, gold), vector in zip(eval_set.queries, vectors, strict=True):
        found = retriever.candidates(question, vector)
        labels = np.array([retriever.index.passages[int(n)].document in gold for n in found.numbers])
        if not labels.any():
            continue
        words = question_words(question, retriever.index.lexical, found.coverage)
        sentences = [
            [sentence_words(s) for s in split_sentences(retriever.index.passages[int(n)].text)] for n in found.numbers
        ]
        features = passage_features(
            words, found.similarity, found.sentence_similarity, found.dense, found.relative_lexical, sentences
        )
        passage_rows.append((features, labels))
        lexical_weight = LEXICAL_WEIGHT * found.coverage**2
        today.append(((1 - lexical_weight) * found.dense + lexical_weight * found.relative_lexical, labels))
        position = int(np.argmax(labels))
        spans = eval_set.answers.get(question, frozenset())
        texts = split_sentences(retriever.index.passages[int(found.numbers[position])].text)
        holds = np.array([any(span in text for span in spans) for text in texts])
        if len(texts) > 1 and holds.any() and not holds.all():
            sentence_rows.append(
                (sentence_features(words, found.sentence_scores[position], sentences[position]), holds)
            )
    return passage_rows, today, sentence_rows


def fit(rows: list, penalty: float) -> np.ndarray:
    """Linear weights maximising the log-likelihood of the right items under a softmax per row, minus an L2 penalty."""
    torch.manual_seed(0)
    features = [torch.tensor(x, dtype=torch.float64) for x, _ in rows]
    labels = [torch.tensor(y) for _, y in rows]
    weights = torch.zeros(features[0].shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights], max_iter=500, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        total = sum(
            torch.logsumexp(x @ weights, 0) - torch.logsumexp((x @ weights)[y], 0)
            for x, y in zip(features, labels, strict=True)
        )
        value = total / len(rows) + penalty * (weights**2).sum()
        value.backward()
        return value

    optimizer.step(loss)
    return weights.detach().numpy()


def accuracy(rows: list, weights: np.ndarray) -> float:
    """Share of rows whose best-scored item is a right one; rows with no right item count as misses."""
    return float(np.mean([y[int(np.argmax(x @ weights))] for x, y in rows]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--index-cache", type=Path, help="keep the indexes here between runs (as the benchmarks do)")
    args = parser.parse_args()

    started = time.perf_counter()
    torch.set_num_threads(os.cpu_count() or 1)
    settings = load_settings()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}; model {settings.model}, backend {settings.backend}"
    )
    print(
        f"settings: L2 penalties tried {PENALTIES}; passage features {', '.join(PASSAGE_FEATURES)}; "
        f"sentence features {', '.join(SENTENCE_FEATURES)}"
    )
    encoder = settings.knowledge_setup().load_encoder()
    files = {file.name: file for file in load_eval_files(args.eval_dir)}
    valid_index = file_index(files["tydiqa_id_valid"], encoder, args.index_cache)  # train + valid passages
    train = read_eval_file(args.eval_dir / "tydiqa_id_train.jsonl")
    # The train passages alone, their vectors taken from the index above (nothing embedded).
    train_index, _ = index_documents(eval_documents(train), encoder, known=known_vectors(valid_index, encoder))
    train_passages, _, train_sentences = gather(Retriever(encoder, train_index), train)
    facqa = files["facqa_id_news"]
    validation = {
        "TyDi QA valid": gather(Retriever(encoder, valid_index), files["tydiqa_id_valid"].whole),
        "FacQA valid": gather(
            Retriever(encoder, file_index(facqa, encoder, args.index_cache)),
            read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="valid"),
        ),
    }
    print(
        f"data: {len(train.queries)} TyDi QA train questions against {len(train.contexts)} train passages: "
        f"{len(train_passages)} with the answering passage among the candidates, {len(train_sentences)} of those "
        f"with several sentences, one holding the answer; validation (same counts): "
        + "; ".join(f"{name} {len(rows[0])} / {len(rows[2])}" for name, rows in validation.items())
    )
    print(f"features gathered in {time.perf_counter() - started:.0f} s")
    print()
    print(
        "Share of questions whose first passage answers (among those whose answering passage is a candidate), and "
        "whose chosen sentence holds the answer (in the answering passage):"
    )
    print()
    print("| ranking | " + " | ".join(f"{name}, passage | {name}, sentence" for name in validation) + " |")
    print("|---|" + "---|---|" * len(validation))
    closest = np.eye(len(SENTENCE_FEATURES))[SENTENCE_FEATURES.index("similarity")]
    cells = [
        f"{np.mean([y[int(np.argmax(s))] for s, y in today]):.3f} | {accuracy(sentences, closest):.3f}"
        for _, today, sentences in validation.values()
    ]
    print("| today's (fixed mix; the closest sentence) | " + " | ".join(cells) + " |")
    for penalty in PENALTIES:
        passage_weights, sentence_weights = fit(train_passages, penalty), fit(train_sentences, penalty)
        cells = [
            f"{accuracy(passages, passage_weights):.3f} | {accuracy(sentences, sentence_weights):.3f}"
            for passages, _, sentences in validation.values()
        ]
        print(f"| trained, L2 {penalty} | " + " | ".join(cells) + " |", flush=True)
        print(
            json.dumps(
                {
                    "passage": dict(zip(PASSAGE_FEATURES, np.round(passage_weights, 3).tolist(), strict=True)),
                    "sentence": dict(zip(SENTENCE_FEATURES, np.round(sentence_weights, 3).tolist(), strict=True)),
                }
            ),
            flush=True,
        )
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
