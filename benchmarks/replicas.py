"""Round trip through webhook replicas: one process on SQLite + FAISS (the default) vs PostgreSQL + FAISS
vs PostgreSQL + Milvus Lite, and two replicas vs one.

    .venv/bin/python -m benchmarks.replicas [--eval-dir ../shared/eval] [--rounds 5] [--sequential 80] [--users 20]

Real `tanya serve` processes on webhooks; the tests' Bot API stand-in posts each update to the
replicas in turn (as Telegram does to a load balancer) and records the replies. PostgreSQL (a
throwaway cluster from this machine's binaries, flushing to disk as a production server does) and
Milvus Lite (its gRPC server) are started here. Questions: FacQA test (Indonesian) and XQuAD
(English), every 7th, asked of the bundled sample. The first row runs the tanya of ``--before`` (a
git worktree) the same way. Each of ``--rounds`` rounds runs every set-up once, in turn, so that
the machine's drifts touch them all alike. Prints, for each set-up, the median over the rounds of:
the round trip (message into the stand-in → reply there) p50 (with its range over the rounds and
its difference from the first row) and p99 of questions asked one at a time, and of ``--users``
users asking at once for 3 rounds, with the questions answered per second under that load.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.bot_roundtrip import round_trips
from benchmarks.machine import describe
from benchmarks.speed import percentile
from config import load_settings
from embeddings.evaluation import read_eval_file
from tests.botapi import BotApiStandIn
from tests.milvus import MilvusLiteServer
from tests.postgres import PostgresServer, binaries, free_port

REPO = Path(__file__).resolve().parent.parent

SETUPS = [  # label, database, vector store, replicas
    ("before (--before): 1 process, SQLite + FAISS, buttons and limits in memory", "sqlite", "faiss", 1),
    ("1 process, SQLite + FAISS (default)", "sqlite", "faiss", 1),
    ("1 process, PostgreSQL + FAISS", "postgresql", "faiss", 1),
    ("1 process, PostgreSQL + Milvus Lite", "postgresql", "milvus", 1),
    ("2 replicas, PostgreSQL + Milvus Lite", "postgresql", "milvus", 2),
]


def _ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while True:
        if process.poll() is not None:
            raise RuntimeError("a replica ended before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            if error.code == 404:  # a tanya from before /healthz: listening is ready enough
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("a replica was not ready in time")
        time.sleep(0.2)


def run_setup(label, database, store, replicas, questions, args, postgres, model_cache, code: Path = REPO) -> list:
    """Round trips through ``replicas`` processes of the tanya in ``code``, on ``database`` and ``store``."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        os.symlink(model_cache, data_dir / "models")
        standin = BotApiStandIn().start()
        milvus = MilvusLiteServer(Path(tmp) / "milvus").start() if store == "milvus" else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
        env.update(
            TANYA_BOT_TOKEN=standin.token,
            TANYA_BASE_URL=standin.base_url,
            TANYA_DATA_DIR=str(data_dir),
            TANYA_QUESTIONS_PER_MINUTE="0",
            TANYA_WEBHOOK_SECRET="bench",
            TANYA_VECTOR_STORE=store,
        )
        if database == "postgresql":
            env["TANYA_DATABASE_URL"] = postgres.new_database(
                f"bench_{store}_{replicas}_{os.getpid()}_{time.monotonic_ns()}"
            )
        if milvus is not None:
            env["TANYA_MILVUS_URI"] = milvus.uri
        subprocess.run([sys.executable, "-m", "bot", "index"], env=env, check=True, capture_output=True, cwd=code)
        processes, ports = [], []
        try:
            for _ in range(replicas):
                port = free_port()
                hook = f"http://127.0.0.1:{port}/hook"
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot", "serve"],
                        env={**env, "TANYA_WEBHOOK_URL": hook, "TANYA_WEBHOOK_PORT": str(port)},
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        cwd=code,
                    )
                )
                ports.append(port)
                _ready(port, processes[-1])
            standin.deliver_to(*[f"http://127.0.0.1:{port}/hook" for port in ports], secret="bench")
            round_trips(standin, [[(1, questions[0])]])  # warm-up
            one = round_trips(standin, [[(10 + n % 10, q)] for n, q in enumerate(questions[: args.sequential])])
            crowd = [
                [(100 + user, questions[(user + n) % len(questions)]) for user in range(args.users)] for n in range(3)
            ]
            started = time.monotonic()
            crowded = round_trips(standin, crowd)
            throughput = len(crowded) / (time.monotonic() - started)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
            standin.stop()
            if milvus is not None:
                milvus.stop()
    return [
        label,
        percentile(one, 50),
        percentile(one, 99),
        percentile(crowded, 50),
        percentile(crowded, 99),
        throughput,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--rounds", type=int, default=5, help="times every set-up is measured, in turn")
    parser.add_argument("--sequential", type=int, default=80, help="questions asked one at a time")
    parser.add_argument("--users", type=int, default=20, help="users asking at once, 3 rounds")
    parser.add_argument("--before", default="65c6b95", help="the commit measured as 'before' (a git worktree of it)")
    args = parser.parse_args()
    questions = [q for q, _ in read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="test").queries]
    questions += [q for q, _ in read_eval_file(args.eval_dir / "xquad_en_dev.jsonl").queries]
    questions = questions[::7]
    bin_dir = binaries()
    if bin_dir is None:
        sys.exit("no PostgreSQL binaries on this machine (Debian: apt-get install postgresql)")
    postgres = PostgresServer(bin_dir, durable=True).start()
    settings = load_settings()
    before = Path(tempfile.mkdtemp()) / "before"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(before), args.before],
        check=True,
        capture_output=True,
    )
    runs: list[list[list]] = [[] for _ in SETUPS]  # per set-up, one row per round
    try:
        for _ in range(args.rounds):
            for number, setup in enumerate(SETUPS):
                code = before if number == 0 else REPO
                runs[number].append(run_setup(*setup, questions, args, postgres, settings.model_cache_dir, code=code))
    finally:
        postgres.stop()
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(before)], check=True)
    print(
        f"{describe()}; "
        f"`tanya serve` on webhooks fed by the local Bot API stand-in; no per-user limit; before: {args.before}; "
        f"medians of {args.rounds} rounds"
    )
    print()
    print(
        f"| set-up | one at a time p50 ms (range) | Δ p50 vs before | p99 ms | {args.users} users at once p50 ms "
        "| p99 ms | questions/s |"
    )
    print("|---|---|---|---|---|---|---|")
    baseline = statistics.median(row[1] for row in runs[0])
    for rows in runs:
        p50s = [row[1] for row in rows]
        p50, p99, crowd50, crowd99, throughput = (statistics.median(row[n] for row in rows) for n in range(1, 6))
        print(
            f"| {rows[0][0]} | {p50:.1f} ({min(p50s):.1f}–{max(p50s):.1f}) | {p50 - baseline:+.1f} | {p99:.1f} "
            f"| {crowd50:.0f} | {crowd99:.0f} | {throughput:.1f} |"
        )


if __name__ == "__main__":
    main()
