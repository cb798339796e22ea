"""What the bot learns from use: the questions asked, the answers given and the votes on them, in SQLite.

One file in the data folder, in WAL mode, with a schema version (``PRAGMA user_version``) and a
migration per version. Users are stored as a salted hash, never as Telegram ids; the salt is a
file beside the database. Writes go through one thread fed by a bounded queue, so answering never
waits for the disk: when the queue is full, a row is dropped and counted. A database that is
locked is retried; one that is damaged is moved aside and a new one started. Either way the bot
goes on answering, and the trouble is logged.

Daily counters (questions, "not sure", votes, by document) are kept however long rows are:
``days`` = 0 stores nothing else.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import logging
import os
import queue
import secrets
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.sqlite3"
SALT_FILE = "history-salt"
QUEUE_SIZE = 10_000  # rows waiting to be written; beyond it new ones are dropped (and counted)
BUSY_SECONDS = 2.0  # how long a write waits for another process's lock before it is retried later
RETRY_SECONDS = 5.0
SAME_QUESTION = 0.9  # cosine above which two questions count as one in /unanswered
PRUNE_SECONDS = 3600.0

# Each entry migrates the schema from its position's version to the next.
_MIGRATIONS = [
    """
    CREATE TABLE questions (
        ref TEXT PRIMARY KEY,           -- the answer's id, as its vote buttons name it
        asked_at REAL NOT NULL,         -- Unix time
        chat_type TEXT NOT NULL,        -- private, group, supergroup, channel or inline
        language TEXT NOT NULL,         -- the asker's Telegram language, as the bot replied in
        user TEXT NOT NULL,             -- salted hash of the asker's id
        question TEXT NOT NULL,
        document TEXT,                  -- the passage chosen: its document, section and paragraph
        section INTEGER,
        paragraph INTEGER,
        confidence REAL NOT NULL,
        not_sure INTEGER NOT NULL,
        seconds REAL NOT NULL,          -- time taken to find the answer
        vector BLOB                     -- the question's float32 vector, to group near-duplicates
    );
    CREATE INDEX questions_by_time ON questions (asked_at);
    CREATE INDEX questions_by_user ON questions (user);
    CREATE TABLE votes (
        ref TEXT NOT NULL REFERENCES questions (ref) ON DELETE CASCADE,
        user TEXT NOT NULL,
        vote INTEGER NOT NULL,          -- 1: helpful, -1: not
        voted_at REAL NOT NULL,
        PRIMARY KEY (ref, user)
    );
    CREATE INDEX votes_by_user ON votes (user);
    CREATE TABLE daily (
        day TEXT NOT NULL,              -- the server's local date, YYYY-MM-DD
        document TEXT NOT NULL,         -- '' when no passage was found
        questions INTEGER NOT NULL DEFAULT 0,
        not_sure INTEGER NOT NULL DEFAULT 0,
        helpful INTEGER NOT NULL DEFAULT 0,
        unhelpful INTEGER NOT NULL DEFAULT 0,
        seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (day, document)
    );
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclasses.dataclass(frozen=True)
class Asked:
    """One question answered, as the history records it."""

    ref: str
    asked_at: float
    chat_type: str
    language: str
    user: str
    question: str
    document: str | None
    section: int | None
    paragraph: int | None
    confidence: float
    not_sure: bool
    seconds: float
    vector: np.ndarray | None


@dataclasses.dataclass(frozen=True)
class Vote:
    """A user's vote on an answer; ``previous`` is their earlier vote on it, if any (1 or -1)."""

    ref: str
    user: str
    vote: int
    previous: int | None
    document: str
    voted_at: float


@dataclasses.dataclass(frozen=True)
class Usage:
    """What /stats and ``tanya report`` show."""

    today: int
    last_7_days: int
    all_time: int
    not_sure: int
    helpful: int
    unhelpful: int
    median_seconds: float | None  # of the questions kept, over the last 7 days
    by_document: list[tuple[str, int]]  # answers given from each document, most first

    @property
    def not_sure_share(self) -> float | None:
        return self.not_sure / self.all_time if self.all_time else None

    @property
    def helpful_share(self) -> float | None:
        votes = self.helpful + self.unhelpful
        return self.helpful / votes if votes else None


@dataclasses.dataclass(frozen=True)
class Unanswered:
    """A question asked (in near-identical words) ``count`` times that got "not sure" or 👎."""

    question: str  # as last asked
    count: int
    last_asked: float
    not_sure: int
    unhelpful: int


def new_ref() -> str:
    """A fresh id for an answer: random, so ids from before a restart never name a new answer."""
    return secrets.token_hex(8)


def today(moment: float | None = None) -> str:
    return date.fromtimestamp(time.time() if moment is None else moment).isoformat()


