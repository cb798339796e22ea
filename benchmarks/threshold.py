"""How the bot's "not sure" threshold (TANYA_MIN_CONFIDENCE) splits questions on the bundled sample, by language.

    .venv/bin/python -m benchmarks.threshold [--eval-dir ../shared/eval] [--negatives 100]

Answerable: the sample article's test questions (benchmarks/samples.py: SAMPLE, in Indonesian,
English, Malay, Chinese, German, French and Spanish). Off-topic: the questions of
benchmarks/samples.py that it does not answer (OFF_TOPIC, the same seven languages, written for
the sample). Unanswerable: questions from each evaluation file of ../shared/eval/ (100 each,
fixed shuffle), asked against the sample article. For each threshold, the share of each group
the bot would answer with "not sure". (benchmarks/confidence.py fits the confidence and chooses
the default on training and validation data.)
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.corpora import TRAINING_FILES
from benchmarks.samples import OFF_TOPIC, SAMPLE
from config import load_settings
from embeddings.evaluation import read_eval_file
from embeddings.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--negatives", type=int, default=100, help="questions taken from each eval file")
    args = parser.parse_args()

    settings = load_settings()

    def confidences(questions: list[str]) -> np.ndarray:
        return np.array([answer.confidence for answer in knowledge.ask_many(questions, 1)])

    with tempfile.TemporaryDirectory() as tmp:
        knowledge = KnowledgeBase.open(dataclasses.replace(settings.knowledge_setup(), index_dir=Path(tmp)))
        groups = {}
        for language in SAMPLE:
            groups[f"answerable, {language}"] = confidences([question for question, _, _ in SAMPLE[language]])
            groups[f"off-topic, {language}"] = confidences(OFF_TOPIC[language])
        unanswerable = []
        for path in sorted(p for p in args.eval_dir.glob("*.jsonl") if p.name not in TRAINING_FILES):
            questions = [question for question, _ in read_eval_file(path).queries]
            random.Random(0).shuffle(questions)
            unanswerable.append(confidences(questions[: args.negatives]))
        groups["unanswerable, from the evaluation files"] = np.concatenate(unanswerable)

    print(f"sample: {settings.docs_dir.name}/; default min_confidence {settings.min_confidence}")
    print()
    thresholds = sorted({0.1, 0.2, 0.3, settings.min_confidence, 0.4, 0.5})
    print("| questions said 'not sure' | lowest confidence | " + " | ".join(f"{t:.2f}" for t in thresholds) + " |")
    print("|---|---|" + "---|" * len(thresholds))
    for name, values in groups.items():
        print(
            f"| {name} ({len(values)}) | {values.min():.3f} | "
            + " | ".join(f"{(values < t).mean():.2f}" for t in thresholds)
            + " |"
        )


if __name__ == "__main__":
    main()
