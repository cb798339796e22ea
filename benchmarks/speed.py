"""Speed and memory of the core: one question, indexing, model load, cold start, peak RAM.

    .venv/bin/python benchmarks/speed.py [--eval-dir ../shared/eval] [--questions 200]

Questions are the FacQA test questions, asked against the bundled sample article's index
through the product's whole retrieval (encode, dense and BM25 candidates, sentence scores,
ranking), one at a time after a warm-up. Indexing throughput is
measured on FacQA's news paragraphs through the product's indexing (passages, their sentences,
BM25). Cold start is a fresh `tanya ask` process, index already
built, from launch to printed answer; its peak RSS is the serving memory figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--passages", type=int, default=400, help="passages to index for throughput")
    args = parser.parse_args()

    started = time.perf_counter()
    import sentence_transformers  # noqa: F401  (timed: the heavy imports)
    import torch  # noqa: F401

    import_seconds = time.perf_counter() - started

    from config import load_settings
    from embeddings.encoder import load_encoder
    from embeddings.evaluation import EvalSet, eval_documents, read_eval_file
    from embeddings.retrieval import Retriever, index_documents, open_index

    settings = load_settings()
    load_encoder(settings.model, settings.model_cache_dir)  # make sure the conversion is cached
    started = time.perf_counter()
    encoder = load_encoder(settings.model, settings.model_cache_dir)
    load_seconds = time.perf_counter() - started

    facqa = read_eval_file(args.eval_dir / "facqa_id_news.jsonl")
    test_questions = [q for q, _ in read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries]
    questions = (test_questions * (args.questions // len(test_questions) + 1))[: args.questions]

    with tempfile.TemporaryDirectory() as tmp:
        retriever = Retriever(encoder, open_index(settings.docs_dir, Path(tmp) / "index", encoder))
        for question in questions[:20]:
            retriever.search(question)
        latencies = []
        for question in questions:
            started = time.perf_counter()
            retriever.search(question)
            latencies.append((time.perf_counter() - started) * 1000)

    subset = EvalSet(dict(list(facqa.contexts.items())[: args.passages]), [])
    texts = list(subset.contexts.values())
    encoder.encode_documents(texts[:32])
    started = time.perf_counter()
    index_documents(eval_documents(subset), encoder, "speed")  # passages, their sentences, BM25
    passages_per_second = len(texts) / (time.perf_counter() - started)
    mean_chars = statistics.mean(len(t) for t in texts)

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
        env.update(TANYA_DATA_DIR=tmp, TANYA_DOCS_DIR=str(settings.docs_dir))
        os.symlink(settings.model_cache_dir, Path(tmp) / "models")
        tanya = [sys.executable, "-m", "bot"]
        subprocess.run([*tanya, "index"], env=env, check=True, capture_output=True)
        colds = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([*tanya, "ask", "Apa fokus kerja sama ekonomi?"], env=env, check=True, capture_output=True)
            colds.append(time.perf_counter() - started)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"Python {platform.python_version()}, model {settings.model}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| one question, encode + search, p50 (ms) | {percentile(latencies, 50):.1f} |")
    print(f"| one question, encode + search, p90 (ms) | {percentile(latencies, 90):.1f} |")
    print(f"| questions timed | {len(latencies)} |")
    print(f"| indexing (passages/s, {len(texts)} news paragraphs of {mean_chars:.0f} chars) | {passages_per_second:.1f} |")
    print(f"| import torch + sentence-transformers (s) | {import_seconds:.2f} |")
    print(f"| model load (s) | {load_seconds:.2f} |")
    print(f"| cold start: `tanya ask` process to answer, median of 3 (s) | {statistics.median(colds):.2f} |")
    print(f"| peak RSS of `tanya ask` serving the sample (MiB) | {peak_mib:.0f} |")


if __name__ == "__main__":
    main()
