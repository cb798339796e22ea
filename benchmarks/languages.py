"""How well the question's language is named (embeddings/search/language.py): py3langid over all its
languages against the product's restricted and grouped set, on short questions and on passages.

    .venv/bin/python -m benchmarks.languages [--eval-dir ../shared/eval]

Questions: TyDi QA valid and FacQA valid (Indonesian), the translated train questions of
benchmarks/data/ (six languages) and the English questions of xling_en-q_id-passage_dev;
passages: TyDi QA valid's. A text counts as named right when its language group is the
expected one (Malay and Javanese count as Indonesian, as the product groups them).
Prints the share named right and the time per text.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from py3langid.langid import LanguageIdentifier

from benchmarks.confidence import TRANSLATIONS
from benchmarks.corpora import EVAL_DIR
from embeddings.search.language import GROUPS, LANGUAGES, language_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    args = parser.parse_args()

    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (args.eval_dir / name).open(encoding="utf-8")]

    sets: dict[str, tuple[str, list[str]]] = {
        "TyDi QA valid questions": ("id", [row["question"] for row in rows("tydiqa_id_valid.jsonl")]),
        "FacQA valid questions": ("id", [r["question"] for r in rows("facqa_id_news.jsonl") if r["split"] == "valid"]),
        "xling questions": ("en", [row["question"] for row in rows("xling_en-q_id-passage_dev.jsonl")]),
    }
    translated = [json.loads(line) for path in TRANSLATIONS for line in path.open(encoding="utf-8")]
    for language in ("en", "ms", "zh", "de", "fr", "es"):
        questions = [row["question"] for row in translated if row.get("lang", "en") == language]
        sets[f"translated train questions ({language})"] = (GROUPS.get(language, language), questions)
    sets["TyDi QA valid passages"] = ("id", sorted({row["context"] for row in rows("tydiqa_id_valid.jsonl")}))

    every = LanguageIdentifier.from_model_file("data/model.npz.xz")

    def among_all(text: str) -> str:
        language = every.classify(text)[0]
        return GROUPS.get(language, language)

    systems = {
        f"py3langid, all {len(every.labels)} languages": among_all,
        f"tanya: {len(LANGUAGES)} languages, grouped": language_of.__wrapped__,  # uncached, to time it
    }
    language_of("warm up")  # loads the model
    print("| texts | expected | " + " | ".join(systems) + " |")
    print("|---|---|" + "---|" * len(systems))
    for name, (expected, texts) in sets.items():
        cells = []
        for name_of in systems.values():
            start = time.perf_counter()
            right = sum(name_of(text) == expected for text in texts)
            took = (time.perf_counter() - start) / len(texts)
            cells.append(f"{right / len(texts):.3f} ({took * 1e3:.2f} ms)")
        print(f"| {name} ({len(texts)}) | {expected} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
