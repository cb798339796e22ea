"""Choosing the reader's reordering weight (``RANK_WEIGHT`` in embeddings/search/retrieval.py) on the
splits meant for choosing settings: FacQA's valid split (asked of all of FacQA's passages) and TyDi QA
valid (asked of its own and TyDi QA train's passages).

    .venv/bin/python -m benchmarks.rank_weight [--weights 2,4,8,12,16,24,32,48] [--index-cache DIR]

Prints Recall@1 per weight, and with no reordering at all ("none"). Test splits are never asked.
"""

from __future__ import annotations

import argparse

from benchmarks.corpora import EvalFile, add_corpus_arguments, file_index, load_eval_files
from benchmarks.machine import describe
from config import load_settings
from embeddings.evaluation import read_eval_file, score_rankings
from embeddings.knowledge import KnowledgeBase
from embeddings.search import retrieval

NEVER = 1e9  # a weight so large that the reader never moves a passage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--weights", default="2,4,8,12,16,24,32,48")
    args = parser.parse_args()
    setup = load_settings().knowledge_setup()
    encoder, reader = setup.load_encoder(), setup.load_reader()
    facqa = args.eval_dir / "facqa_id_news.jsonl"
    whole = read_eval_file(facqa)
    valid = read_eval_file(facqa, split="valid")
    [tydi] = [file for file in load_eval_files(args.eval_dir) if file.name == "tydiqa_id_valid"]
    sets = {"FacQA valid": EvalFile("facqa_valid", whole, valid, "valid", {}), "TyDi QA valid": tydi}
    weights = [float(weight) for weight in args.weights.split(",")] + [NEVER]
    print(f"{describe()}; reader on")
    print("| file | " + " | ".join("none" if w == NEVER else f"{w:g}" for w in weights) + " |")
    print("|---|" + "---|" * len(weights))
    for name, file in sets.items():
        index = file_index(file, encoder, args.index_cache)
        questions = [question for question, _ in file.scored.queries]
        recalls = []
        for weight in weights:
            retrieval.RANK_WEIGHT = weight
            answers = KnowledgeBase(encoder, index, reader=reader).ask_many(questions, k=10)
            rankings = [[hit.passage.document for hit in answer.hits] for answer in answers]
            recalls.append(score_rankings(file.scored, rankings).recall_at_1)
        print(f"| {name} ({len(questions)}) | " + " | ".join(f"{recall:.3f}" for recall in recalls) + " |", flush=True)


if __name__ == "__main__":
    main()
