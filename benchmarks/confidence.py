"""Fit the answer-confidence model (embeddings/confidence.py) and choose the default TANYA_MIN_CONFIDENCE.

    .venv/bin/python benchmarks/confidence.py [--eval-dir ../shared/eval] [--index-cache DIR]

For every file of ../shared/eval/, its own questions are answerable and its negatives (see
benchmarks/corpora.py) are not; each is asked through the product's retrieval, which reports
the evidence of its best passage. A logistic regression is fitted on the questions outside the
held-out parts, every (file, answerable or not) group weighing the same. The default threshold
is the highest that wrongly abstains on at most 5 % of any fitted file's answerable questions.
Prints the coefficients to paste into embeddings/confidence.py and, on the held-out parts,
the share abstained at that threshold and around it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files, negatives, question_info  # noqa: E402
from config import load_settings  # noqa: E402
from embeddings.confidence import Evidence  # noqa: E402
from embeddings.encoder import load_encoder  # noqa: E402
from embeddings.retrieval import Retriever  # noqa: E402

MAX_WRONGLY_ABSTAINED = 0.05
THRESHOLDS = np.round(np.arange(0.01, 0.51, 0.01), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    args = parser.parse_args()

    settings = load_settings()
    encoder = load_encoder(settings.model, settings.model_cache_dir, settings.backend)
    files = load_eval_files(args.eval_dir)
    # (file, answerable, held out, asked in the language of the file's own questions) → evidence
    groups: dict[tuple[str, bool, bool, bool], list[Evidence]] = {}
    for file in files:
        retriever = Retriever(encoder, file_index(file, encoder, args.index_cache))
        own = [question for question, _ in file.whole.queries]
        foreign = negatives(file, files, limit=None, same_language=False)
        for answerable, questions in ((True, own), (False, foreign)):
            for question, answer in zip(questions, retriever.ask_many(questions, k=1), strict=True):
                if answer.evidence is not None:
                    info = question_info(question, files)
                    key = (file.name, answerable, info.held_out, info.language in file.languages)
                    groups.setdefault(key, []).append(answer.evidence)
        print(f"{file.name}: asked {len(own)} answerable and {len(foreign)} unanswerable questions", flush=True)

    fitted: dict[tuple[str, bool], list[Evidence]] = {}
    for (name, answerable, is_held_out, _), evidence in groups.items():
        if not is_held_out:
            fitted.setdefault((name, answerable), []).extend(evidence)
    features = np.array([e.features() for evidence in fitted.values() for e in evidence])
    labels = np.concatenate([np.full(len(evidence), key[1]) for key, evidence in fitted.items()])
    weights = np.concatenate([np.full(len(evidence), len(features) / len(evidence)) for evidence in fitted.values()])
    model = LogisticRegression(C=100.0, max_iter=10_000).fit(features, labels, sample_weight=weights)

    def confidences(evidence: list[Evidence]) -> np.ndarray:
        if not evidence:
            return np.zeros(0)
        return model.predict_proba(np.array([e.features() for e in evidence]))[:, 1]

    answerable_fitted = [confidences(evidence) for (_, answerable), evidence in fitted.items() if answerable]
    default = max(float(t) for t in THRESHOLDS if all(np.mean(c < t) <= MAX_WRONGLY_ABSTAINED for c in answerable_fitted))
    print()
    print(f"COEFFICIENTS = ({', '.join(f'{w:.4f}' for w in model.coef_[0])})")
    print(f"INTERCEPT = {model.intercept_[0]:.4f}")
    print(f"default min_confidence: {default}")
    print()
    print("Held-out questions answered 'not sure': answerable (wrongly), unanswerable (rightly) asked in the")
    print("language of the file's own questions, and in another language; count in brackets.")
    for threshold in sorted({default - 0.03, default, default + 0.03, 0.2}):
        print()
        print(f"min_confidence {threshold:.2f}")
        print()
        print("| file | answerable | unanswerable, same language | unanswerable, other language |")
        print("|---|---|---|---|")
        for file in files:
            cells = []
            for answerable, same_language in ((True, True), (False, True), (False, False)):
                scores = confidences(groups.get((file.name, answerable, True, same_language), []))
                cells.append(f"{np.mean(scores < threshold):.3f} ({len(scores)})" if len(scores) else "—")
            print(f"| {file.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
