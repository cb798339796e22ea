"""The same answers from either index store: each evaluation file's index saved to Milvus Lite and
loaded back, against the folder (FAISS) store's.

    .venv/bin/python -m benchmarks.stores [--eval-dir ../shared/eval] [--index-cache DIR] [--milvus-uri URI]

For each file of ../shared/eval/: its passage index (from ``--index-cache`` when it holds one) is
published to Milvus (embedded Milvus Lite in a temporary folder, or ``--milvus-uri``) and loaded
back as a replica would; both answer the file's scored questions. Prints, for each store: recall@1,
the answering sentence's hit rate, the share answered "not sure", and how many answers differ at
all (passages, sentences, or confidence by more than 1e-6); with the seconds to publish and to load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files
from config import load_settings
from embeddings.evaluation import EvalSet, score_rankings
from embeddings.knowledge import KnowledgeBase
from embeddings.search.milvus import MilvusStore

CANDIDATES = 10


def figures(knowledge: KnowledgeBase, eval_set: EvalSet) -> tuple[list, float, float, float]:
    """The answers, recall@1, sentence hit rate and "not sure" share on ``eval_set``."""
    answers = knowledge.ask_many([question for question, _ in eval_set.queries], k=CANDIDATES)
    rankings = [[hit.passage.document for hit in answer.hits] for answer in answers]
    recall = score_rankings(eval_set, rankings).recall_at_1
    hits = trials = 0
    for (question, gold), answer in zip(eval_set.queries, answers, strict=True):
        spans = eval_set.answers.get(question)
        if spans and answer.hits and answer.hits[0].passage.document in gold and answer.sentence:
            start, end = answer.sentence
            trials += 1
            hits += any(span in answer.hits[0].passage.text[start:end] for span in spans)
    unsure = sum(not answer.sure for answer in answers) / len(answers)
    return answers, recall, hits / trials if trials else float("nan"), unsure


def same(one, other) -> bool:
    return (
        [hit.passage for hit in one.hits] == [hit.passage for hit in other.hits]
        and one.sentences == other.sentences
        and abs(one.confidence - other.confidence) <= 1e-6
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--milvus-uri", help="a Milvus to publish to (default: embedded Milvus Lite in a temp folder)")
    args = parser.parse_args()
    settings = load_settings()
    encoder = settings.knowledge_setup().load_encoder()
    print(
        "| file | questions | passages | store | R@1 | sentence hit | not sure | answers differing | "
        "publish s | load s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for file in load_eval_files(args.eval_dir):
            index = file_index(file, encoder, args.index_cache)
            store = MilvusStore(
                args.milvus_uri or str(Path(tmp) / f"{file.name}.db"), alias=f"bench_{file.name.replace('-', '_')}"
            )
            started = time.perf_counter()
            store.save(index)
            published = time.perf_counter() - started
            started = time.perf_counter()
            loaded = store.load(encoder.name)
            load_seconds = time.perf_counter() - started
            folder_answers, *folder = figures(KnowledgeBase(encoder, index), file.scored)
            milvus_answers, *milvus = figures(KnowledgeBase(encoder, loaded), file.scored)
            differing = sum(not same(a, b) for a, b in zip(folder_answers, milvus_answers, strict=True))
            size = f"| {file.name} | {len(file.scored.queries)} | {len(index.passages)} "
            print(size + f"| folder (FAISS) | {folder[0]:.3f} | {folder[1]:.3f} | {folder[2]:.3f} | — | — | — |")
            print(
                size + f"| Milvus | {milvus[0]:.3f} | {milvus[1]:.3f} | {milvus[2]:.3f} | {differing} | "
                f"{published:.1f} | {load_seconds:.1f} |"
            )


if __name__ == "__main__":
    main()
