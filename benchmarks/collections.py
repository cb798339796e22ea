"""Collections (issue 42): searching only the passages of some collections, at scale.

    .venv/bin/python -m benchmarks.collections [--eval-dir ../shared/eval] [--index-cache DIR]
                                               [--passages 100000] [--collections 20] [--queries 500]

The scale benchmark's corpus (``benchmarks.scale``: the real passage and sentence vectors of the
evaluation corpora, replicated with noise up to ``--passages``), each passage put in one of
``--collections`` collections at random. Real questions, encoded as tanya encodes them, are searched
one at a time for the product's 50 candidates, as ``PassageIndex.search`` searches: unfiltered, among
one collection's passages, and among three collections' (a FAISS ID selector over the same index).
The three are timed in turn for each question (the order rotating), so that they share the machine's
state. Also: the cost of masking the BM25 scores of every passage, which a filtered question adds;
and recall@10 of the filtered search of each method against exact filtered search.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files
from benchmarks.machine import describe
from benchmarks.scale import percentile, replicate
from embeddings.search.index import search_vectors, vector_index
from embeddings.search.retrieval import CANDIDATES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--collections", type=int, default=20)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()

    from config import load_settings

    encoder = load_settings().knowledge_setup().load_encoder()
    parts, questions = [], []
    for file in load_eval_files(args.eval_dir):
        index = file_index(file, encoder, args.index_cache)
        parts += [index.passage_vectors(np.arange(len(index.passages))), np.asarray(index.sentence_vectors)]
        questions += [question for question, _ in file.scored.queries]
    base = np.unique(np.concatenate(parts).astype(np.float32), axis=0)
    random.Random(0).shuffle(questions)
    queries = encoder.encode_queries(questions[: args.queries])
    rng = np.random.default_rng(42)
    vectors = replicate(base, args.passages, rng)
    collection = rng.integers(0, args.collections, args.passages)
    selections = {"one collection": collection == 0, "three collections": np.isin(collection, [0, 1, 2])}
    lexical = rng.random(args.passages).astype(np.float32)

    print(
        f"{describe()}; {args.passages:,} passages in {args.collections} collections; {len(queries)} real "
        f"questions, one at a time, {CANDIDATES} candidates"
    )
    print()
    print("| search | filter | passages searched | p50 ms | p99 ms | p50 / unfiltered | recall@10 vs exact filtered |")
    print("|---|---|---|---|---|---|---|")
    exact_index = vector_index(vectors, "exact")
    truth = {name: search_vectors(exact_index, queries, 10, allowed)[1] for name, allowed in selections.items()}
    for method in ("exact", "hnsw"):
        index = exact_index if method == "exact" else vector_index(vectors, "hnsw")
        kinds = [("none", None), *selections.items()]
        times: dict[str, list[float]] = {name: [] for name, _ in kinds}
        found: dict[str, list[np.ndarray]] = {name: [] for name, _ in kinds}
        for number, query in enumerate(queries):
            for name, allowed in kinds[number % 3 :] + kinds[: number % 3]:
                started = time.perf_counter()
                _, ids = search_vectors(index, query[None, :], CANDIDATES, allowed)
                times[name].append((time.perf_counter() - started) * 1000)
                found[name].append(ids[0][:10])
        unfiltered = percentile(times["none"], 50)
        for name, allowed in kinds:
            recall = "—"
            if allowed is not None:
                pairs = zip(found[name], truth[name], strict=True)
                recall = f"{np.mean([len(set(f) & set(t)) / 10 for f, t in pairs]):.3f}"
            searched = args.passages if allowed is None else int(allowed.sum())
            p50 = percentile(times[name], 50)
            print(
                f"| {method} | {name} | {searched:,} | {p50:.2f} | {percentile(times[name], 99):.2f} "
                f"| {p50 / unfiltered:.2f}× | {recall} |"
            )
    masks = []
    for _ in range(200):
        started = time.perf_counter()
        np.where(selections["one collection"], lexical, 0.0).astype(lexical.dtype)
        masks.append((time.perf_counter() - started) * 1000)
    print()
    print(f"masking the BM25 scores of {args.passages:,} passages: p50 {percentile(masks, 50):.3f} ms a question")


if __name__ == "__main__":
    main()
