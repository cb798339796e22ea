"""Paired round trips through two checkouts' bots: is a question slower or faster through `tanya serve`?

    .venv/bin/python -m benchmarks.ab_bot OLD NEW [--rounds 6] [--questions 30]

OLD and NEW are folders holding a checkout each (``git worktree add /tmp/old d858c9e``). Each runs
its own `tanya serve` (polling; its code first on the path, this virtual environment) against a Bot
API stand-in of its own, over a data folder of its own sharing this machine's converted model. Both
run throughout; each round sends the same questions, one at a time, to OLD and then NEW (NEW first
in odd rounds), and times each from the message entering the stand-in to the bot's reply there.
The questions are FacQA and XQuAD questions about other articles than the bundled sample (so mostly
"not sure", the path that grew the help desk's checks) and the sample's own questions (answered);
no help desk is set and no message replies to another, so no ticket or follow-up is involved.
Prints each round's p50 per side, their medians and ranges, and NEW / OLD.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bot_roundtrip import round_trips
from benchmarks.machine import describe
from benchmarks.samples import OFF_TOPIC, QUESTIONS
from benchmarks.speed import percentile
from config import load_settings
from tests.botapi import BotApiStandIn

REPO = Path(__file__).resolve().parent.parent


def serve(checkout: Path, data_dir: Path, standin: BotApiStandIn, models: Path) -> subprocess.Popen:
    """``checkout``'s `tanya serve` over ``data_dir`` (indexed first), answering through ``standin``."""
    data_dir.mkdir()
    os.symlink(models, data_dir / "models")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    env.update(
        TANYA_BOT_TOKEN=standin.token,
        TANYA_BASE_URL=standin.base_url,
        TANYA_DATA_DIR=str(data_dir),
        TANYA_QUESTIONS_PER_MINUTE="0",
        PYTHONPATH=str(checkout),
    )
    run = dict(cwd=checkout, env=env)
    pybabel = Path(sys.executable).with_name("pybabel")  # its texts compiled, as scripts/setup.sh does
    subprocess.run([pybabel, "compile", "-d", "bot/locale", "-D", "tanya"], check=True, capture_output=True, **run)
    subprocess.run([sys.executable, "-m", "bot", "index"], check=True, capture_output=True, **run)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **run
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--questions", type=int, default=30, help="questions per side and round")
    args = parser.parse_args()
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    pool = [asked for asked, *_ in QUESTIONS] + [q for texts in OFF_TOPIC.values() for q in texts]
    questions = [pool[(n * 7) % len(pool)] for n in range(args.questions)]
    models = load_settings().model_cache_dir
    standins = {side: BotApiStandIn().start() for side in checkouts}
    processes = {}
    figures: dict[str, list[float]] = {side: [] for side in checkouts}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for side, checkout in checkouts.items():
                processes[side] = serve(checkout, Path(scratch) / side, standins[side], models)
            for side in checkouts:  # warm-up: each bot has started and answered once
                round_trips(standins[side], [[(1, questions[0])]])
            for number in range(args.rounds):
                for side in sorted(checkouts, reverse=number % 2 == 1):
                    batches = [[(10 + n % 10, question)] for n, question in enumerate(questions)]
                    figures[side].append(percentile(round_trips(standins[side], batches), 50))
                print(
                    f"round {number + 1}: " + ", ".join(f"{side} p50 {figures[side][-1]:.1f} ms" for side in checkouts)
                )
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        for standin in standins.values():
            standin.stop()
    print(f"{describe()}; `tanya serve` (polling) of each checkout against its own local Bot API stand-in")
    print(f"{args.rounds} rounds × {args.questions} questions one at a time per side, order alternated:")
    print("| checkout | median p50 ms | p50 range |")
    print("|---|---|---|")
    medians = {}
    for side, checkout in checkouts.items():
        medians[side] = statistics.median(figures[side])
        print(f"| {side} ({checkout.name}) | {medians[side]:.1f} | {min(figures[side]):.1f}–{max(figures[side]):.1f} |")
    ratios = [new / old for new, old in zip(figures["new"], figures["old"], strict=True)]
    print(
        f"new / old, median p50: {medians['new'] / medians['old']:.2f}×; median of the rounds' own ratios "
        f"{statistics.median(ratios):.2f}× (new faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds)"
    )


if __name__ == "__main__":
    main()
