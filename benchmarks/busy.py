"""Questions during a reindex: how long they wait, how long the reindex takes, and its peak memory.

    .venv/bin/python -m benchmarks.busy [--paragraphs 1200] [--eval-dir ../shared/eval]

The documents folder is the bundled sample plus one document of ``--paragraphs`` Indonesian
Wikipedia paragraphs (TyDi QA train contexts, in file order). The knowledge base is opened on the
sample alone; then the document is added and a reindex runs through ``start_reindex`` (as
``/reindex`` does) while another thread asks the sample's questions one after another, as the
bot's worker threads would. Printed: the reindex's time and texts embedded, the questions
answered during it with their p50 / p99 / max time, the same questions' times with no reindex
running, and the process's peak RSS. Before that, `tanya index` builds the same folder's index
from nothing in a process of its own: its wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.corpora import EVAL_DIR, wikipedia_paragraphs
from benchmarks.machine import describe
from benchmarks.samples import QUESTIONS
from bot.process import limit_malloc_arenas
from config import SAMPLE_DOCS_DIR, load_settings
from embeddings.knowledge import KnowledgeBase


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _tanya_index(sample: Path, text: str, model_cache: Path, folder: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of `tanya index` building, in a process of its own, the index of
    the sample plus ``text``, the model taken from ``model_cache``."""
    docs, data = folder / "docs", folder / "data"
    shutil.copytree(sample, docs)
    (docs / "wikipedia.txt").write_text(text + "\n", encoding="utf-8")
    data.mkdir()
    (data / "models").symlink_to(model_cache)
    environment = {**os.environ, "TANYA_DOCS_DIR": str(docs), "TANYA_DATA_DIR": str(data)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "index"],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=1200)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--malloc-arenas", type=int, default=2, help="glibc malloc arenas (0: glibc's default)")
    args = parser.parse_args()
    if args.malloc_arenas:  # as `tanya` does at start (bot/process.py)
        limit_malloc_arenas(args.malloc_arenas)

    paragraphs = wikipedia_paragraphs(args.eval_dir, args.paragraphs)
    questions = [question for question, _, _ in QUESTIONS]
    text = "\n\n".join(paragraphs)
    mean_chars = statistics.mean(len(c) for c in paragraphs)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        shutil.copytree(SAMPLE_DOCS_DIR, docs)
        settings = load_settings()
        index_seconds, index_peak = _tanya_index(docs, text, settings.model_cache_dir, Path(tmp) / "cli")
        setup = dataclasses.replace(settings.knowledge_setup(), docs_dir=docs, index_dir=Path(tmp) / "index")
        knowledge = KnowledgeBase.open(setup)
        idle = []
        for question in questions * 3:
            started = time.perf_counter()
            knowledge.ask(question)
            idle.append(time.perf_counter() - started)
        (docs / "wikipedia.txt").write_text(text + "\n", encoding="utf-8")

        busy: list[float] = []
        job = knowledge.start_reindex()
        running = threading.Event()
        running.set()

        def ask_meanwhile() -> None:
            number = 0
            while running.is_set():
                started = time.perf_counter()
                knowledge.ask(questions[number % len(questions)])
                if running.is_set():  # answered while the reindex still ran
                    busy.append(time.perf_counter() - started)
                number += 1
                time.sleep(0.2)

        asker = threading.Thread(target=ask_meanwhile)
        started = time.perf_counter()
        asker.start()
        result = job()
        reindex_seconds = time.perf_counter() - started
        running.clear()
        asker.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{describe()}; sample + {len(paragraphs)} TyDi QA train paragraphs ({mean_chars:.0f} characters on average)")
    print()
    print("| `tanya index` from nothing (s) | its peak RSS (MiB) |")
    print("|---|---|")
    print(f"| {index_seconds:.1f} | {index_peak:.0f} |")
    print()
    print(
        "| reindex (s) | passages after | questions during it | p50 (ms) | p99 (ms) | max (ms) "
        "| p50 with no reindex (ms) | peak RSS (MiB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {reindex_seconds:.1f} | {result.after.passages} | {len(busy)} | {_percentile(busy, 50) * 1000:.0f} | "
        f"{_percentile(busy, 99) * 1000:.0f} | {max(busy) * 1000:.0f} | {_percentile(idle, 50) * 1000:.0f} | {peak:.0f} |"
    )


if __name__ == "__main__":
    main()
