"""Fit the answer-confidence model (embeddings/search/confidence.py) and choose the default TANYA_MIN_CONFIDENCE.

    .venv/bin/python -m benchmarks.confidence [--eval-dir ../shared/eval] [--index-cache DIR]

Training and validation data only (../shared/eval/README.md):
- fitted on TyDi QA train questions, asked through the product's retrieval against the TyDi QA
  train passages: all of them, and cut into corpora of 8, 32, 128 and half of them. Answerable:
  each question against the piece that holds its passage; off-topic: against the next piece,
  which does not; so that "not sure" holds on a handful of passages as on thousands. The same
  for the 484 train questions translated into English, Malay, Chinese, German, French and
  Spanish (benchmarks/data/), so that a question in another language than the documents' is
  judged fairly. Every (corpus size, kind) group weighs the same. unanswerable_id_train's
  questions (each about a train passage that does not answer it) are asked too and measured,
  not fitted: the evidence tells few of them apart.
- the default threshold is the highest at which at most 5 % of the validation questions are
  answered "not sure": TyDi QA valid against train + valid passages, 30 of its questions
  translated into each of the six languages (benchmarks/data/, each language on its own), and
  FacQA's valid split against FacQA's passages (read to choose the threshold, not fitted).
Prints the coefficients to paste into embeddings/search/confidence.py and the validation figures.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files
from config import load_settings
from embeddings.evaluation import EvalSet, eval_documents, read_eval_file
from embeddings.indexing import known_vectors
from embeddings.knowledge import KnowledgeBase
from embeddings.search.confidence import Evidence

MAX_WRONGLY_ABSTAINED = 0.05
THRESHOLDS = np.round(np.arange(0.01, 0.61, 0.01), 2)
PIECES = (8, 32, 128)  # sizes of the small corpora (and half the train passages)
QUESTIONS = 1500  # of each kind, per corpus size
# TyDi QA train questions translated for this project into six languages: questions in another
# language than the documents', which no training file holds (benchmarks/data/README.md).
TRANSLATIONS = [
    Path(__file__).resolve().parent / "data" / name
    for name in ("tydiqa_train_questions_en.jsonl", "tydiqa_train_questions_multilingual.jsonl")
]
VALID_TRANSLATIONS = Path(__file__).resolve().parent / "data" / "tydiqa_valid_questions_multilingual.jsonl"


def ask_in_pieces(
    knowledge_of, contexts: dict[str, str], questions: list[tuple[str, str]], size: int, rng, elsewhere: bool = False
) -> list[Evidence]:
    """Ask each (question, context id) against a piece of ``size`` passages that holds its context
    or, ``elsewhere``, against the next piece, which does not."""
    ids = list(contexts)
    rng.shuffle(ids)
    piece_of = {cid: number // size for number, cid in enumerate(ids)}
    pieces = (len(ids) + size - 1) // size
    by_piece: dict[int, list[str]] = {}
    for question, cid in questions:
        by_piece.setdefault((piece_of[cid] + elsewhere) % pieces, []).append(question)
    evidence = []
    for piece, asked in by_piece.items():
        members = ids[piece * size : (piece + 1) * size]
        knowledge = knowledge_of({cid: contexts[cid] for cid in members})
        evidence += [answer.evidence for answer in knowledge.ask_many(asked, k=1) if answer.evidence is not None]
    return evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    args = parser.parse_args()

    encoder = load_settings().knowledge_setup().load_encoder()
    files = {file.name: file for file in load_eval_files(args.eval_dir)}
    tydi_valid, facqa = files["tydiqa_id_valid"], files["facqa_id_news"]
    train = read_eval_file(args.eval_dir / "tydiqa_id_train.jsonl")
    rows = [json.loads(line) for line in (args.eval_dir / "unanswerable_id_train.jsonl").open(encoding="utf-8")]
    contexts = {**train.contexts, **{row["context_id"]: row["context"] for row in rows}}
    rng = random.Random(0)
    answerable = [(question, sorted(gold)[0]) for question, gold in train.queries if sorted(gold)[0] in contexts]
    unanswerable = list({row["question"]: (row["question"], row["context_id"]) for row in rows}.values())
    rng.shuffle(answerable)
    rng.shuffle(unanswerable)
    answerable, unanswerable = answerable[:QUESTIONS], unanswerable[:QUESTIONS]
    context_of = {}
    for line in (args.eval_dir / "tydiqa_id_train.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        context_of[row["id"]] = row["context_id"]
    translated = [
        (row["question"], context_of[row["id"]])
        for path in TRANSLATIONS
        for row in map(json.loads, path.open(encoding="utf-8"))
    ]
    sizes = (*PIECES, len(contexts) // 2, len(contexts))
    print(
        f"fitting on {len(answerable)} TyDi QA train questions, {len(translated)} translated ones and "
        f"{len(unanswerable)} unanswerable ones, against the {len(contexts)} train passages and pieces of "
        f"{', '.join(map(str, sizes[:-1]))}"
    )

    known = known_vectors(file_index(tydi_valid, encoder, args.index_cache), encoder)

    def knowledge_of(subset: dict[str, str]) -> KnowledgeBase:
        return KnowledgeBase.in_memory(eval_documents(EvalSet(subset, [])), encoder, known=known)

    groups: dict[tuple[int, str], list[Evidence]] = {}
    for size in sizes:
        groups[(size, "answerable")] = ask_in_pieces(knowledge_of, contexts, answerable, size, rng)
        groups[(size, "unanswerable")] = ask_in_pieces(knowledge_of, contexts, unanswerable, size, rng)
        groups[(size, "answerable, translated")] = ask_in_pieces(knowledge_of, contexts, translated, size, rng)
        if size < len(contexts):
            groups[(size, "off-topic")] = ask_in_pieces(knowledge_of, contexts, answerable, size, rng, elsewhere=True)
            groups[(size, "off-topic, translated")] = ask_in_pieces(knowledge_of, contexts, translated, size, rng, True)
        print(f"asked against corpora of {size} passages", flush=True)
    # IDK-MRC's unanswerable questions are written to resemble their passage: this evidence tells
    # only a few of them from answerable ones (see the table), so they are measured, not fitted.
    fitted = {key: evidence for key, evidence in groups.items() if key[1] != "unanswerable"}
    features = np.array([e.features() for evidence in fitted.values() for e in evidence])
    labels = np.concatenate(
        [np.full(len(evidence), kind.startswith("answerable")) for (_, kind), evidence in fitted.items()]
    )
    weights = np.concatenate([np.full(len(evidence), len(features) / len(evidence)) for evidence in fitted.values()])
    model = LogisticRegression(C=100.0, max_iter=10_000).fit(features, labels, sample_weight=weights)

    def confidences(evidence: list[Evidence]) -> np.ndarray:
        return model.predict_proba(np.array([e.features() for e in evidence]))[:, 1]

    validation = {
        "TyDi QA valid, against train + valid passages": (
            file_index(tydi_valid, encoder, args.index_cache),
            tydi_valid.whole,
        ),
        "FacQA valid": (
            file_index(facqa, encoder, args.index_cache),
            read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="valid"),
        ),
    }
    valid = {
        name: confidences(
            [a.evidence for a in KnowledgeBase(encoder, index).ask_many([q for q, _ in eval_set.queries])]
        )
        for name, (index, eval_set) in validation.items()
    }
    by_language: dict[str, list[str]] = {}
    for row in map(json.loads, VALID_TRANSLATIONS.open(encoding="utf-8")):
        by_language.setdefault(row["lang"], []).append(row["question"])
    tydi_valid_index = validation["TyDi QA valid, against train + valid passages"][0]
    for language, questions in by_language.items():
        answers = KnowledgeBase(encoder, tydi_valid_index).ask_many(questions)
        valid[f"TyDi QA valid in {language}"] = confidences([answer.evidence for answer in answers])
    default = max(float(t) for t in THRESHOLDS if all(np.mean(c < t) <= MAX_WRONGLY_ABSTAINED for c in valid.values()))
    print()
    print(f"COEFFICIENTS = ({', '.join(f'{w:.4f}' for w in model.coef_[0])})")
    print(f"INTERCEPT = {model.intercept_[0]:.4f}")
    print(
        f"default min_confidence: {default} (the highest with at most {MAX_WRONGLY_ABSTAINED:.0%} of every "
        f"validation set's answerable questions answered 'not sure')"
    )
    print()
    print(
        "| questions answered 'not sure' | "
        + " | ".join(f"{t:.2f}" for t in (default - 0.05, default, default + 0.05))
        + " |"
    )
    print("|---|---|---|---|")
    for (size, label), evidence in groups.items():
        scores = confidences(evidence)
        cells = [f"{np.mean(scores < t):.3f}" for t in (default - 0.05, default, default + 0.05)]
        role = "measured" if label == "unanswerable" else "fitted"
        print(f"| {role}: {label}, corpus of {size} ({len(scores)}) | " + " | ".join(cells) + " |")
    for name, scores in valid.items():
        cells = [f"{np.mean(scores < t):.3f}" for t in (default - 0.05, default, default + 0.05)]
        print(f"| validation: {name} ({len(scores)}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
