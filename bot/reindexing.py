"""One home for reindexing: the lease across replicas (the database's), the lock in this process
(``KnowledgeBase.start_reindex``), the job with its progress (``KnowledgeBase.status``) and its
release. ``/reindex``, uploads, ``/remove`` and the watcher reserve a job here (``reserve``);
``tanya index`` and its shards' publishing hold the same lease (``holding``), so that one reindex
runs at a time, whoever starts it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.metrics import REINDEX_PASSAGES, REINDEX_SECONDS, REINDEXES
from bot.state import State
from embeddings.knowledge import ReindexBusy, ReindexResult

LEASE = "reindex"
WAIT_SECONDS = 1.0  # how often a command waiting for the lease looks again


def reserve(
    state: State, start: Callable[..., Callable[[], ReindexResult]], *args
) -> Callable[[], ReindexResult] | None:
    """``start(*args)``'s reindex job, reserved across replicas and in this process; None while another
    reindex holds either. The job gives the lease back when it ends. Blocking: call it from a worker thread."""
    lease = state.leases.take(LEASE)
    if lease is None:
        return None
    try:
        job = start(*args)
    except ReindexBusy:
        lease.release()
        return None

    def leased() -> ReindexResult:
        try:
            result = job()
        except BaseException:
            REINDEXES.labels("failed").inc()
            raise
        finally:
            lease.release()
        REINDEXES.labels("succeeded").inc()
        REINDEX_SECONDS.observe(result.seconds)
        REINDEX_PASSAGES.inc(result.after.passages)
        return result

    return leased


@contextmanager
def holding(state: State, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold the reindex lease for the block, waiting for it while another holds it (``waiting()`` is called
    once, to say so)."""
    lease = state.leases.take(LEASE)
    if lease is None:
        waiting()
        while lease is None:
            time.sleep(WAIT_SECONDS)
            lease = state.leases.take(LEASE)
    try:
        yield
    finally:
        lease.release()
