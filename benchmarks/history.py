"""What keeping the history costs a question: round trips with every question stored against daily counts only.

    .venv/bin/python -m benchmarks.history [--questions 500] [--runs 2] [--eval-dir ../shared/eval]

Runs the real `tanya serve` (polling) against the tests' Bot API stand-in, answering from the
bundled sample, with TANYA_HISTORY_DAYS=90 (each question stored: text, answer, confidence, time,
vector) and TANYA_HISTORY_DAYS=0 (daily counts only), alternating, ``--runs`` times each. Each run
asks ``--questions`` FacQA test and XQuAD questions one at a time (users taking turns, no per-user
limit). Prints the round trip p50 / p99 per setting (median of the runs), and the database's size
and rows after a 90-day run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bot_roundtrip import round_trips
from benchmarks.corpora import EVAL_DIR
from benchmarks.machine import describe
from benchmarks.speed import percentile
from bot.state.database import HISTORY_FILE
from config import load_settings
from embeddings.evaluation import read_eval_file
from tests.botapi import BotApiStandIn


def run(days: int, questions: list[str], model_cache: Path) -> tuple[list[float], int, int]:
    """Round trips (ms) of ``questions`` through a fresh `tanya serve` keeping ``days`` of history;
    with the database's size in bytes and its stored questions afterwards."""
    standin = BotApiStandIn().start()
    with tempfile.TemporaryDirectory() as data_dir:
        os.symlink(model_cache, Path(data_dir) / "models")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
        env.update(
            TANYA_BOT_TOKEN=standin.token,
            TANYA_BASE_URL=standin.base_url,
            TANYA_DATA_DIR=data_dir,
            TANYA_QUESTIONS_PER_MINUTE="0",
            TANYA_HISTORY_DAYS=str(days),
        )
        subprocess.run([sys.executable, "-m", "bot", "index"], env=env, check=True, capture_output=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            round_trips(standin, [[(1, questions[0])]])  # started and warm
            timings = round_trips(standin, [[(10 + n % 10, question)] for n, question in enumerate(questions)])
        finally:
            process.send_signal(signal.SIGTERM)  # the history is flushed on the way out
            process.wait(timeout=60)
            standin.stop()
        database = Path(data_dir) / HISTORY_FILE
        size = sum(path.stat().st_size for path in database.parent.glob(f"{HISTORY_FILE}*"))
        with sqlite3.connect(database) as connection:
            stored = connection.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    return timings, size, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    questions = [q for q, _ in read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries]
    questions += [q for q, _ in read_eval_file(args.eval_dir / "xquad_en_dev.jsonl").queries]
    questions = (questions * (1 + args.questions // len(questions)))[: args.questions]
    model_cache = load_settings().model_cache_dir
    results: dict[int, list[tuple[float, float]]] = {0: [], 90: []}
    stored = size = 0
    for _ in range(args.runs):
        for days in (0, 90):
            timings, run_size, run_stored = run(days, questions, model_cache)
            results[days].append((percentile(timings, 50), percentile(timings, 99)))
            if days:
                size, stored = run_size, run_stored

    print(
        f"{describe()}; "
        f"`tanya serve` against the local Bot API stand-in, {args.questions} questions one at a time, "
        f"{args.runs} runs each (median)"
    )
    print()
    print("| TANYA_HISTORY_DAYS | stored | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for days, label in ((0, "daily counts only"), (90, "every question")):
        p50 = statistics.median(p for p, _ in results[days])
        p99 = statistics.median(p for _, p in results[days])
        print(f"| {days} | {label} | {p50:.1f} | {p99:.1f} |")
    print()
    print(f"After a 90-day run: {stored} questions stored, database {size / 1024:.0f} KiB with its WAL.")


if __name__ == "__main__":
    main()