class History:
    """The history database of one data folder. ``start()`` begins writing; ``close()`` flushes and stops."""

    def __init__(self, folder: Path, days: int, queue_size: int = QUEUE_SIZE) -> None:
        self.path = folder / HISTORY_FILE
        self.days = days
        self._salt = _salt(folder / SALT_FILE)
        self._queue: queue.Queue[Asked | Vote | None] = queue.Queue(queue_size)
        self.dropped = 0  # rows not written because the queue was full
        self._writer = threading.Thread(target=self._write_loop, name="history-writer", daemon=True)
        self._last_prune = float("-inf")  # the first write prunes

    # ---- writing (never blocks the caller) -------------------------------------------------

    def start(self) -> History:
        self._writer.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting up to ``timeout``) and stop the writer."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout)

    def user(self, user_id: int) -> str:
        """The salted hash a user is stored as."""
        return hashlib.sha256(self._salt + str(user_id).encode()).hexdigest()[:32]

    def record(self, entry: Asked | Vote) -> None:
        """Queue ``entry`` to be written; when the queue is full it is dropped and counted."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning("history: %d rows dropped, the database is not keeping up", self.dropped)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or given up); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _write_loop(self) -> None:
        pending: list[Asked | Vote] = []
        stopping = False
        while not stopping or pending:
            if not pending:
                item = self._queue.get()
                if item is None:
                    self._queue.task_done()
                    break
                pending.append(item)
            while len(pending) < 500:  # whatever else is waiting goes in the same transaction
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    self._queue.task_done()
                    break
                pending.append(item)
            if self._write(pending):
                for _ in pending:
                    self._queue.task_done()
                pending = []
            elif stopping:
                break
            else:
                time.sleep(RETRY_SECONDS)

    def _write(self, entries: list[Asked | Vote]) -> bool:
        """Write ``entries`` in one transaction; False when the database is locked (to retry them)."""
        try:
            with self._connect() as connection, connection:
                for entry in entries:
                    if isinstance(entry, Asked):
                        self._write_asked(connection, entry)
                    else:
                        self._write_vote(connection, entry)
                if time.monotonic() - self._last_prune > PRUNE_SECONDS:
                    self._prune(connection)
            return True
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                logger.warning("history: the database is locked (%s); %d rows wait", error, len(entries))
                return False
            logger.error("history: %d rows not written: %s", len(entries), error)
        except sqlite3.DatabaseError as error:
            logger.error("history: the database is damaged (%s); moving it aside and starting a new one", error)
            self._set_aside()
        return True  # given up: the rows are dropped

    def _write_asked(self, connection: sqlite3.Connection, entry: Asked) -> None:
        day, document = today(entry.asked_at), entry.document or ""
        connection.execute(
            "INSERT INTO daily (day, document, questions, not_sure, seconds) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT (day, document) DO UPDATE SET questions = questions + 1, "
            "not_sure = not_sure + excluded.not_sure, seconds = seconds + excluded.seconds",
            (day, document, int(entry.not_sure), entry.seconds),
        )
        if self.days > 0:
            vector = None if entry.vector is None else np.asarray(entry.vector, dtype=np.float32).tobytes()
            connection.execute(
                "INSERT OR IGNORE INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.ref, entry.asked_at, entry.chat_type, entry.language, entry.user, entry.question,
                    entry.document, entry.section, entry.paragraph, entry.confidence, int(entry.not_sure),
                    entry.seconds, vector,
                ),
            )

    def _write_vote(self, connection: sqlite3.Connection, vote: Vote) -> None:
        helpful = int(vote.vote > 0) - int(vote.previous is not None and vote.previous > 0)
        unhelpful = int(vote.vote < 0) - int(vote.previous is not None and vote.previous < 0)
        connection.execute(
            "INSERT INTO daily (day, document, helpful, unhelpful) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day, document) DO UPDATE SET helpful = helpful + excluded.helpful, "
            "unhelpful = unhelpful + excluded.unhelpful",
            (today(vote.voted_at), vote.document, helpful, unhelpful),
        )
        if self.days > 0:
            connection.execute(
                "INSERT INTO votes SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM questions WHERE ref = ?) "
                "ON CONFLICT (ref, user) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (vote.ref, vote.user, vote.vote, vote.voted_at, vote.ref),
            )

    def _prune(self, connection: sqlite3.Connection) -> None:
        """Delete the rows older than ``days`` (the daily counters stay)."""
        connection.execute("DELETE FROM questions WHERE asked_at < ?", (time.time() - self.days * 86400,))
        self._last_prune = time.monotonic()

    def _set_aside(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            damaged = self.path.with_name(self.path.name + suffix)
            if damaged.exists():
                damaged.replace(damaged.with_name(f"{self.path.name}.damaged-{stamp}{suffix}"))

    # ---- reading and deleting (blocking: call from a worker thread) -------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the database, created and migrated to the current schema if need be."""
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level="DEFERRED")
        with closing(connection):
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses at most the last commits
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.OperationalError(
                    f"{self.path.name} has schema {version}, newer than this tanya's {SCHEMA_VERSION}"
                )
            for number in range(version, SCHEMA_VERSION):  # each migration whole or not at all
                connection.executescript(f"BEGIN; {_MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")
            yield connection

    def usage(self, now: float | None = None) -> Usage:
        """The figures /stats shows."""
        now = time.time() if now is None else now
        with self._connect() as connection:
            def total(since: str) -> int:
                query = "SELECT COALESCE(SUM(questions), 0) FROM daily WHERE day >= ?"
                return connection.execute(query, (since,)).fetchone()[0]

            week = date.fromtimestamp(now) - timedelta(days=6)
            sums = connection.execute(
                "SELECT COALESCE(SUM(not_sure), 0), COALESCE(SUM(helpful), 0), COALESCE(SUM(unhelpful), 0) FROM daily"
            ).fetchone()
            recent = connection.execute("SELECT seconds FROM questions WHERE asked_at >= ?", (now - 7 * 86400,))
            seconds = [row[0] for row in recent]
            by_document = connection.execute(
                "SELECT document, SUM(questions) FROM daily WHERE document != '' GROUP BY document "
                "HAVING SUM(questions) > 0 ORDER BY SUM(questions) DESC, document"
            ).fetchall()
            return Usage(
                today=total(today(now)),
                last_7_days=total(week.isoformat()),
                all_time=total(""),
                not_sure=sums[0],
                helpful=sums[1],
                unhelpful=sums[2],
                median_seconds=statistics.median(seconds) if seconds else None,
                by_document=[(document, count) for document, count in by_document],
            )

    def unanswered(self, days: int = 30, now: float | None = None) -> list[Unanswered]:
        """The questions of the last ``days`` that got "not sure" or a 👎, near-duplicates grouped, most asked first."""
        now = time.time() if now is None else now
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT q.question, q.asked_at, q.not_sure, q.vector, "
                "EXISTS (SELECT 1 FROM votes v WHERE v.ref = q.ref AND v.vote < 0) AS unhelpful "
                "FROM questions q WHERE q.asked_at >= ? ORDER BY q.asked_at DESC",
                (now - days * 86400,),
            ).fetchall()
        groups: list[dict] = []
        for question, asked_at, not_sure, vector, unhelpful in rows:
            if not (not_sure or unhelpful):
                continue
            vector = np.frombuffer(vector, dtype=np.float32) if vector else None
            group = next((g for g in groups if _same(g, question, vector)), None)
            if group is None:  # rows come newest first: a group shows its latest wording
                groups.append(
                    {"question": question, "vector": vector, "count": 0, "last": asked_at, "not_sure": 0, "unhelpful": 0}
                )
                group = groups[-1]
            group["count"] += 1
            group["not_sure"] += int(bool(not_sure))
            group["unhelpful"] += int(bool(unhelpful))
        groups.sort(key=lambda g: (-g["count"], -g["last"]))
        return [Unanswered(g["question"], g["count"], g["last"], g["not_sure"], g["unhelpful"]) for g in groups]

    def forget(self, user: str) -> int:
        """Delete ``user``'s questions and votes; returns how many questions were deleted."""
        with self._connect() as connection, connection:
            connection.execute("DELETE FROM votes WHERE user = ?", (user,))
            return connection.execute("DELETE FROM questions WHERE user = ?", (user,)).rowcount

    def export(self, out: TextIO, days: int | None = None, now: float | None = None) -> int:
        """Write the questions of the last ``days`` (all kept when None) as CSV; returns the rows written."""
        since = 0.0 if days is None else (time.time() if now is None else now) - days * 86400
        with self._connect() as connection:
            cursor = connection.execute(
                "SELECT datetime(asked_at, 'unixepoch', 'localtime'), chat_type, language, user, question, document, "
                "section, paragraph, round(confidence, 3), not_sure, CAST(round(seconds * 1000) AS INTEGER), "
                "(SELECT SUM(vote > 0) FROM votes v WHERE v.ref = q.ref), "
                "(SELECT SUM(vote < 0) FROM votes v WHERE v.ref = q.ref) "
                "FROM questions q WHERE asked_at >= ? ORDER BY asked_at",
                (since,),
            )
            writer = csv.writer(out)
            writer.writerow(["asked_at", "chat_type", "language", "user", "question", "document", "section",
                             "paragraph", "confidence", "not_sure", "milliseconds", "helpful", "unhelpful"])
            count = 0
            for row in cursor:
                writer.writerow(["" if value is None else value for value in row])
                count += 1
            return count


def _same(group: dict, question: str, vector: np.ndarray | None) -> bool:
    if vector is None or group["vector"] is None:
        return " ".join(question.lower().split()) == " ".join(group["question"].lower().split())
    return float(vector @ group["vector"]) >= SAME_QUESTION


def _salt(path: Path) -> bytes:
    """The data folder's salt for user hashes, made on first use (and written atomically)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process made one first: theirs is kept
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_bytes()

