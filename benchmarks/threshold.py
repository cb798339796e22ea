"""How the bot's "not sure" threshold (TANYA_MIN_CONFIDENCE) splits questions on the bundled sample.

    .venv/bin/python benchmarks/threshold.py [--eval-dir ../shared/eval] [--negatives 100]

Answerable: the sample article's test questions (tests/test_answers.py, Indonesian and English).
Off-topic: the 32 questions of tests/test_answers.py that it does not answer (Indonesian and
English, written for the sample). Unanswerable: questions from each evaluation file of
../shared/eval/ (100 each, fixed shuffle), asked against the sample article. For each
threshold, the share of each group the bot would answer with "not sure".
(benchmarks/confidence.py fits the confidence and chooses the default on training and
validation data.)
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpora import TRAINING_FILES  # noqa: E402
from config import load_settings  # noqa: E402
from embeddings.evaluation import read_eval_file  # noqa: E402
from embeddings.knowledge import KnowledgeBase  # noqa: E402
from tests.test_answers import QUESTIONS, UNANSWERABLE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--negatives", type=int, default=100, help="questions taken from each eval file")
    args = parser.parse_args()

    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = KnowledgeBase.open(dataclasses.replace(settings.knowledge_setup(), index_dir=Path(tmp)))
        answerable = np.array([knowledge.ask(question, 1).confidence for question, _, _ in QUESTIONS])
        off_topic = np.array([answer.confidence for answer in knowledge.ask_many(UNANSWERABLE, 1)])
        unanswerable = []
        for path in sorted(p for p in args.eval_dir.glob("*.jsonl") if p.name not in TRAINING_FILES):
            questions = [question for question, _ in read_eval_file(path).queries]
            random.Random(0).shuffle(questions)
            unanswerable += [answer.confidence for answer in knowledge.ask_many(questions[: args.negatives], 1)]
    unanswerable = np.array(unanswerable)

    print(f"answerable: {len(answerable)} questions about {settings.docs_dir.name}/; "
          f"unanswerable: {len(unanswerable)} questions from {args.eval_dir}")
    print()
    print(f"answerable confidence: lowest {answerable.min():.3f}, median {np.median(answerable):.3f}")
    print()
    print("| min_confidence | answerable said 'not sure' | off-topic said 'not sure' | unanswerable said 'not sure' |")
    print("|---|---|---|---|")
    for threshold in sorted({0.05, 0.08, 0.11, 0.15, 0.2, 0.3, settings.min_confidence}):
        print(f"| {threshold:.2f} | {(answerable < threshold).mean():.0%} | {(off_topic < threshold).mean():.0%} "
              f"| {(unanswerable < threshold).mean():.0%} |")


if __name__ == "__main__":
    main()
