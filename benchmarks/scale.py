"""Large corpora: exact and HNSW search of passage vectors, from ten thousand to a million passages.

    .venv/bin/python -m benchmarks.scale [--eval-dir ../shared/eval] [--index-cache DIR]
                                         [--sizes 10000,20000,50000,100000,1000000] [--queries 1000]

Vectors: the real passage and sentence vectors of the four evaluation corpora (the configured
backend), each replicated with Gaussian noise of norm 0.3 (cosine about 0.96 to its source) and
normalised, up to each size. Queries: real questions of those files, encoded as tanya encodes
questions, searched one at a time for the product's 50 candidates. Recall@10: share of the
exact top 10 among the approximate top 10. Every index is built, saved and loaded through
``embeddings.index`` as tanya does it; load (the file's checksum, then the memory-mapped read)
and search run in a fresh process, whose memory is read from /proc: private (anonymous) and
file pages mapped in. Files are warm in the page cache, as on a server that just wrote them.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files
from benchmarks.machine import describe
from embeddings.search.index import file_checksum, read_vector_index, search_vectors, vector_index
from embeddings.search.retrieval import CANDIDATES

NOISE = 0.3


def memory_mib() -> dict[str, float]:
    """This process's resident memory: private (anonymous) and file-backed (mapped files) pages."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile")}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(index_file: Path, queries_file: Path) -> None:
    """In a fresh process: load ``index_file`` as tanya does, search each query alone; print JSON."""
    queries = np.load(queries_file)
    before = memory_mib()
    started = time.perf_counter()
    file_checksum(index_file)
    index = read_vector_index(index_file)
    load_seconds = time.perf_counter() - started
    loaded = memory_mib()
    for query in queries[:20]:
        search_vectors(index, query[None, :], CANDIDATES)
    latencies, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = search_vectors(index, query[None, :], CANDIDATES)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append(ids[0][:10].tolist())
    after = memory_mib()
    print(
        json.dumps(
            {
                "load_seconds": load_seconds,
                "anon_loaded": loaded["RssAnon"] - before["RssAnon"],
                "file_after": after["RssFile"] - before["RssFile"],
                "anon_after": after["RssAnon"] - before["RssAnon"],
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
                "found": found,
            }
        )
    )


def replicate(base: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` unit vectors: random rows of ``base`` plus Gaussian noise of norm about ``NOISE``."""
    vectors = base[rng.integers(0, len(base), size)]
    vectors += rng.normal(0, NOISE / np.sqrt(base.shape[1]), vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        measure(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--sizes", default="10000,20000,50000,100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()

    import faiss

    from config import load_settings

    settings = load_settings()
    encoder = settings.knowledge_setup().load_encoder()
    files = load_eval_files(args.eval_dir)
    parts, questions, index_bytes, passages = [], [], 0, 0
    for file in files:
        index = file_index(file, encoder, args.index_cache)
        parts += [index.passage_vectors(np.arange(len(index.passages))), np.asarray(index.sentence_vectors)]
        questions += [question for question, _ in file.scored.queries]
        passages += len(index.passages)
        if args.index_cache is not None:
            folder = (args.index_cache / file.name / "current").resolve()
            index_bytes += sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    base = np.unique(np.concatenate(parts).astype(np.float32), axis=0)
    random.Random(0).shuffle(questions)
    queries = encoder.encode_queries(questions[: args.queries])
    del encoder

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        queries_file = Path(tmp) / "queries.npy"
        np.save(queries_file, queries)
        for size in (int(part) for part in args.sizes.split(",")):
            vectors = replicate(base, size, np.random.default_rng(size))
            truth = None
            for method in ("exact", "hnsw"):
                started = time.perf_counter()
                index = vector_index(vectors, method)
                build_seconds = time.perf_counter() - started
                if truth is None:
                    truth = index.search(queries, 10)[1]  # a batch: every core
                index_file = Path(tmp) / f"{method}-{size}.faiss"
                faiss.write_index(index, str(index_file))
                del index
                measured = json.loads(
                    subprocess.run(
                        [sys.executable, "-m", "benchmarks.scale", "--measure", str(index_file), str(queries_file)],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                )
                recall = np.mean(
                    [len(set(found) & set(exact)) / 10 for found, exact in zip(measured["found"], truth, strict=True)]
                )
                file_size = index_file.stat().st_size
                rows.append((size, method, build_seconds, file_size, measured, recall))
                index_file.unlink()
                print(f"measured {size} {method}", file=sys.stderr)

    print(
        f"{describe()}, "
        f"faiss {faiss.__version__}; {len(base)} distinct real vectors ({settings.backend}) replicated with noise; "
        f"{len(queries)} real questions searched one at a time for {CANDIDATES} candidates"
    )
    print()
    print(
        "| passages | search | build (s) | file (MiB) | bytes per passage | load (s) | search p50 (ms) "
        "| search p99 (ms) | recall@10 | private memory after load (MiB) | file pages mapped after the queries (MiB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, method, build_seconds, file_size, measured, recall in rows:
        print(
            f"| {size:,} | {method} | {build_seconds:.1f} | {file_size / 2**20:.0f} | {file_size / size:.0f} "
            f"| {measured['load_seconds']:.2f} | {measured['p50']:.2f} | {measured['p99']:.2f} | {recall:.3f} "
            f"| {measured['anon_loaded']:.0f} | {measured['file_after']:.0f} |"
        )
    if passages and index_bytes:
        print()
        print(
            f"A whole tanya index (passage and sentence vectors, passage text, BM25) of the evaluation corpora: "
            f"{index_bytes / passages:,.0f} bytes per passage ({passages:,} passages)."
        )


if __name__ == "__main__":
    main()
