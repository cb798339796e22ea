"""What the bot learns from use: the questions asked, the answers given and the votes on them.

Kept in the shared database (``bot.state.database``). Users are stored as a salted hash, never as
Telegram ids. Writes go through one thread fed by a bounded queue, so answering never waits for
the database: when the queue is full, a row is dropped and counted. Rows are written together, at
most LINGER_SECONDS after they were queued: one transaction a second rather than one per question.
A database that is out of reach (locked, restarting, lost) is retried until it is back; a SQLite
file that is damaged is moved aside and a new one started. Either way the bot goes on answering,
and the trouble is logged and counted.

Daily counters (questions, "not sure", votes, by document) are kept however long rows are:
``days`` = 0 stores nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import queue
import secrets
import statistics
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
from sqlalchemy import Connection, Engine, delete, exists, func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.metrics import DATABASE_ERRORS, DATABASE_RETRIES
from bot.spreadsheets import CsvWriter
from bot.state.database import (
    daily,
    insert_for,
    is_damaged,
    is_unavailable,
    migrate,
    questions,
    reading,
    reason,
    unpooled,
    votes,
)
from embeddings.collections import collection_of

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000  # rows waiting to be written; beyond it new ones are dropped (and counted)
RETRY_SECONDS = 5.0
# How long a row may wait to be written with the rows after it. The writer is a thread of the answering
# process: each transaction it runs holds Python's lock for a moment an answer has to wait, so they are few.
LINGER_SECONDS = 1.0
SAME_QUESTION = 0.9  # cosine above which two questions count as one in /unanswered
PRUNE_SECONDS = 3600.0


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
    source: str = "documents"  # or "taught": the admins' taught answer was given


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
    taught: int  # answered from the admins' taught answers
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
class Day:
    """One day's counts, for /stats's chart."""

    day: date
    questions: int
    not_sure: int
    helpful: int
    unhelpful: int


@dataclasses.dataclass(frozen=True)
class Unanswered:
    """A question asked (in near-identical words) ``count`` times that got "not sure" or 👎."""

    question: str  # as last asked
    count: int
    last_asked: float
    not_sure: int
    unhelpful: int
    wordings: tuple[str, ...]  # each distinct wording, latest first
    vector: np.ndarray | None  # of the latest wording


def new_ref() -> str:
    """A fresh id for an answer: random, so ids from before a restart never name a new answer."""
    return secrets.token_hex(8)


def today(moment: float | None = None) -> str:
    return date.fromtimestamp(time.time() if moment is None else moment).isoformat()


class History:
    """The history in the shared database. ``start()`` begins writing; ``close()`` flushes and stops."""

    def __init__(self, engine: Engine, days: int, salt: bytes, queue_size: int = QUEUE_SIZE) -> None:
        self.engine = engine
        self._writing = unpooled(engine)
        self.days = days
        self._salt = salt
        self._queue: queue.Queue[Asked | Vote | None] = queue.Queue(queue_size)
        self.dropped = 0  # rows not written: the queue was full, or the database was lost at shutdown
        self.retried = 0  # batches written again after the database was out of reach
        self._writer = threading.Thread(target=self._write_loop, name="history-writer", daemon=True)
        self._hurry = threading.Event()  # set: write what is queued now, without lingering
        self._last_prune = float("-inf")  # the first write prunes

    # ---- writing (never blocks the caller) -------------------------------------------------

    def start(self) -> History:
        self._writer.start()
        return self

    @property
    def waiting(self) -> int:
        """Rows queued or being written, not yet in the database."""
        return self._queue.unfinished_tasks

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting up to ``timeout``) and stop the writer."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._hurry.set()
            self._writer.join(timeout)

    def user(self, user_id: int) -> str:
        """The salted hash a user is stored as."""
        return hashlib.sha256(self._salt + str(user_id).encode()).hexdigest()[:32]

    def record(self, entry: Asked | Vote) -> None:
        """Queue ``entry`` to be written; when the queue is full it is dropped and counted."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self._drop(1, "the database is not keeping up")

    def _drop(self, count: int, why: str) -> None:
        before, self.dropped = self.dropped, self.dropped + count
        if before == 0 or before // 1000 != self.dropped // 1000:
            logger.warning("history: %d rows dropped in all, %s", self.dropped, why)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or given up); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            self._hurry.set()
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
                self._hurry.wait(LINGER_SECONDS)
                self._hurry.clear()
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
                self._drop(len(pending), "the database was out of reach at shutdown")
                for _ in pending:
                    self._queue.task_done()
                break
            else:
                self.retried += 1
                time.sleep(RETRY_SECONDS)

    def _write(self, entries: list[Asked | Vote]) -> bool:
        """Write ``entries`` in one transaction; False when the database is out of reach (to retry them)."""
        try:
            with self._writing.begin() as connection:
                for entry in entries:
                    if isinstance(entry, Asked):
                        self._write_asked(connection, entry)
                    else:
                        self._write_vote(connection, entry)
                if time.monotonic() - self._last_prune > PRUNE_SECONDS:
                    self._prune(connection)
            return True
        except SQLAlchemyError as error:
            if is_unavailable(error):
                logger.warning("history: the database is out of reach (%s); %d rows wait", reason(error), len(entries))
                DATABASE_RETRIES.inc()
                return False
            DATABASE_ERRORS.inc()
            if is_damaged(error):
                logger.error("history: the database is damaged (%s); moving it aside and starting a new one", error)
                self._set_aside()
            else:
                logger.error("history: %d rows not written: %s", len(entries), reason(error))
            self._drop(len(entries), "the database refused them")
        return True  # given up: the rows are dropped

    def _write_asked(self, connection: Connection, entry: Asked) -> None:
        insert = insert_for(connection)
        row = {
            "day": today(entry.asked_at),
            "document": entry.document or "",
            "questions": 1,
            "not_sure": int(entry.not_sure),
            "seconds": entry.seconds,
            "taught": int(entry.source == "taught"),
        }
        statement = insert(daily).values(**row)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "document"],
                set_={
                    "questions": daily.c.questions + 1,
                    "not_sure": daily.c.not_sure + statement.excluded.not_sure,
                    "seconds": daily.c.seconds + statement.excluded.seconds,
                    "taught": daily.c.taught + statement.excluded.taught,
                },
            )
        )
        if self.days > 0:
            vector = None if entry.vector is None else np.asarray(entry.vector, dtype=np.float32).tobytes()
            statement = insert(questions).values(
                ref=entry.ref,
                asked_at=entry.asked_at,
                chat_type=entry.chat_type,
                language=entry.language,
                user=entry.user,
                question=entry.question,
                document=entry.document,
                section=entry.section,
                paragraph=entry.paragraph,
                confidence=entry.confidence,
                not_sure=int(entry.not_sure),
                seconds=entry.seconds,
                vector=vector,
                source=entry.source,
            )
            connection.execute(statement.on_conflict_do_nothing(index_elements=["ref"]))

    def _write_vote(self, connection: Connection, vote: Vote) -> None:
        insert = insert_for(connection)
        helpful = int(vote.vote > 0) - int(vote.previous is not None and vote.previous > 0)
        unhelpful = int(vote.vote < 0) - int(vote.previous is not None and vote.previous < 0)
        statement = insert(daily).values(
            day=today(vote.voted_at), document=vote.document, helpful=helpful, unhelpful=unhelpful
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "document"],
                set_={
                    "helpful": daily.c.helpful + statement.excluded.helpful,
                    "unhelpful": daily.c.unhelpful + statement.excluded.unhelpful,
                },
            )
        )
        if self.days > 0:
            asked = connection.execute(select(questions.c.ref).where(questions.c.ref == vote.ref)).first()
            if asked is not None:
                statement = insert(votes).values(ref=vote.ref, user=vote.user, vote=vote.vote, voted_at=vote.voted_at)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["ref", "user"],
                        set_={"vote": statement.excluded.vote, "voted_at": statement.excluded.voted_at},
                    )
                )

    def _prune(self, connection: Connection) -> None:
        """Delete the rows older than ``days`` (the daily counters stay)."""
        connection.execute(delete(questions).where(questions.c.asked_at < time.time() - self.days * 86400))
        self._last_prune = time.monotonic()

    def _set_aside(self) -> None:
        path = Path(self.engine.url.database)
        self.engine.dispose()  # the pooled connections of the answers' path open the new file from now on
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            damaged = path.with_name(path.name + suffix)
            if damaged.exists():
                damaged.replace(damaged.with_name(f"{path.name}.damaged-{stamp}{suffix}"))
        with self.engine.begin() as connection:  # a new, empty one at once: answers go on being counted
            migrate(connection)

    # ---- reading and deleting (blocking: call from a worker thread) -------------------------

    def usage(self, now: float | None = None, collections: frozenset[str] | None = None) -> Usage:
        """The figures /stats shows; only of the questions answered from ``collections``' documents when
        it is given (taught answers and questions with no passage found are in none)."""
        now = time.time() if now is None else now
        week = (date.fromtimestamp(now) - timedelta(days=6)).isoformat()
        with reading(self.engine) as connection:
            rows = _daily_rows(connection)
            recent = connection.execute(
                select(questions.c.seconds, questions.c.document).where(questions.c.asked_at >= now - 7 * 86400)
            ).all()
        rows = [row for row in rows if _in(row.document, collections)]
        seconds = [row.seconds for row in recent if _in(row.document, collections)]
        by_document: dict[str, int] = {}
        for row in rows:
            if row.document:
                by_document[row.document] = by_document.get(row.document, 0) + row.questions
        return Usage(
            today=sum(row.questions for row in rows if row.day >= today(now)),
            last_7_days=sum(row.questions for row in rows if row.day >= week),
            all_time=sum(row.questions for row in rows),
            not_sure=sum(row.not_sure for row in rows),
            taught=sum(row.taught for row in rows),
            helpful=sum(row.helpful for row in rows),
            unhelpful=sum(row.unhelpful for row in rows),
            median_seconds=statistics.median(seconds) if seconds else None,
            by_document=sorted(((d, n) for d, n in by_document.items() if n > 0), key=lambda item: (-item[1], item[0])),
        )

    def by_day(self, days: int = 30, now: float | None = None, collections: frozenset[str] | None = None) -> list[Day]:
        """Each of the last ``days`` days (today last), with zeros for days without questions; only of
        ``collections``' documents when it is given."""
        last = date.fromtimestamp(time.time() if now is None else now)
        first = last - timedelta(days=days - 1)
        with reading(self.engine) as connection:
            rows = _daily_rows(connection, first.isoformat())
        counts: dict[str, list[int]] = {}
        for row in rows:
            if _in(row.document, collections):
                total = counts.setdefault(row.day, [0, 0, 0, 0])
                for n, value in enumerate((row.questions, row.not_sure, row.helpful, row.unhelpful)):
                    total[n] += int(value)
        return [
            Day(day, *counts.get(day.isoformat(), (0, 0, 0, 0)))
            for day in (first + timedelta(days=offset) for offset in range(days))
        ]

    def unanswered(
        self, days: int = 30, now: float | None = None, collections: frozenset[str] | None = None
    ) -> list[Unanswered]:
        """The questions of the last ``days`` that got "not sure" or a 👎, near-duplicates grouped, most asked
        first; only those whose best passage was in ``collections`` when it is given."""
        now = time.time() if now is None else now
        unhelpful = exists().where(votes.c.ref == questions.c.ref, votes.c.vote < 0)
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(
                    questions.c.question,
                    questions.c.asked_at,
                    questions.c.not_sure,
                    questions.c.vector,
                    unhelpful,
                    questions.c.document,
                )
                .where(questions.c.asked_at >= now - days * 86400)
                .order_by(questions.c.asked_at.desc())
            ).all()
        groups: list[dict] = []
        for question, asked_at, not_sure, vector, was_unhelpful, document in rows:
            if not (not_sure or was_unhelpful) or not _in(document, collections):
                continue
            vector = np.frombuffer(vector, dtype=np.float32) if vector else None
            group = next((g for g in groups if _same(g, question, vector)), None)
            if group is None:  # rows come newest first: a group shows its latest wording
                groups.append(
                    {
                        "question": question,
                        "vector": vector,
                        "count": 0,
                        "last": asked_at,
                        "not_sure": 0,
                        "unhelpful": 0,
                        "wordings": {},
                    }
                )
                group = groups[-1]
            group["wordings"].setdefault(" ".join(question.split()), None)
            group["count"] += 1
            group["not_sure"] += int(bool(not_sure))
            group["unhelpful"] += int(bool(was_unhelpful))
        groups.sort(key=lambda g: (-g["count"], -g["last"]))
        return [
            Unanswered(
                g["question"], g["count"], g["last"], g["not_sure"], g["unhelpful"], tuple(g["wordings"]), g["vector"]
            )
            for g in groups
        ]

    def asked_between(self, user: str, since: float, until: float) -> bool | None:
        """Whether ``user`` (a hash) asked a question after ``since`` and by ``until``; None when questions
        are not kept (TANYA_HISTORY_DAYS=0)."""
        if self.days == 0:
            return None
        with reading(self.engine) as connection:
            found = connection.execute(
                select(questions.c.ref)
                .where(questions.c.user == user, questions.c.asked_at > since, questions.c.asked_at <= until)
                .limit(1)
            ).first()
        return found is not None

    def forget(self, user: str) -> int:
        """Delete ``user``'s questions and votes; returns how many questions were deleted."""
        with self.engine.begin() as connection:
            connection.execute(delete(votes).where(votes.c.user == user))
            return connection.execute(delete(questions).where(questions.c.user == user)).rowcount

    def export(self, out: TextIO, days: int | None = None, now: float | None = None) -> int:
        """Write the questions of the last ``days`` (all kept when None) as CSV; returns the rows written."""
        since = 0.0 if days is None else (time.time() if now is None else now) - days * 86400
        helpful = select(func.count()).where(votes.c.ref == questions.c.ref, votes.c.vote > 0).scalar_subquery()
        unhelpful = select(func.count()).where(votes.c.ref == questions.c.ref, votes.c.vote < 0).scalar_subquery()
        names = (
            "asked_at",
            "chat_type",
            "language",
            "user",
            "question",
            "source",
            "document",
            "section",
            "paragraph",
            "confidence",
            "not_sure",
            "seconds",
        )
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(*(questions.c[name] for name in names), helpful, unhelpful)
                .where(questions.c.asked_at >= since)
                .order_by(questions.c.asked_at)
            )
            writer = CsvWriter(out)
            writer.writerow([*names[:-1], "milliseconds", "helpful", "unhelpful"])
            count = 0
            for row in rows:
                asked_at = datetime.fromtimestamp(row.asked_at).strftime("%Y-%m-%d %H:%M:%S")
                values = [
                    asked_at,
                    *row[1:9],
                    round(row.confidence, 3),
                    row.not_sure,
                    round(row.seconds * 1000),
                    row[12] or "",
                    row[13] or "",
                ]
                writer.writerow(["" if value is None else value for value in values])
                count += 1
            return count


def _daily_rows(connection: Connection, since: str = "") -> list:
    """The daily counts by document from the day ``since`` (YYYY-MM-DD; "": all)."""
    columns = (daily.c.day, daily.c.document, daily.c.questions, daily.c.not_sure, daily.c.helpful, daily.c.unhelpful)
    return connection.execute(select(*columns, daily.c.taught).where(daily.c.day >= since)).all()


def _in(document: str | None, collections: frozenset[str] | None) -> bool:
    """Whether a question answered from ``document`` ("" or None: from none) counts for ``collections``."""
    return collections is None or (bool(document) and collection_of(document) in collections)


def _same(group: dict, question: str, vector: np.ndarray | None) -> bool:
    if vector is None or group["vector"] is None:
        return " ".join(question.lower().split()) == " ".join(group["question"].lower().split())
    return float(vector @ group["vector"]) >= SAME_QUESTION
