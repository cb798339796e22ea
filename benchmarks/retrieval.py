"""Retrieval quality on every file of ../shared/eval/: tanya's retrieval against plain BM25 and plain dense.

    .venv/bin/python benchmarks/retrieval.py [--eval-dir ../shared/eval] [--tydiqa-sample 1000]

Per file (test split where there is one; for TyDi QA a fixed random sample of questions), the
corpus is every passage of the file, indexed once; three systems rank it in the same run:
- plain BM25: bm25s over lower-cased word tokens, no stemming;
- plain dense: multilingual-e5-small passage vectors, exact inner product;
- tanya: the product's retrieval (`Retriever.ask`, as `tanya eval`, `tanya ask` and the bot use it).
Prints a Markdown table of Recall@1, Recall@5 and MRR@10.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
from pathlib import Path

import bm25s
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from config import load_settings  # noqa: E402
from embeddings.encoder import load_encoder  # noqa: E402
from embeddings.evaluation import EvalSet, eval_documents, read_eval_file, score_rankings  # noqa: E402
from embeddings.retrieval import CANDIDATES, Retriever, index_documents  # noqa: E402

_WORD = re.compile(r"\w+")


def splits_in(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as handle:
        return {json.loads(line).get("split") for line in handle if line.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--tydiqa-sample", type=int, default=1000, help="questions sampled from TyDi QA (seed 0)")
    args = parser.parse_args()

    settings = load_settings()
    encoder = load_encoder(settings.model, settings.model_cache_dir)
    print(f"model: {settings.model}; machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print()
    print("| file | split | queries | passages | system | Recall@1 | Recall@5 | MRR@10 |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(args.eval_dir.glob("*.jsonl")):
        split = "test" if "test" in splits_in(path) else None
        eval_set = read_eval_file(path, split=split)
        label = split or "all"
        if path.name.startswith("tydiqa") and len(eval_set.queries) > args.tydiqa_sample:
            queries = list(eval_set.queries)
            random.Random(0).shuffle(queries)
            eval_set = EvalSet(eval_set.contexts, queries[: args.tydiqa_sample])
            label = f"sample of {args.tydiqa_sample}"
        questions = [question for question, _ in eval_set.queries]
        index = index_documents(eval_documents(eval_set), encoder, "benchmark")
        owners = [passage.document for passage in index.passages]

        bm25 = bm25s.BM25()
        bm25.index([_WORD.findall(passage.text.lower()) for passage in index.passages], show_progress=False)
        plain_bm25 = []
        for question in questions:
            known = [w for w in _WORD.findall(question.lower()) if w in bm25.vocab_dict]
            scores = bm25.get_scores(known) if known else np.zeros(len(owners))
            plain_bm25.append([owners[i] for i in np.argsort(-scores, kind="stable")[:CANDIDATES]])

        _, dense_ids = index.search(encoder.encode_queries(questions), CANDIDATES)
        plain_dense = [[owners[i] for i in row if i >= 0] for row in dense_ids]

        answers = Retriever(encoder, index).ask_many(questions, k=CANDIDATES)
        tanya = [[hit.passage.document for hit in answer.hits] for answer in answers]

        for system, rankings in (("plain BM25", plain_bm25), ("plain dense", plain_dense), ("tanya", tanya)):
            result = score_rankings(eval_set, rankings)
            print(
                f"| {path.name} | {label} | {result.queries} | {result.passages} | {system} | "
                f"{result.recall_at_1:.3f} | {result.recall_at_5:.3f} | {result.mrr_at_10:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
