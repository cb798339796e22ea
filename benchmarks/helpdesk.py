"""Does tanya know what an organisation's documents don't answer? The help-desk set of
``benchmarks/data/helpdesk/`` (four fictional organisations; issue 38), asked as the bot asks.

    .venv/bin/python -m benchmarks.helpdesk                 # the held-out half: the figures that count
    .venv/bin/python -m benchmarks.helpdesk --half fit      # the half settings are fitted on
    .venv/bin/python -m benchmarks.helpdesk --fit           # fit the reader's confidence model on the fit half
    .venv/bin/python -m benchmarks.helpdesk --no-reader     # without the reader (TANYA_READER=false)

Each organisation's documents are indexed on their own, in memory, through the product's front
door (``KnowledgeBase``, the documents read by the same readers as ``tanya index``), and every one
of its questions is asked with the settings' model and confidence threshold. For an answerable
question the first passage is right when it holds the question's ``answer`` (a short span of the
document), and the bold sentence is right when it holds it or lies inside it. The table gives, per
kind of question and per language: right passage, right sentence and "not sure" for answerable
ones, "not sure" for the unanswerable ones (near: a related passage exists; domain: a topic the
documents never mention; off-topic), and the share of all questions answered wrongly (a wrong
passage, or any passage for an unanswerable question) with confidence of at least 0.7 and no
"not sure".

The halves are by organisation (``FIT`` and ``HELD_OUT``); nothing is fitted or chosen on the held-out one.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.machine import describe
from config import load_settings
from embeddings.documents.folder import read_documents
from embeddings.documents.ocr import Ocr
from embeddings.knowledge import KnowledgeBase
from embeddings.search.confidence import reader_features

REPO = Path(__file__).resolve().parent.parent

DATA = REPO / "benchmarks" / "data" / "helpdesk"
FIT = ("sinar-niaga", "universitas-harapan-bangsa")
HELD_OUT = ("klinik-medika-utama", "dinas-dukcapil-kota-mekar")
KINDS = ("answerable", "near", "domain", "off-topic")
LANGUAGES = ("id", "en", "ms", "zh", "de", "fr", "es")
SURE_AND_WRONG = 0.7


def normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def ask_organisation(org: str, settings, encoder, reader) -> list[dict]:
    """Every question of ``org``, asked of its documents indexed alone: one record each."""
    questions = [
        json.loads(line)
        for line in (DATA / org / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    documents = read_documents(DATA / org / "docs", ocr=Ocr())
    if documents.problems:
        raise SystemExit(f"{org}: {documents.problems}")
    knowledge = KnowledgeBase.in_memory(documents, encoder, settings.min_confidence, reader=reader)
    answers = knowledge.ask_many([q["question"] for q in questions], k=5)
    records = []
    for question, answer in zip(questions, answers, strict=True):
        first = answer.hits[0].passage if answer.hits else None
        sentence = first.text[slice(*answer.sentence)] if first and answer.sentence else ""
        wanted = normal(question["answer"]) if question["answer"] else None
        right = bool(wanted and first and wanted in normal(first.text))
        ranks = [n for n, hit in enumerate(answer.hits, start=1) if wanted and wanted in normal(hit.passage.text)]
        records.append(
            {
                **question,
                "right_passage": right,
                "rank": ranks[0] if ranks else None,
                "right_sentence": bool(
                    right and sentence and (wanted in normal(sentence) or normal(sentence) in wanted)
                ),
                "sure": answer.sure,
                "confidence": answer.confidence,
                "features": list(reader_features(answer.evidence))
                if answer.evidence and answer.evidence.reading is not None
                else None,
                "got": f"{first.document} § {first.section}: {sentence[:100]}" if first else None,
            }
        )
    return records


def wrong_and_sure(record: dict) -> bool:
    wrong = record["kind"] != "answerable" or not record["right_passage"]
    return wrong and record["sure"] and record["confidence"] >= SURE_AND_WRONG


def table(records: list[dict]) -> list[str]:
    """The figures of the issue, per kind and language."""
    lines = [
        '| questions | n | right passage | right sentence | "not sure" | wrong, sure, ≥ 0.7 |',
        "|---|---|---|---|---|---|",
    ]

    def row(label: str, chosen: list[dict]) -> None:
        if not chosen:
            return
        answerable = [r for r in chosen if r["kind"] == "answerable"]
        share = lambda values: f"{np.mean(values):.3f}" if values else ""  # noqa: E731
        lines.append(
            f"| {label} | {len(chosen)} | {share([r['right_passage'] for r in answerable])} | "
            f"{share([r['right_sentence'] for r in answerable])} | {share([not r['sure'] for r in chosen])} | "
            f"{share([wrong_and_sure(r) for r in chosen])} |"
        )

    for kind in KINDS:
        row(kind, [r for r in records if r["kind"] == kind])
    row("**all**", records)
    for language in LANGUAGES:
        row(f"answerable, {language}", [r for r in records if r["kind"] == "answerable" and r["lang"] == language])
    for language in LANGUAGES:
        row(f"unanswerable, {language}", [r for r in records if r["kind"] != "answerable" and r["lang"] == language])
    return lines


def fit_confidence(records: list[dict]) -> tuple[np.ndarray, float]:
    """Logistic regression of "the first passage answers" on the reader's features (L2 0.01, Newton's method)."""
    rows = [r for r in records if r["features"] is not None]
    x = np.array([r["features"] for r in rows], dtype=np.float64)
    y = np.array([r["kind"] == "answerable" and r["right_passage"] for r in rows], dtype=np.float64)
    x = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x.shape[1])
    penalty = 0.01 * np.eye(x.shape[1])
    penalty[0, 0] = 0
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hessian, gradient)
    return w[1:], float(w[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=("held-out", "fit", "all"), default="held-out")
    parser.add_argument("--fit", action="store_true", help="fit the reader's confidence model on the fit half")
    parser.add_argument("--no-reader", action="store_true")
    parser.add_argument(
        "--reader-weights", type=Path, help="another reader.npz to try (python -m scripts.train_reader --out)"
    )
    parser.add_argument("--records", type=Path, help="write every question's record to this JSONL file")
    parser.add_argument("--rank-weights", help="comma-separated RANK_WEIGHTs to compare (right passage per weight)")
    args = parser.parse_args()
    settings = load_settings()
    setup = settings.knowledge_setup()
    encoder = setup.load_encoder()
    if args.reader_weights:
        import hashlib

        from embeddings.models import reader as reading

        reading.WEIGHTS_FILE = args.reader_weights
        reading.WEIGHTS_SHA256 = hashlib.sha256(args.reader_weights.read_bytes()).hexdigest()
    reader = None if args.no_reader else setup.load_reader()
    half = "fit" if args.fit else args.half
    orgs = {"held-out": HELD_OUT, "fit": FIT, "all": FIT + HELD_OUT}[half]
    print(
        f"{describe()}; {half} half ({', '.join(orgs)}); reader {'off' if reader is None else 'on'}; "
        f"min confidence {settings.min_confidence}"
    )
    if args.rank_weights:
        from embeddings.search import retrieval

        for weight in [float(w) for w in args.rank_weights.split(",")]:
            retrieval.RANK_WEIGHT = weight
            chosen = [r for org in orgs for r in ask_organisation(org, settings, encoder, reader)]
            answerable = [r for r in chosen if r["kind"] == "answerable"]
            print(
                f"RANK_WEIGHT {weight:g}: right passage {np.mean([r['right_passage'] for r in answerable]):.3f}, "
                f"right sentence {np.mean([r['right_sentence'] for r in answerable]):.3f}"
            )
        return
    started = time.perf_counter()
    records = [record for org in orgs for record in ask_organisation(org, settings, encoder, reader)]
    print(f"{len(records)} questions in {time.perf_counter() - started:.1f} s\n")
    print("\n".join(table(records)))
    if args.records:
        args.records.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    if args.fit:
        coefficients, intercept = fit_confidence(records)
        print(
            f"\nREADER_COEFFICIENTS = ({', '.join(f'{c:.4f}' for c in coefficients)})\nREADER_INTERCEPT = {intercept:.4f}"
        )
    misses = defaultdict(list)
    for record in records:
        if wrong_and_sure(record):
            misses[record["kind"]].append(
                f"  {record['id']} [{record['lang']}] {record['question']!r} → {record['got']!r} "
                f"({record['confidence']:.2f})"
            )
    for kind, lines in misses.items():
        print(f"\nwrong and sure, {kind}:")
        print("\n".join(lines[:15]))


if __name__ == "__main__":
    main()
