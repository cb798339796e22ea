"""What operators scrape: Prometheus metrics of one process (prometheus-client's registry).

Served at ``/metrics`` on the webhook server's port, and on ``TANYA_METRICS_PORT`` when it is set (the
way to see them in polling mode). ``deploy/prometheus/`` has the scrape configuration and alert rules,
``deploy/grafana/`` a dashboard; docs/pages/monitoring.md describes each metric.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import tornado.web
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.exposition import choose_encoder

if TYPE_CHECKING:
    from embeddings.knowledge import KnowledgeBase

logger = logging.getLogger(__name__)

# What became of a question: its reply's kind, or why there was none.
OUTCOMES = ("answered", "not_sure", "taught", "refused", "rate_limited")

UPDATES = Counter("tanya_updates", "Updates received from Telegram (messages, button presses, inline queries...).")
QUESTIONS = Counter("tanya_questions", "Questions received, by what became of them.", ["outcome"])
SEARCH_SECONDS = Histogram(
    "tanya_search_seconds",
    "Time to search the documents (and taught answers) for one question.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REPLY_SECONDS = Histogram(
    "tanya_reply_seconds",
    "From a question's update reaching its handler to the reply sent.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REINDEXES = Counter("tanya_reindexes", "Reindex runs finished, by outcome (succeeded, failed).", ["outcome"])
REINDEX_SECONDS = Histogram(
    "tanya_reindex_seconds",
    "Duration of a reindex run that succeeded.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
REINDEX_PASSAGES = Counter("tanya_reindex_passages", "Passages in the indexes that reindex runs published.")
INDEX_DOCUMENTS = Gauge("tanya_index_documents", "Documents in the index this process answers from.")
INDEX_PASSAGES = Gauge("tanya_index_passages", "Passages in the index this process answers from.")
DATABASE_ERRORS = Counter("tanya_database_errors", "Database operations that failed (answering went on without them).")
DATABASE_RETRIES = Counter("tanya_database_retries", "History writes put off to retry, the database out of reach.")
BOT_API_ERRORS = Counter("tanya_bot_api_errors", "Bot API requests that failed, by method.", ["method"])
BOT_API_RETRIES = Counter("tanya_bot_api_retries", "Bot API requests repeated after a network error.", ["method"])
HANDOFFS = Counter(
    "tanya_handoffs", "Questions handed to the help desk, by what became of them.", ["outcome"]
)  # asked, answered (first reply reached the asker), taught (📌), expired (closed without messages)
HANDOFF_REPLY_SECONDS = Histogram(
    "tanya_handoff_reply_seconds",
    "From a question handed to the help desk to the first reply reaching the asker.",
    buckets=(60, 300, 900, 1800, 3600, 3 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400),
)
HISTORY_QUEUE = Gauge("tanya_history_queue", "Questions and votes queued for the history, not yet written.")

for _outcome in OUTCOMES:  # every outcome is exported from the start, at 0
    QUESTIONS.labels(_outcome)
for _outcome in ("succeeded", "failed"):
    REINDEXES.labels(_outcome)
for _outcome in ("asked", "answered", "taught", "expired"):
    HANDOFFS.labels(_outcome)


def follow(knowledge: Callable[[], KnowledgeBase | None], history_queue: Callable[[], int]) -> None:
    """Read the index's size and the history queue's depth at each scrape."""

    def size(field: str) -> Callable[[], float]:
        def read() -> float:
            current = knowledge()
            return float(getattr(current.manifest, field)) if current is not None else 0.0

        return read

    INDEX_DOCUMENTS.set_function(size("documents"))
    INDEX_PASSAGES.set_function(size("passages"))
    HISTORY_QUEUE.set_function(lambda: float(history_queue()))


class MetricsHandler(tornado.web.RequestHandler):
    """GET /metrics on the webhook server."""

    def get(self) -> None:
        encoder, content_type = choose_encoder(self.request.headers.get("Accept", ""))  # the format the scraper asks
        self.set_header("Content-Type", content_type)
        self.write(encoder(REGISTRY))


def start_http_server(port: int, host: str):
    """Serve /metrics on ``host:port`` from a thread of its own; returns the server, to shut it down."""
    server, _thread = _start_http_server(port, addr=host)
    logger.info("metrics at http://%s:%d/metrics", host, port)
    return server
