"""What the attacks of issue 39 cost now, each as the attacker ran it, against the real `tanya`:

    .venv/bin/python -m benchmarks.attacks

- `tanya faq import` of a spreadsheet bomb: a real workbook whose shared strings unzip to 400 MiB
  of one cell: its exit status, seconds and peak resident memory.
- `tanya index` of a folder holding a 553-byte PDF whose one page is 200 inches a side, and one
  text file: the documents indexed, seconds, peak resident memory of the largest process (the
  model's set-up already done).
- `tanya serve` on a webhook: its peak resident memory (VmHWM) before and after three 99 MiB
  bodies posted at once without the secret token.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bot_roundtrip import peak_rss_mib
from benchmarks.machine import describe
from benchmarks.memory import environment
from benchmarks.samples import spreadsheet_bomb
from tests.botapi import BotApiStandIn

REPO = Path(__file__).resolve().parent.parent

_LAUNCHER = (
    "import resource, subprocess, sys, time; started = time.perf_counter(); "
    "status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(status, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def measured(args: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """Exit status, seconds and peak MiB (of the largest process) of ``tanya args``."""
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    status, seconds, peak_kib = result.stdout.split()[-3:]
    return int(status), float(seconds), int(peak_kib) / 1024


def post_unauthenticated(port: int, size: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("POST", "/hook")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        chunk = b" " * 2**20
        for _ in range(size // len(chunk)):
            connection.send(chunk)
        connection.getresponse()
    except (OSError, http.client.HTTPException):
        pass  # refused mid-body: the server closed the connection
    finally:
        connection.close()


def main() -> None:
    print(describe())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        data, docs = root / "data", root / "docs"
        docs.mkdir()
        (docs / "cuti.md").write_text("# Cuti\n\nCuti tahunan adalah dua belas hari kerja.\n", encoding="utf-8")
        env = environment(data, TANYA_DOCS_DIR=str(docs))
        subprocess.run([sys.executable, "-m", "bot", "index"], env=env, check=True, capture_output=True)  # set-up

        bomb = spreadsheet_bomb(root / "bomb.xlsx", 400 * 2**20)
        status, seconds, peak = measured(["faq", "import", str(bomb)], env)
        print(
            f"faq import of a {bomb.stat().st_size / 1024:.0f} KB workbook unzipping to 400 MiB: exit {status}, "
            f"{seconds:.1f} s, peak {peak:.0f} MiB"
        )

        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument.new()
        pdf.new_page(14_400, 14_400)
        pdf.save(str(docs / "poster.pdf"))
        status, seconds, peak = measured(["index"], env)
        print(
            f"tanya index with a {(docs / 'poster.pdf').stat().st_size}-byte PDF of one 200-inch page: exit {status}, "
            f"{seconds:.1f} s, peak {peak:.0f} MiB"
        )
        (docs / "poster.pdf").unlink()

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        standin = BotApiStandIn().start()
        log = root / "serve.log"
        serve_env = {
            **env,
            "TANYA_BOT_TOKEN": standin.token,
            "TANYA_BASE_URL": standin.base_url,
            "TANYA_WATCH": "false",
            "TANYA_WEBHOOK_URL": "https://bot.example/hook",
            "TANYA_WEBHOOK_PORT": str(port),
            "TANYA_WEBHOOK_SECRET": "s3cret-token",
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], env=serve_env, stdout=output, stderr=output
            )
        try:
            while "webhook listening" not in log.read_text(errors="replace"):
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            standin.deliver_to(f"http://127.0.0.1:{port}/hook", secret="s3cret-token")
            reply = standin.reply_to(standin.send("Berapa hari cuti tahunan?"), 120)  # warm: one answer first
            assert "dua belas" in reply["text"]
            before = peak_rss_mib(process.pid)
            posts = [threading.Thread(target=post_unauthenticated, args=(port, 99 * 2**20)) for _ in range(3)]
            for post in posts:
                post.start()
            for post in posts:
                post.join()
            time.sleep(1)
            after = peak_rss_mib(process.pid)
            print(
                f"webhook, three 99 MiB bodies at once without the secret: peak {before:.0f} → {after:.0f} MiB "
                f"(+{after - before:.0f} MiB)"
            )
        finally:
            process.terminate()
            process.wait(timeout=60)
            standin.stop()


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
