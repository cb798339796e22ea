"""Incremental reindex: a full reindex of 20 documents against one after editing one of them.

    .venv/bin/python -m benchmarks.reindex [--eval-dir ../shared/eval] [--paragraphs 20]

The documents are FacQA news paragraphs, ``--paragraphs`` to a document. The edit rewrites one
paragraph of one document and deletes another document. Prints the time and the number of texts
(passages and sentences) embedded by each run, through `tanya`'s own `reindex`.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from benchmarks.corpora import EVAL_DIR
from benchmarks.machine import describe
from config import load_settings
from embeddings.evaluation import read_eval_file
from embeddings.knowledge import KnowledgeBase

DOCUMENTS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--paragraphs", type=int, default=20, help="paragraphs per document")
    args = parser.parse_args()

    settings = load_settings()
    encoder = settings.knowledge_setup().load_encoder()
    paragraphs = list(read_eval_file(args.eval_dir / "facqa_id_news.jsonl").contexts.values())
    with tempfile.TemporaryDirectory() as tmp:
        docs, index_dir = Path(tmp) / "docs", Path(tmp) / "index"
        docs.mkdir()
        setup = dataclasses.replace(settings.knowledge_setup(), docs_dir=docs, index_dir=index_dir)
        for number in range(DOCUMENTS):
            chunk = paragraphs[number * args.paragraphs : (number + 1) * args.paragraphs]
            (docs / f"berita-{number:02}.txt").write_text("\n\n".join(chunk) + "\n", encoding="utf-8")
        _, full = KnowledgeBase.build(setup, encoder)
        _, unchanged = KnowledgeBase.build(setup, encoder)
        edited = docs / "berita-07.txt"
        text = edited.read_text(encoding="utf-8")
        first_paragraph = text.split("\n\n")[0]
        edited.write_text(
            text.replace(first_paragraph, first_paragraph + " Laporan ini diperbarui.", 1), encoding="utf-8"
        )
        (docs / "berita-12.txt").unlink()
        _, incremental = KnowledgeBase.build(setup, encoder)

    print(f"{describe()}; {DOCUMENTS} documents of {args.paragraphs} FacQA paragraphs, {full.passages} passages")
    print()
    print("| reindex | documents | texts embedded | seconds | share of the full reindex's time |")
    print("|---|---|---|---|---|")
    for label, report in (
        ("full (no index yet)", full),
        ("nothing changed", unchanged),
        ("1 document edited, 1 deleted", incremental),
    ):
        print(
            f"| {label} | {report.documents} | {report.embedded} | {report.seconds:.2f} | "
            f"{report.seconds / full.seconds:.1%} |"
        )


if __name__ == "__main__":
    main()
