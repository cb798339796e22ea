"""A throwaway Prometheus server for the tests, from Debian's ``prometheus`` package (which also has
``promtool``). Where it is missing, the tests that need it say what to install; under ``CI=true`` they
fail instead of skipping (``scripts/test.sh`` installs it when it runs as root)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.postgres import free_port

INSTALL_HINT = "install Prometheus (Debian: apt-get install prometheus) to run them"


def binaries() -> tuple[str, str] | None:
    """The paths of ``prometheus`` and ``promtool``, if this machine has them."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    return (prometheus, promtool) if prometheus and promtool else None


class PrometheusServer:
    """Prometheus on a free loopback port, scraping ``targets`` every second; ``stop()`` removes it all."""

    def __init__(self, binary: str, targets: list[str]) -> None:
        self.binary = binary
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="tanya-prometheus-"))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "tanya", "static_configs": [{"targets": targets}]}],
        }
        (self.folder / "prometheus.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> PrometheusServer:
        self.log = (self.folder / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.folder / 'prometheus.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("prometheus did not become ready")

    def query(self, expression: str) -> list[dict]:
        """The instant vector ``expression`` gives now, through Prometheus' HTTP query API."""
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
