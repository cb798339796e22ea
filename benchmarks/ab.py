"""Paired speed of two checkouts of tanya: is a question slower or faster, through the noise?

    .venv/bin/python -m benchmarks.ab OLD NEW [--rounds 6] [--eval ../shared/eval/xling_en-q_id-passage_dev.jsonl]

OLD and NEW are folders holding a checkout each (``git worktree add /tmp/old 9be860d``). Each
round runs ``tanya eval FILE --json`` of both, one after the other (OLD first in even rounds, NEW
first in odd ones), in this virtual environment, on this machine, each checkout with a data folder
of its own (their model exports may differ; made, and the model converted, by a warm-up run of
each first). Prints each round's question p50 and p99 (one question asked alone, as `tanya eval`
measures it), their medians and ranges, the ratio NEW / OLD of the medians, and the processor with
the vector instructions its ONNX Runtime kernels can use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.machine import describe

REPO = Path(__file__).resolve().parent.parent

XLING = "xling_en-q_id-passage_dev.jsonl"


def run_eval(checkout: Path, data_dir: Path, eval_file: Path) -> dict:
    """``tanya eval`` of ``checkout`` (its own code first on the path), as one JSON object."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    env.update(TANYA_DATA_DIR=str(data_dir), PYTHONPATH=str(checkout))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "eval", str(eval_file), "--json"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--eval", type=Path, default=REPO.parent / "shared" / "eval" / XLING)
    args = parser.parse_args()
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    print(describe())
    with tempfile.TemporaryDirectory() as scratch:
        data = {side: Path(scratch) / side for side in checkouts}
        for side, checkout in checkouts.items():  # warm-up: converts the model, exports it, fills caches
            run_eval(checkout, data[side], args.eval)
        figures: dict[str, list[dict]] = {side: [] for side in checkouts}
        for number in range(args.rounds):
            for side in sorted(checkouts, reverse=number % 2 == 1):
                figures[side].append(run_eval(checkouts[side], data[side], args.eval))
            print(
                f"round {number + 1}: "
                + ", ".join(
                    f"{side} p50 {figures[side][-1]['p50_ms']:.2f} ms, p99 {figures[side][-1]['p99_ms']:.2f} ms"
                    for side in checkouts
                )
            )
    print(f"`tanya eval {args.eval.name}`, {args.rounds} rounds, order alternated:")
    print("| checkout | median p50 ms | p50 range | median p99 ms | R@1 |")
    print("|---|---|---|---|---|")
    medians = {}
    for side, checkout in checkouts.items():
        p50s = [figure["p50_ms"] for figure in figures[side]]
        medians[side] = statistics.median(p50s)
        p99 = statistics.median(figure["p99_ms"] for figure in figures[side])
        print(
            f"| {side} ({checkout.name}) | {medians[side]:.2f} | {min(p50s):.2f}–{max(p50s):.2f} | {p99:.2f} | "
            f"{figures[side][0]['recall@1']:.4f} |"
        )
    print(f"new / old, median p50: {medians['new'] / medians['old']:.2f}×")


if __name__ == "__main__":
    main()
