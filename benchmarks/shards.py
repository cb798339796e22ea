"""Sharded indexing: the 1,200-paragraph folder indexed whole, as 1 shard, and as 2 shard processes at once.

    .venv/bin/python -m benchmarks.shards [--paragraphs 1200] [--eval-dir ../shared/eval]

The folder is the bundled sample plus ``--paragraphs`` Indonesian Wikipedia paragraphs (TyDi QA
train contexts, in file order), split into 8 documents so that shards have documents to share.
Each run starts from an empty data folder (nothing published, so every text is embedded) and
runs the real ``tanya index`` processes. Prints each run's wall time, the texts embedded per
second, per core, and the projection for N machines: the slowest shard's embedding plus the one
publishing step (which builds the FAISS and BM25 indexes from the shards' vectors, embedding nothing).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import wikipedia_paragraphs
from benchmarks.machine import describe
from config import SAMPLE_DOCS_DIR, load_settings

REPO = Path(__file__).resolve().parent.parent

DOCUMENTS = 8


def _run(commands: list[list[str]], env: dict[str, str]) -> tuple[float, list[str]]:
    """Run ``commands`` at once; wall seconds and their outputs."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command in commands
    ]
    outputs = [process.communicate()[0] for process in processes]
    if any(process.returncode for process in processes):
        raise RuntimeError("\n".join(outputs))
    return time.perf_counter() - started, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=1200)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    args = parser.parse_args()
    paragraphs = wikipedia_paragraphs(args.eval_dir, args.paragraphs)
    settings = load_settings()
    tanya = [sys.executable, "-m", "bot", "index"]
    runs = [
        ("whole (`tanya index`)", [tanya]),
        ("1 shard (`--shard 1/1`)", [[*tanya, "--shard", "1/1"]]),
        ("2 shard processes at once", [[*tanya, "--shard", "1/2"], [*tanya, "--shard", "2/2"]]),
    ]
    rows = []
    for label, commands in runs:
        with tempfile.TemporaryDirectory() as tmp:
            docs, data = Path(tmp) / "docs", Path(tmp) / "data"
            shutil.copytree(SAMPLE_DOCS_DIR, docs)
            for number in range(DOCUMENTS):
                part = paragraphs[number::DOCUMENTS]
                (docs / f"wikipedia-{number + 1}.txt").write_text("\n\n".join(part) + "\n", encoding="utf-8")
            data.mkdir()
            os.symlink(settings.model_cache_dir, data / "models")
            env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
            env.update(TANYA_DATA_DIR=str(data), TANYA_DOCS_DIR=str(docs))
            seconds, outputs = _run(commands, env)
            text = "\n".join(outputs)
            embedded = [int(n) for n in re.findall(r"(\d+) new texts embedded", text)]
            shard_seconds = [float(s) for s in re.findall(r"new texts embedded in ([\d.]+) s", text)]
            rows.append((label, seconds, sum(embedded), shard_seconds, text))
    print(
        f"{describe()}; "
        f"the sample + {len(paragraphs)} TyDi QA train paragraphs in {DOCUMENTS} documents; model {settings.model}"
    )
    print()
    print("| run | wall s | texts embedded | texts/s | texts/s per core | each shard's embedding s |")
    print("|---|---|---|---|---|---|")
    cores = os.cpu_count() or 1
    for label, seconds, embedded, shard_seconds, _ in rows:
        shards = ", ".join(f"{s:.1f}" for s in shard_seconds) or "—"
        print(
            f"| {label} | {seconds:.1f} | {embedded} | {embedded / seconds:.0f} | {embedded / seconds / cores:.0f} "
            f"| {shards} |"
        )
    one_shard = rows[1]
    embed = one_shard[3][0]
    publish = one_shard[1] - embed
    print()
    print(
        f"Projection (from the 1-shard run: {embed:.1f} s embedding, {publish:.1f} s the rest: start-up, reading, "
        "publishing): N machines of this kind, one shard each, take about embedding / N + the rest:"
    )
    for machines in (1, 2, 4, 8, 16):
        print(f"  {machines:>2} machines: {embed / machines + publish:.1f} s")


if __name__ == "__main__":
    main()
