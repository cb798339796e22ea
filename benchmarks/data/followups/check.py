"""Check the follow-up set and print its counts (issue 41, item 5).

    python3 benchmarks/data/followups/check.py

Every ``first_answer`` and ``answer`` must be a verbatim span (``span in text``, nothing normalised)
of its document's text: the file in ``docs/`` for .md/.txt/.html, ``source/<name>.md`` for
.docx/.pdf. Also checked: the fields, ids, halves, the documents exist, a follow-up is not one of
the help-desk questions, and the follow-up's answer differs from the first one. How many times each
span occurs in the organisation's documents is reported (once is wanted). Reads files only.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELPDESK = HERE.parent / "helpdesk"
FIELDS = [
    "id",
    "org",
    "half",
    "lang",
    "first",
    "first_document",
    "first_answer",
    "followup",
    "document",
    "answer",
    "note",
]
HALF = {
    "sinar-niaga": "fit",
    "universitas-harapan-bangsa": "fit",
    "klinik-medika-utama": "held_out",
    "dinas-dukcapil-kota-mekar": "held_out",
}


def text(org: str, name: str) -> str:
    docs = HELPDESK / org / "docs"
    if not (docs / name).is_file():
        raise FileNotFoundError(f"{org}/docs/{name}")
    path = HELPDESK / org / "source" / f"{name}.md" if name.endswith((".docx", ".pdf")) else docs / name
    return path.read_text(encoding="utf-8")


def main() -> int:
    records = [
        json.loads(line) for line in (HERE / "followups.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    problems: list[str] = []
    repeated: list[str] = []
    asked = {
        org: {
            json.loads(line)["question"].casefold().strip()
            for line in (HELPDESK / org / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
        for org in HALF
    }
    corpus = {org: [text(org, p.name) for p in sorted((HELPDESK / org / "docs").iterdir())] for org in HALF}
    ids = Counter(r.get("id") for r in records)
    for r in records:
        rid = r.get("id")
        if list(r) != FIELDS:
            problems.append(f"{rid}: fields {list(r)}")
            continue
        if ids[rid] > 1:
            problems.append(f"{rid}: id repeated")
        if r["org"] not in HALF or r["half"] != HALF[r["org"]] or not rid.startswith(r["org"] + "-f"):
            problems.append(f"{rid}: org/half/id")
            continue
        for doc_key, span_key in (("first_document", "first_answer"), ("document", "answer")):
            try:
                body = text(r["org"], r[doc_key])
            except FileNotFoundError as missing:
                problems.append(f"{rid}: no document {missing}")
                continue
            if not r[span_key] or r[span_key] not in body:
                problems.append(f"{rid}: {span_key} not verbatim in {r[doc_key]}: {r[span_key]!r}")
            times = sum(t.count(r[span_key]) for t in corpus[r["org"]])
            if times != 1:
                repeated.append(f"{rid}: {span_key} occurs {times} times in the organisation's documents")
        if r["answer"] in r["first_answer"] or r["first_answer"] in r["answer"]:
            problems.append(f"{rid}: answer overlaps first_answer")
        if r["followup"].casefold().strip() in asked[r["org"]]:
            problems.append(f"{rid}: follow-up copied from questions.jsonl")
        if r["note"] is not None:
            problems.append(f"{rid}: note is not null")

    languages = sorted(
        {r["lang"] for r in records}, key=lambda x: ("id", "en", "ms").index(x) if x in ("id", "en", "ms") else 9
    )
    print("| organisation | half | " + " | ".join(languages) + " | all | same document as the first |")
    print("|---|---|" + "---:|" * (len(languages) + 2))
    for org in HALF:
        rows = [r for r in records if r["org"] == org]
        same = sum(r["document"] == r["first_document"] for r in rows)
        print(
            f"| `{org}` | {HALF[org]} | "
            + " | ".join(str(sum(r["lang"] == lang for r in rows)) for lang in languages)
            + f" | {len(rows)} | {same} |"
        )
    same = sum(r["document"] == r["first_document"] for r in records)
    print(
        "| **all** | | "
        + " | ".join(str(sum(r["lang"] == lang for r in records)) for lang in languages)
        + f" | {len(records)} | {same} |"
    )
    for half in ("fit", "held_out"):
        print(f"{half}: {sum(r['half'] == half for r in records)}")
    for line in repeated:
        print("note:", line)
    for line in problems:
        print("PROBLEM:", line)
    print(f"{len(records)} records, {2 * len(records)} spans checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
