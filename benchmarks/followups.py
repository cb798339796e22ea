"""Follow-up questions (issue 41): a reply to one of the bot's answers, asked with the earlier question
as context, on the follow-up set of ``benchmarks/data/followups/`` (elliptical follow-ups such as
"and for foreigners?", in Indonesian, English and Malay, over the help-desk set's documents).

    .venv/bin/python -m benchmarks.followups             # the held-out half: the figures that count
    .venv/bin/python -m benchmarks.followups --half fit  # the half the rule is chosen on

Each organisation's documents are indexed on their own, in memory, as ``benchmarks.helpdesk`` does.
Every follow-up is asked alone (as the bot did before), with the earlier question before it, and
as ``KnowledgeBase.ask_followup`` asks it (the product's rule); it is right when the first passage
holds its ``answer`` span. Also printed for the fit half: the other rules weighed.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from benchmarks.helpdesk import DATA as HELPDESK
from benchmarks.helpdesk import FIT, HELD_OUT, normal
from benchmarks.machine import describe
from config import load_settings
from embeddings.documents.folder import read_documents
from embeddings.documents.ocr import Ocr
from embeddings.knowledge import KnowledgeBase, joined_question

FOLLOWUPS = HELPDESK.parent / "followups" / "followups.jsonl"


def right(answer, span: str) -> bool:
    return bool(answer.hits) and normal(span) in normal(answer.hits[0].passage.text)


def ask_organisation(org: str, items: list[dict], knowledge: KnowledgeBase) -> list[dict]:
    alone = knowledge.ask_many([item["followup"] for item in items])
    joined = knowledge.ask_many([joined_question(item["first"], item["followup"]) for item in items])
    chosen = [knowledge.ask_followup(item["first"], item["followup"]) for item in items]
    return [
        {
            "lang": item["lang"],
            "words": len(item["followup"].split()),
            "alone": right(a, item["answer"]),
            "joined": right(j, item["answer"]),
            "product": right(c, item["answer"]),
            "alone_confidence": a.confidence,
            "joined_confidence": j.confidence,
            "alone_sure": a.sure,
            "joined_sure": j.sure,
        }
        for item, a, j, c in zip(items, alone, joined, chosen, strict=True)
    ]


def independent(org: str) -> list[dict]:
    """Replies that are questions of their own: each answerable question of the help-desk set, as a reply
    to the answer of the one before it that another document answers (it must not be bent towards it)."""
    questions = [
        json.loads(line) for line in (HELPDESK / org / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    answerable = [q for q in questions if q["kind"] == "answerable" and q["answer"]]
    items = []
    for n, question in enumerate(answerable):  # the next question of another document, in the file's order
        turn = answerable[n + 1 :] + answerable[:n]
        before = next((q for q in turn if q["document"] != question["document"]), None)
        if before is not None:
            items.append(
                {
                    "lang": question["lang"],
                    "first": before["question"],
                    "followup": question["question"],
                    "answer": question["answer"],
                }
            )
    return items


RULES = {
    "alone (before)": lambda r: r["alone"],
    "joined always": lambda r: r["joined"],
    "higher confidence": lambda r: r["joined"] if r["joined_confidence"] >= r["alone_confidence"] else r["alone"],
    "alone only when sure and joined not": lambda r: (
        r["alone"] if r["alone_sure"] and not r["joined_sure"] else r["joined"]
    ),
    "alone when sure": lambda r: r["alone"] if r["alone_sure"] else r["joined"],
    **{
        f"short (≤ {most} words): higher confidence; else alone": (
            lambda r, most=most: (
                (r["joined"] if r["joined_confidence"] >= r["alone_confidence"] else r["alone"])
                if r["words"] <= most
                else r["alone"]
            )
        )
        for most in (4, 5, 6, 7, 8)
    },
    **{
        f"joined when its confidence is {margin:+.1f} over alone's": (
            lambda r, margin=margin: (
                r["joined"] if r["joined_confidence"] >= r["alone_confidence"] + margin else r["alone"]
            )
        )
        for margin in (-0.2, -0.1, 0.1, 0.2)
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=("held-out", "fit"), default="held-out")
    args = parser.parse_args()
    orgs = HELD_OUT if args.half == "held-out" else FIT
    settings = load_settings()
    setup = settings.knowledge_setup()
    encoder, reader = setup.load_encoder(), setup.load_reader()
    items = [json.loads(line) for line in FOLLOWUPS.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(describe())
    records, others, started = [], [], time.perf_counter()
    for org in orgs:
        documents = read_documents(HELPDESK / org / "docs", ocr=Ocr())
        knowledge = KnowledgeBase.in_memory(documents, encoder, settings.min_confidence, reader=reader)
        records += ask_organisation(org, [item for item in items if item["org"] == org], knowledge)
        others += ask_organisation(org, independent(org), knowledge)
    print(f"{args.half} half: {len(records)} follow-ups of {', '.join(orgs)} ({time.perf_counter() - started:.0f} s)")
    print(f"and {len(others)} replies that are questions of their own (the help-desk set's answerable ones):")
    by_language = defaultdict(list)
    for record in records:
        by_language[record["lang"]].append(record)
    print("| right first passage | " + " | ".join(sorted(by_language)) + " | all follow-ups | replies of their own |")
    print("|---" * (len(by_language) + 3) + "|")
    for name, rule in {**RULES, "ask_followup (the product)": lambda r: r["product"]}.items():
        cells = [f"{sum(map(rule, by_language[lang])) / len(by_language[lang]):.3f}" for lang in sorted(by_language)]
        own = sum(map(rule, others)) / len(others)
        print(f"| {name} | " + " | ".join(cells) + f" | {sum(map(rule, records)) / len(records):.3f} | {own:.3f} |")


if __name__ == "__main__":
    main()
