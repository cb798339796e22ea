"""A question's time with and without the reader, paired: the same 150 TyDi QA valid questions asked
alone of TyDi QA valid's 383 passages, reader on and off in turn (two rounds), as the bot asks (k=5).

    .venv/bin/python -m benchmarks.reader_speed [--eval-dir ../shared/eval] [--questions 150]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import describe
from config import load_settings
from embeddings.evaluation import eval_documents, read_eval_file
from embeddings.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--questions", type=int, default=150)
    args = parser.parse_args()
    setup = load_settings().knowledge_setup()
    encoder, reader = setup.load_encoder(), setup.load_reader()
    eval_set = read_eval_file(args.eval_dir / "tydiqa_id_valid.jsonl")
    questions = [question for question, _ in eval_set.queries][: args.questions]
    print(describe())
    for name, with_reader in (("reader on", reader), ("reader off", None)) * 2:
        knowledge = KnowledgeBase.in_memory(eval_documents(eval_set), encoder, reader=with_reader)
        knowledge.ask(questions[0])  # warm-up
        milliseconds = []
        for question in questions:
            started = time.perf_counter()
            knowledge.ask(question, k=5)
            milliseconds.append((time.perf_counter() - started) * 1000)
        print(f"{name}: p50 {np.percentile(milliseconds, 50):.1f} ms, p90 {np.percentile(milliseconds, 90):.1f} ms")


if __name__ == "__main__":
    main()
