"""A throwaway PostgreSQL server for the tests, from this machine's PostgreSQL binaries.

PostgreSQL refuses to run as root (as CI does): then the cluster belongs to the ``postgres`` user
and its programs run as that user (``runuser``). Where there are no binaries, the tests that need
them say so and what to install; under ``CI=true`` they fail instead of skipping.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "install PostgreSQL's server (Debian: apt-get install postgresql) to run them"


def binaries() -> Path | None:
    """The folder of initdb and postgres, if this machine has them."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _unprivileged_user() -> str:
    """The user PostgreSQL runs as when the tests run as root: ``postgres``, or else ``nobody``."""
    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        return "nobody"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """``initdb`` into a temporary folder and ``postgres`` on a free loopback port; ``stop()`` removes it all.
    ``durable``: flush to disk as a production server does (tests need not: their clusters are thrown away)."""

    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="tanya-postgres-"))
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = _unprivileged_user()
            shutil.chown(self.folder, user)
            self._as_user = ["runuser", "-u", user, "--"]
        self.data = self.folder / "data"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://tanya@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        """Start the server (creating its cluster the first time)."""
        if not self.data.exists():
            self._initdb()
        self.process = subprocess.Popen(
            [
                *self._as_user,
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                "-c",
                f"fsync={'on' if self.durable else 'off'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "log").open("a"),
        )
        self._wait()
        return self

    def _initdb(self) -> None:
        subprocess.run(
            [
                *self._as_user,
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "tanya",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            text=True,
        )

    def _wait(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not start: {(self.folder / 'log').read_text()[-2000:]}"
                    ) from error
                time.sleep(0.1)

    def new_database(self, name: str) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://tanya@127.0.0.1:{self.port}/{name}"

    def stop(self, remove: bool = True) -> None:
        """Stop the server (fast shutdown: clients are cut off); ``remove`` its files too."""
        if self.process is not None and self.process.poll() is None:
            subprocess.run(
                [*self._as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
            self.process.wait(timeout=30)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)
