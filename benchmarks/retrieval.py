"""Retrieval quality of `tanya eval` on every file of ../shared/eval/ (test split where there is one).

    .venv/bin/python benchmarks/retrieval.py [--eval-dir ../shared/eval] [--data-dir DIR]

Prints a Markdown table: queries, passages, Recall@1, Recall@5, MRR@10 and seconds per file.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
from pathlib import Path

from config import load_settings
from embeddings.encoder import load_encoder
from embeddings.evaluation import evaluate, read_eval_file

REPO = Path(__file__).resolve().parent.parent


def splits_in(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as handle:
        return {json.loads(line).get("split") for line in handle if line.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    settings = load_settings()
    encoder = load_encoder(settings.model, settings.model_cache_dir)
    print(f"model: {settings.model}; machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {__import__('os').cpu_count()} cores")
    print()
    print("| file | split | queries | passages | Recall@1 | Recall@5 | MRR@10 | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(args.eval_dir.glob("*.jsonl")):
        split = "test" if "test" in splits_in(path) else None
        result = evaluate(read_eval_file(path, split=split), encoder)
        print(
            f"| {path.name} | {split or 'all'} | {result.queries} | {result.passages} | "
            f"{result.recall_at_1:.3f} | {result.recall_at_5:.3f} | {result.mrr_at_10:.3f} | {result.seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
