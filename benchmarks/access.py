"""What the member check costs a question (TANYA_ACCESS=members against open), on SQLite.

    .venv/bin/python -m benchmarks.access [--rounds 5] [--questions 40] [--members 1000]

1. The check alone: ``Members.admits`` in a worker thread (as the gate runs it before every update),
   against a database of ``--members`` members.
2. Paired round trips: two real `tanya serve` processes (polling, the local Bot API stand-in, the
   bundled sample), one open and one private whose askers are members, asked the same question in
   turn (each first every other time), one at a time, for ``--rounds`` rounds; the median p50 of
   each and their difference per round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.speed import percentile
from bot.state.database import default_url, open_database
from bot.state.members import Members
from config import load_settings
from tests.botapi import BotApiStandIn

QUESTIONS = [
    "Kapan pertemuan virtual diadakan?",
    "Why is energy a key area of cooperation?",
    "Apa kesimpulan pertemuan Xi dan Putin?",
    "What did the leaders agree on regarding regional security?",
]
ASKERS = range(100, 110)


def check_alone(data_dir: Path, count: int, calls: int = 2000) -> list[float]:
    """Milliseconds of each ``admits`` call, run as the gate runs it."""
    members = Members(open_database(default_url(data_dir)))
    for member in range(count):
        members.add(10_000 + member, "user", f"Member {member}", "invite", 42)

    async def run() -> list[float]:
        timings = []
        for call in range(calls):
            started = time.perf_counter()
            await asyncio.to_thread(members.admits, 10_000 + call % count)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--questions", type=int, default=40, help="questions to each bot in a round")
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        alone = check_alone(Path(scratch), args.members)
    print(describe())
    print(
        f"member check alone (SQLite, {args.members} members, {len(alone)} calls in a worker thread): "
        f"p50 {percentile(alone, 50):.3f} ms, p99 {percentile(alone, 99):.3f} ms"
    )

    bots = {}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            for access in ("open", "members"):
                data_dir = Path(scratch) / access
                data_dir.mkdir()
                os.symlink(settings.model_cache_dir, data_dir / "models")
                standin = BotApiStandIn().start()
                env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
                env.update(
                    TANYA_BOT_TOKEN=standin.token,
                    TANYA_BASE_URL=standin.base_url,
                    TANYA_DATA_DIR=str(data_dir),
                    TANYA_ACCESS=access,
                    TANYA_QUESTIONS_PER_MINUTE="0",
                    TANYA_ADMIN_IDS="42",
                )
                subprocess.run([sys.executable, "-m", "bot", "index"], env=env, check=True, capture_output=True)
                members = Members(open_database(default_url(data_dir)))
                for asker in ASKERS:
                    members.add(asker, "user", f"Asker {asker}", "invite", 42)
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot", "serve"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                bots[access] = (standin, process)
                standin.reply_to(standin.send(QUESTIONS[0], user_id=ASKERS[0]), timeout=300)  # warm
            p50s: dict[str, list[float]] = {access: [] for access in bots}
            for _ in range(args.rounds):
                timings: dict[str, list[float]] = {access: [] for access in bots}
                for n in range(args.questions):
                    # The same question to each, in turn, each first every other time: the second of a pair
                    # may meet what the first process still does after its answer (writing its history).
                    for access in sorted(bots, reverse=n % 2 == 1):
                        standin = bots[access][0]
                        sent_at = time.monotonic()
                        message = standin.send(QUESTIONS[n % len(QUESTIONS)], user_id=ASKERS[n % len(ASKERS)])
                        [call] = standin.wait_for(
                            lambda c, quoted=message["message_id"]: (
                                c.method == "sendMessage"
                                and (c.params.get("reply_parameters") or {}).get("message_id") == quoted
                            ),
                            timeout=120,
                        )
                        assert "🔒" not in call.params["text"], "a member was refused"
                        timings[access].append((call.at - sent_at) * 1000)
                for access in bots:
                    p50s[access].append(percentile(timings[access], 50))
        finally:
            for standin, process in bots.values():
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
                standin.stop()
    print(f"round trips, {args.rounds} rounds × {args.questions} questions to each bot, in turn:")
    print("| access | median p50 ms | p50 range |")
    print("|---|---|---|")
    for access, values in p50s.items():
        print(f"| {access} | {statistics.median(values):.1f} | {min(values):.1f}–{max(values):.1f} |")
    differences = [m - o for m, o in zip(p50s["members"], p50s["open"], strict=True)]
    print(
        f"members − open, per round: {', '.join(f'{d:+.1f}' for d in differences)} ms; "
        f"median {statistics.median(differences):+.1f} ms"
    )


if __name__ == "__main__":
    main()
