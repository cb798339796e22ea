"""The real ``tanya`` command line in subprocesses, for tests that start, kill and restart it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def tanya(data_dir: Path, docs_dir: Path, *args: str, log: Path, **env: str) -> subprocess.Popen:
    """Start ``tanya *args`` with these folders and ``TANYA_*`` settings, its output appended to ``log``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    # TANYA_WATCH off unless a test asks: the tests change documents and reindex them themselves.
    environment.update(TANYA_DATA_DIR=str(data_dir), TANYA_DOCS_DIR=str(docs_dir), TANYA_WATCH="false", **env)
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "-m", "bot", *args], env=environment, stdout=output, stderr=output)


def wait_for_output(process: subprocess.Popen, log: Path, text: str, timeout: float = 300.0) -> None:
    """Wait until ``text`` appears in ``log`` while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, f"the process ended before printing {text!r}"
        assert time.monotonic() < deadline, f"no {text!r} after {timeout} s"
        time.sleep(0.01)


@contextmanager
def running(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process``, killed on the way out if a failed test left it running."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
