"""Round trip through the bot: a user's message enters the local Bot API stand-in → the reply arrives there.

    .venv/bin/python -m benchmarks.bot_roundtrip [--users 20] [--questions 3] [--eval-dir ../shared/eval]

Runs the real `tanya serve` process (polling) against the tests' Bot API stand-in on 127.0.0.1,
answering from the bundled sample article. Questions are FacQA test questions (Indonesian) and
XQuAD questions (English). Prints p50 / p99 / max in milliseconds and how many questions were
answered: one question at a time (users taking turns); N users asking at once, in rounds; 50 chats sending 10
questions each all at once (with the throughput); and 20 users asking while one other floods
100 questions at once, with the default per-user limit (TANYA_QUESTIONS_PER_MINUTE=20) and
without one (0, a second `tanya serve`). Also, for each `tanya serve` (index already built): the
time from launch to its first answer, to a question waiting when it starts, and its peak RSS.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.speed import percentile
from config import load_settings
from embeddings.evaluation import read_eval_file
from tests.botapi import BotApiStandIn

REPO = Path(__file__).resolve().parent.parent

FLOODER = 999


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of a running process so far (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def round_trips(standin: BotApiStandIn, batches: list[list[tuple[int, str]]], flood: list[str] = ()) -> list[float]:
    """Send each batch of (user, question) at once, after ``flood`` from one other user;
    wait for every reply to the batch; return milliseconds each."""
    timings = []
    for batch in batches:
        for question in flood:
            standin.send(question, user_id=FLOODER)
        sent = [(standin.send(question, user_id=user), time.monotonic()) for user, question in batch]
        for message, sent_at in sent:
            [call] = standin.wait_for(
                lambda c, quoted=message["message_id"]: (
                    c.method == "sendMessage" and (c.params.get("reply_parameters") or {}).get("message_id") == quoted
                ),
                timeout=300,
            )
            timings.append((call.at - sent_at) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=3, help="questions per user")
    parser.add_argument("--sequential", type=int, default=30, help="questions asked one at a time")
    args = parser.parse_args()

    questions = [q for q, _ in read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries]
    questions += [q for q, _ in read_eval_file(args.eval_dir / "xquad_en_dev.jsonl").queries]
    questions = questions[::7]  # a mix of both languages
    settings = load_settings()
    rows, cold_starts, peaks = [], [], []
    for limit in ("20", "0"):
        standin = BotApiStandIn().start()
        with tempfile.TemporaryDirectory() as data_dir:
            os.symlink(settings.model_cache_dir, Path(data_dir) / "models")
            env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
            env.update(
                TANYA_BOT_TOKEN=standin.token,
                TANYA_BASE_URL=standin.base_url,
                TANYA_DATA_DIR=data_dir,
                TANYA_QUESTIONS_PER_MINUTE=limit,
            )
            subprocess.run([sys.executable, "-m", "bot", "index"], env=env, check=True, capture_output=True)
            launched = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                standin.send(questions[-1], user_id=1)  # waiting in Telegram as the bot starts
                [answered] = standin.wait_for(lambda c: c.method == "sendMessage", timeout=300)
                cold_starts.append(answered.at - launched)
                crowd = [
                    [(100 + user, questions[(user + n) % len(questions)]) for user in range(args.users)]
                    for n in range(args.questions)
                ]
                if limit != "0":
                    # from users taking turns: one user asking this fast would meet the per-user limit
                    one = round_trips(standin, [[(10 + n % 10, q)] for n, q in enumerate(questions[: args.sequential])])
                    rows.append(("one question at a time", one, args.sequential, None))
                    crowded = round_trips(standin, crowd)
                    rows.append((f"{args.users} users at once, {args.questions} rounds", crowded, len(crowded), None))
                    chats = [
                        [
                            (1000 + chat, questions[(chat * 10 + n) % len(questions)])
                            for chat in range(50)
                            for n in range(10)
                        ]
                    ]
                    started = time.monotonic()
                    many = round_trips(standin, chats)
                    rows.append(("50 chats × 10 questions, all at once", many, 500, 500 / (time.monotonic() - started)))
                flooded = round_trips(standin, crowd[:1], flood=questions[:100])
                limited = f"limit {limit} a minute" if limit != "0" else "no limit"
                rows.append(
                    (f"{args.users} users while one floods 100 questions, {limited}", flooded, args.users, None)
                )
                peaks.append(peak_rss_mib(process.pid))
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
                standin.stop()

    print(f"{describe()}; `tanya serve` (polling) against the local Bot API stand-in; model {settings.model}")
    print()
    print(
        f"`tanya serve` cold start, launch to the first answer: {', '.join(f'{c:.2f} s' for c in cold_starts)}; "
        f"peak RSS while serving: {', '.join(f'{p:.0f} MiB' for p in peaks)} (one per run)"
    )
    print()
    print("| load | questions | answered | p50 ms | p99 ms | max ms | answers/s |")
    print("|---|---|---|---|---|---|---|")
    for label, timings, total, throughput in rows:
        print(
            f"| {label} | {total} | {len(timings)} | {percentile(timings, 50):.0f} | "
            f"{percentile(timings, 99):.0f} | {max(timings):.0f} | {f'{throughput:.0f}' if throughput else '—'} |"
        )


if __name__ == "__main__":
    main()
