"""What /stats's chart costs, and the README's picture of it.

    .venv/bin/python -m benchmarks.chart [--write docs/pages/img/stats.png]

Fills a fresh history (SQLite, in a temporary folder) with 30 days of real answers: the sample
article's test questions (benchmarks/samples.py, seven languages) and a few it cannot answer, asked
of the bundled sample through the real KnowledgeBase, a seeded number each day, with seeded 👍/👎.
Then times drawing the chart: the first in a fresh process that has loaded what a running bot has
(matplotlib imported for it), a later one, and reading the 30 days from the database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.samples import SAMPLE
from bot.chart import CHART_DAYS, usage_chart
from bot.state import open_state
from bot.state.history import Asked, Vote, new_ref
from config import Settings, load_settings
from embeddings.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent

UNANSWERABLE = [
    "How do I bake sourdough bread at home?",
    "Berapa harga tiket kereta dari Jakarta ke Bandung?",
    "Wie wird das Wetter morgen in Berlin?",
]
# The first chart of a running bot: the database and the texts are loaded already; matplotlib is not.
COLD = (
    "import time\n"
    "from bot.state import open_state\n"
    "from bot.texts import text\n"
    "from config import Settings\n"
    "history = open_state(Settings(data_dir={data!r})).history\n"
    "started = time.perf_counter()\n"
    "from bot.chart import usage_chart\n"
    "usage_chart(history.by_day(), 'en')\n"
    "print(time.perf_counter() - started)\n"
)


def fill(history, knowledge: KnowledgeBase, seed: int = 7) -> int:
    """30 days of questions and votes; returns how many questions."""
    rng = random.Random(seed)
    questions = [question for per_language in SAMPLE.values() for question, _, _ in per_language] + UNANSWERABLE
    now = time.time()
    asked = 0
    for day in range(CHART_DAYS):
        moment = now - (CHART_DAYS - 1 - day) * 86400
        for _ in range(rng.randint(3, 14) + day // 3):  # use grows over the month
            question = rng.choice(questions)
            answer = knowledge.ask(question, 3)
            best = answer.hits[0].passage
            ref, user = new_ref(), history.user(rng.randint(1, 40))
            history.record(
                Asked(
                    ref=ref,
                    asked_at=moment,
                    chat_type="private",
                    language="",
                    user=user,
                    question=question,
                    document=best.document,
                    section=best.section_number,
                    paragraph=best.paragraph,
                    confidence=answer.confidence,
                    not_sure=not answer.sure,
                    seconds=0.01,
                    vector=None,
                )
            )
            if rng.random() < 0.3:
                helpful = answer.sure and rng.random() < 0.85
                history.record(Vote(ref, user, 1 if helpful else -1, None, best.document, moment))
            asked += 1
    assert history.flush(60)
    return asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", type=Path, help="write the chart (English) to this PNG")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    knowledge = KnowledgeBase.open(load_settings().knowledge_setup())
    with tempfile.TemporaryDirectory() as folder:
        history = open_state(Settings(data_dir=Path(folder))).history.start()
        count = fill(history, knowledge)
        print(describe())
        print(f"history: {count} questions over {CHART_DAYS} days")
        cold = []
        for _ in range(args.runs):
            run = subprocess.run(
                [sys.executable, "-c", COLD.format(data=folder)], capture_output=True, text=True, cwd=REPO, check=True
            )
            cold.append(float(run.stdout.strip()))
        reading, warm = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            days = history.by_day(CHART_DAYS)
            reading.append(time.perf_counter() - started)
            started = time.perf_counter()
            png = usage_chart(days, "en")
            warm.append(time.perf_counter() - started)
        print(
            f"first chart of a process (matplotlib imported, reading, drawing): median {statistics.median(cold):.2f} s, "
            f"max {max(cold):.2f} s of {args.runs}"
        )
        print(
            f"a later chart: median {statistics.median(warm):.2f} s, max {max(warm):.2f} s; "
            f"reading the {CHART_DAYS} days: median {statistics.median(reading) * 1000:.1f} ms"
        )
        history.close()
        if args.write:
            args.write.parent.mkdir(parents=True, exist_ok=True)
            args.write.write_bytes(png)
            print(f"wrote {args.write} ({len(png) // 1024} KiB)")


if __name__ == "__main__":
    main()
