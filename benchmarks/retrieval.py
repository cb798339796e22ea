"""Retrieval quality on the evaluation files of ../shared/eval/: tanya's retrieval against plain BM25 and plain dense.

    .venv/bin/python -m benchmarks.retrieval [--eval-dir ../shared/eval] [--index-cache DIR]

Per file, the corpus is every passage of the file (for TyDi QA valid: and of TyDi QA train),
indexed once; its scored questions are the test split where there is one, else all
(benchmarks/corpora.py). The training files are not scored. Three systems rank the corpus in
the same run:
- plain BM25: bm25s over lower-cased word tokens, no stemming;
- plain dense: multilingual-e5-small passage vectors, exact inner product;
- tanya: the product's retrieval (`KnowledgeBase.ask`, as `tanya eval`, `tanya ask` and the bot use it),
  with the reader unless `--no-reader`.
Prints a Markdown table of Recall@1, Recall@5 and MRR@10 and, for tanya: the sentence hit rate
(where the right passage is first, its chosen sentence holds the answer) and, at the default
TANYA_MIN_CONFIDENCE, the share of the file's questions answered "not sure" (wrongly) and of
up to 1000 negatives (questions of the other files about other articles) answered "not sure".
"""

from __future__ import annotations

import argparse
import re

import bm25s
import numpy as np

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files, negatives
from benchmarks.machine import describe
from config import load_settings
from embeddings.defaults import MIN_CONFIDENCE
from embeddings.evaluation import score_rankings
from embeddings.knowledge import KnowledgeBase
from embeddings.search.retrieval import CANDIDATES

_WORD = re.compile(r"\w+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--no-reader", action="store_true", help="tanya without the reader (TANYA_READER=false)")
    args = parser.parse_args()

    setup = load_settings().knowledge_setup()
    encoder = setup.load_encoder()
    reader = None if args.no_reader else setup.load_reader()
    files = load_eval_files(args.eval_dir)
    print(
        f"model: {encoder.name}; {describe()}; default min_confidence {MIN_CONFIDENCE}; "
        f"reader {'off' if reader is None else 'on'}"
    )
    print()
    print(
        "| file | questions | passages | system | Recall@1 | Recall@5 | MRR@10 | sentence hit "
        "| answerable 'not sure' | unanswerable 'not sure' |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for file in files:
        eval_set = file.scored
        questions = [question for question, _ in eval_set.queries]
        index = file_index(file, encoder, args.index_cache)
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

        knowledge = KnowledgeBase(encoder, index, reader=reader)  # the default min_confidence
        answers = knowledge.ask_many(questions, k=CANDIDATES)
        tanya = [[hit.passage.document for hit in answer.hits] for answer in answers]
        sentence_hits = []
        for (question, gold), answer in zip(eval_set.queries, answers, strict=True):
            spans = eval_set.answers.get(question)
            if spans and answer.hits and answer.hits[0].passage.document in gold and answer.sentence:
                start, end = answer.sentence
                sentence_hits.append(any(span in answer.hits[0].passage.text[start:end] for span in spans))
        answerable = np.mean([not answer.sure for answer in answers])
        unanswerable = np.mean([not answer.sure for answer in knowledge.ask_many(negatives(file, files), 1)])
        extra = {"tanya": f"{np.mean(sentence_hits):.3f} | {answerable:.3f} | {unanswerable:.3f}"}

        for system, rankings in (("plain BM25", plain_bm25), ("plain dense", plain_dense), ("tanya", tanya)):
            result = score_rankings(eval_set, rankings)
            print(
                f"| {file.name} ({file.label}) | {result.queries} | {result.passages} | {system} | "
                f"{result.recall_at_1:.3f} | {result.recall_at_5:.3f} | {result.mrr_at_10:.3f} | "
                f"{extra.get(system, '— | — | —')} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
