"""A throwaway Milvus Lite server (its gRPC server, so the tests go over pymilvus's network path)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.postgres import free_port


class MilvusLiteServer:
    """``milvus-lite server`` on a free loopback port, its data in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MilvusLiteServer:
        command = [
            sys.executable,
            "-m",
            "milvus_lite.cmdline",
            "server",
            "--data-dir",
            str(self.folder),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline, "Milvus Lite did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
