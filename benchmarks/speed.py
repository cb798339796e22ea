"""Speed and memory of the core: one question, indexing, model load, cold start, peak RAM.

    .venv/bin/python -m benchmarks.speed [--eval-dir ../shared/eval] [--index-cache DIR] [--questions 200]

For each backend (TANYA_BACKEND: onnx-int8, onnx, torch), in the same run: questions are asked
through the product's whole retrieval (encode, dense and BM25 candidates, sentence scores,
ranking), one at a time after a warm-up: the FacQA test questions against the bundled sample
article, and questions of all four evaluation files against a 10,000-passage corpus of their
texts (``benchmarks.corpora.combined_index``; ``--index-cache`` keeps its vectors, one folder
per backend). Indexing throughput is
measured on FacQA's news paragraphs through the product's indexing (passages, their sentences,
BM25). Cold start is a fresh `tanya ask` process, index already
built, from launch to printed answer; its peak RSS is the serving memory figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import add_corpus_arguments, combined_index, load_eval_files
from benchmarks.machine import describe
from embeddings.defaults import BACKENDS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def latencies_ms(knowledge, questions: list[str]) -> list[float]:
    """Milliseconds of each question asked alone, after 20 warm-up questions."""
    for question in questions[:20]:
        knowledge.ask(question)
    latencies = []
    for question in questions:
        started = time.perf_counter()
        knowledge.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# Peak RSS is read by a small launcher process: a child forked straight from this (large)
# benchmark process would count this process's pages, shared until exec, as its own.
_LAUNCHER = (
    "import resource, subprocess, sys, time; started = time.perf_counter(); "
    "status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(status)"
)


def run_measured(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """Seconds a process takes and its peak RSS in MiB (run in ``cwd``: ``python -m`` imports from there first)."""
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], env=env, capture_output=True, text=True, cwd=cwd
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed: {result.stderr}")
    seconds, peak_kib = result.stdout.split()[-2:]
    return float(seconds), int(peak_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--large", type=int, default=10_000, help="passages of the large corpus")
    parser.add_argument("--passages", type=int, default=400, help="passages to index for throughput")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma-separated, of {', '.join(BACKENDS)} (default: all)"
    )
    args = parser.parse_args()

    from config import load_settings
    from embeddings.evaluation import EvalSet, eval_documents, read_eval_file
    from embeddings.knowledge import KnowledgeBase

    settings = load_settings()
    facqa = read_eval_file(args.eval_dir / "facqa_id_news.jsonl")
    test_questions = [q for q, _ in read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries]
    questions = (test_questions * (args.questions // len(test_questions) + 1))[: args.questions]
    files = load_eval_files(args.eval_dir)
    mixed_questions = sorted(question for file in files for question, _ in file.scored.queries)
    random.Random(0).shuffle(mixed_questions)
    mixed_questions = mixed_questions[: args.questions]
    subset = EvalSet(dict(list(facqa.contexts.items())[: args.passages]), [])
    texts = list(subset.contexts.values())
    rows = []
    for backend in args.backends.split(","):
        setup = dataclasses.replace(settings.knowledge_setup(), backend=backend)
        setup.load_encoder()  # make sure conversion and export are cached
        started = time.perf_counter()
        encoder = setup.load_encoder()
        load_seconds = time.perf_counter() - started

        with tempfile.TemporaryDirectory() as tmp:
            sample = KnowledgeBase.open(dataclasses.replace(setup, index_dir=Path(tmp)), encoder)
            latencies = latencies_ms(sample, questions)
        cache = args.index_cache / backend if args.index_cache else None
        large = combined_index(files, encoder, cache, args.large)
        large_latencies = latencies_ms(KnowledgeBase(encoder, large), mixed_questions)

        encoder.encode_documents(texts[:32])
        started = time.perf_counter()
        KnowledgeBase.in_memory(eval_documents(subset), encoder)  # passages, their sentences, BM25
        passages_per_second = len(texts) / (time.perf_counter() - started)

        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
            env.update(TANYA_DATA_DIR=tmp, TANYA_DOCS_DIR=str(settings.docs_dir), TANYA_BACKEND=backend)
            os.symlink(settings.model_cache_dir, Path(tmp) / "models")
            tanya = [sys.executable, "-m", "bot"]
            run_measured([*tanya, "index"], env)
            colds = [run_measured([*tanya, "ask", "Apa fokus kerja sama ekonomi?"], env) for _ in range(3)]
        rows.append(
            (
                backend,
                percentile(latencies, 50),
                percentile(latencies, 99),
                len(large.passages),
                percentile(large_latencies, 50),
                percentile(large_latencies, 99),
                passages_per_second,
                load_seconds,
                statistics.median(seconds for seconds, _ in colds),
                max(peak for _, peak in colds),
            )
        )
        del encoder, large

    mean_chars = statistics.mean(len(t) for t in texts)
    print(
        f"{describe()}, "
        f"model {settings.model}; {len(questions)} questions timed one at a time on the sample after a warm-up; "
        f"indexing: {len(texts)} FacQA paragraphs of {mean_chars:.0f} characters (passages, sentences, BM25)"
    )
    print()
    print(
        "| backend | question p50, sample (ms) | p99, sample (ms) | large corpus (passages) | question p50, large (ms) "
        "| p99, large (ms) | indexing (passages/s) | model load (s) | cold start `tanya ask`, median of 3 (s) "
        "| peak RSS of `tanya ask` (MiB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend, p50, p99, large, large_p50, large_p99, throughput, load, cold, peak in rows:
        print(
            f"| {backend} | {p50:.1f} | {p99:.1f} | {large:,} | {large_p50:.1f} | {large_p99:.1f} | {throughput:.1f} "
            f"| {load:.2f} | {cold:.2f} | {peak:.0f} |"
        )


if __name__ == "__main__":
    main()
