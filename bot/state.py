"""Everything the bot keeps between updates, in the one database all replicas share.

The handlers reach state only through ``State``: the history, the things buttons refer to (answers
to page through and vote on, uploads awaiting "Replace?"), each user's question window, the
reindex lease, and the webhook updates already handled. Nothing is cached in a process, so any
replica can handle any update.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.database import (
    default_url,
    deliveries,
    insert_for,
    kept,
    leases,
    open_database,
    reading,
    reason,
    secrets_table,
    windows,
)
from bot.history import History
from config import Settings
from embeddings.documents.passages import Passage
from embeddings.search.retrieval import Answer, Hit

logger = logging.getLogger(__name__)

SALT_FILE = "history-salt"  # where a one-machine install kept its salt before the database held it
# Answers kept per chat; a button under an older one asks the user to ask again (about 2 KB each).
ANSWERS_KEPT = 100
# Uploads awaiting "Replace?" per chat: each holds the file's bytes (up to TANYA_MAX_DOCUMENT_MB).
UPLOADS_KEPT = 3
WINDOW_SECONDS = 60.0  # the per-user limit counts the questions of any such window
LEASE_SECONDS = 60.0  # a lease not renewed for this long is free (its holder died); renewed every third of it
DELIVERIES_KEPT_SECONDS = 86400.0  # Telegram gives up re-delivering an update long before this
PRUNE_SECONDS = 600.0


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether a question may be answered; if not, how long to wait and whether to say so."""

    admitted: bool
    wait: float = 0.0
    tell: bool = False  # the first refusal since the user was last told


@dataclasses.dataclass
class KeptAnswer:
    """An answer kept for its buttons: the passages, the index they came from, its id in the history,
    and the votes on it so far (by user hash: 1 or -1)."""

    answer: Answer
    index_id: str
    ref: str
    votes: dict[str, int] = dataclasses.field(default_factory=dict)


class Lease:
    """A held lease, renewed in the background until ``release()``."""

    def __init__(self, state: State, name: str, holder: str) -> None:
        self.name, self.holder, self._state = name, holder, state
        self._released = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        while not self._released.wait(LEASE_SECONDS / 3):
            try:
                if not self._state._claim(self.name, self.holder):
                    logger.error("lost the %s lease (the database says another replica holds it)", self.name)
            except Exception as error:  # noqa: BLE001 - renewal is retried; the lease lasts LEASE_SECONDS
                logger.warning("could not renew the %s lease: %s", self.name, error)

    def release(self) -> None:
        self._released.set()
        try:
            with self._state.engine.begin() as connection:
                connection.execute(delete(leases).where(leases.c.name == self.name, leases.c.holder == self.holder))
        except Exception as error:  # noqa: BLE001 - it expires by itself
            logger.warning("could not release the %s lease (it expires in %.0f s): %s", self.name, LEASE_SECONDS, error)


class State:
    """The shared state of one bot: in ``engine``'s database, for as many replicas as run."""

    def __init__(self, engine: Engine, history_days: int, per_minute: int, salt_file: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.per_minute = per_minute
        self._clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.history = History(engine, history_days, self._salt(salt_file))
        self._last_prune = float("-inf")
        self.skipped = 0  # operations done without the database while it was out of reach

    @classmethod
    def open(cls, url: str | None, data_dir: Path, history_days: int, per_minute: int) -> State:
        """The state at ``url`` (default: the SQLite file in ``data_dir``); raises bot.database.DatabaseError."""
        return cls(open_database(url or default_url(data_dir)), history_days, per_minute, data_dir / SALT_FILE)

    def close(self) -> None:
        self.history.close()
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers (readiness)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _salt(self, legacy: Path | None) -> bytes:
        """The salt for user hashes: made on first use (or taken from a one-machine install's file), the same for every replica."""
        fresh = legacy.read_bytes() if legacy is not None and legacy.exists() else secrets.token_bytes(32)
        with self.engine.begin() as connection:
            stored = connection.execute(select(secrets_table.c.value).where(secrets_table.c.name == "user-salt")).first()
            if stored is None:
                connection.execute(insert(secrets_table).values(name="user-salt", value=fresh))
                return fresh
            return bytes(stored[0])

    def _or_else(self, what: str, fallback, call, *args):
        """``call(*args)``, or ``fallback`` (logged and counted) while the database is out of reach:
        answering goes on without it."""
        try:
            return call(*args)
        except SQLAlchemyError as error:
            self.skipped += 1
            logger.warning("state: %s skipped (%d in all), the database failed: %s", what, self.skipped, reason(error))
            return fallback

    # ---- what buttons refer to ---------------------------------------------------------------

    def keep_answer(self, chat_id: int, answer: KeptAnswer, answer_id: str) -> None:
        """Keep ``answer`` for its buttons under ``answer_id`` (see ``new_id``; the chat's oldest beyond
        ANSWERS_KEPT forgotten). While the database is out of reach it is not kept: its buttons will
        say the answer expired."""
        self._or_else("keeping an answer", None, self._keep, chat_id, "answer", _answer_bytes(answer), ANSWERS_KEPT,
                      answer_id)

    def kept_answer(self, chat_id: int, answer_id: str) -> KeptAnswer | None:
        """The answer kept under ``answer_id``, or None when it was forgotten (or the database is out of reach)."""
        return self._or_else("reading a kept answer", None, self._kept_answer, chat_id, answer_id)

    def _kept_answer(self, chat_id: int, answer_id: str) -> KeptAnswer | None:
        with reading(self.engine) as connection:
            row = connection.execute(
                select(kept.c.payload, kept.c.votes).where(*_key(chat_id, "answer", answer_id))
            ).first()
        return None if row is None else _answer_from(bytes(row.payload), json.loads(row.votes))

    def vote(self, chat_id: int, answer_id: str, user: str, vote: int) -> tuple[bool, int | None]:
        """Record ``user``'s vote on a kept answer: (whether it is kept, their earlier vote on it)."""
        return self._or_else("recording a vote", (False, None), self._vote, chat_id, answer_id, user, vote)

    def _vote(self, chat_id: int, answer_id: str, user: str, vote: int) -> tuple[bool, int | None]:
        with self.engine.begin() as connection:
            row = connection.execute(
                select(kept.c.votes).where(*_key(chat_id, "answer", answer_id)).with_for_update()
            ).first()
            if row is None:
                return False, None
            votes = json.loads(row.votes)
            previous = votes.get(user)
            if previous != vote:
                votes[user] = vote
                connection.execute(
                    update(kept).where(*_key(chat_id, "answer", answer_id)).values(votes=json.dumps(votes))
                )
            return True, previous

    def keep_upload(self, chat_id: int, name: str, data: bytes) -> str:
        """Keep a file awaiting "Replace?" (the chat's oldest beyond UPLOADS_KEPT forgotten); returns its id."""
        return self._keep(chat_id, "upload", name.encode() + b"\0" + data, UPLOADS_KEPT)

    def take_upload(self, chat_id: int, upload_id: str) -> tuple[str, bytes] | None:
        """The file kept under ``upload_id``, forgotten now; None when it was forgotten already."""
        with self.engine.begin() as connection:
            row = connection.execute(
                delete(kept).where(*_key(chat_id, "upload", upload_id)).returning(kept.c.payload)
            ).first()
        if row is None:
            return None
        name, _, data = bytes(row.payload).partition(b"\0")
        return name.decode(), data

    def _keep(self, chat_id: int, kind: str, payload: bytes, size: int, thing_id: str | None = None) -> str:
        thing_id = thing_id or new_id()
        now = self._clock()
        with self.engine.begin() as connection:
            connection.execute(insert(kept).values(chat_id=chat_id, kind=kind, id=thing_id, kept_at=now, payload=payload))
            newest = (
                select(kept.c.id).where(kept.c.chat_id == chat_id, kept.c.kind == kind)
                .order_by(kept.c.kept_at.desc()).limit(size)
            )
            connection.execute(
                delete(kept).where(kept.c.chat_id == chat_id, kept.c.kind == kind, kept.c.id.not_in(newest))
            )
        return thing_id

    # ---- the per-user limit ------------------------------------------------------------------

    def admit(self, user: str) -> Verdict:
        """Count a question from ``user`` (a hash) if it is within ``per_minute`` in any WINDOW_SECONDS; 0: no
        limit. While the database is out of reach every question is admitted."""
        if self.per_minute == 0:
            return Verdict(True)
        return self._or_else("the per-user limit", Verdict(True), self._admit, user)

    def _admit(self, user: str) -> Verdict:
        now = self._clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(windows.c.asked, windows.c.told_until).where(windows.c.user == user).with_for_update()
            ).first()
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(windows).values(user=user, asked=json.dumps([now]), told_until=0.0, last_asked=now)
                        )
                    self._prune(connection, now)
                    return Verdict(True)
                except IntegrityError:  # another replica's first question from this user, at the same moment
                    row = connection.execute(
                        select(windows.c.asked, windows.c.told_until).where(windows.c.user == user).with_for_update()
                    ).one()
            asked = [moment for moment in json.loads(row.asked) if moment > now - WINDOW_SECONDS]
            if len(asked) < self.per_minute:
                asked.append(now)
                connection.execute(
                    update(windows).where(windows.c.user == user).values(asked=json.dumps(asked), last_asked=now)
                )
                return Verdict(True)
            wait = asked[0] + WINDOW_SECONDS - now
            tell = row.told_until <= now
            if tell:
                connection.execute(update(windows).where(windows.c.user == user).values(told_until=now + wait))
            return Verdict(False, wait, tell)

    def _prune(self, connection, now: float) -> None:
        """Forget the windows of users quiet for a whole window, and old deliveries (every PRUNE_SECONDS)."""
        if time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        connection.execute(delete(windows).where(windows.c.last_asked < now - WINDOW_SECONDS))
        connection.execute(delete(deliveries).where(deliveries.c.handled_at < now - DELIVERIES_KEPT_SECONDS))

    # ---- the reindex lease -------------------------------------------------------------------

    def take_lease(self, name: str) -> Lease | None:
        """The lease ``name`` for this process, or None while another holder's has not expired."""
        return Lease(self, name, self.holder) if self._claim(name, self.holder) else None

    def _claim(self, name: str, holder: str) -> bool:
        now = self._clock()
        with self.engine.begin() as connection:
            row = connection.execute(select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
                                     .with_for_update()).first()
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(insert(leases).values(name=name, holder=holder,
                                                                 expires_at=now + LEASE_SECONDS))
                    return True
                except IntegrityError:
                    return False
            if row.holder != holder and row.expires_at > now:
                return False
            if row.holder != holder:
                logger.warning("the %s lease of %s expired: taking it over", name, row.holder)
            connection.execute(
                update(leases).where(leases.c.name == name).values(holder=holder, expires_at=now + LEASE_SECONDS)
            )
            return True

    # ---- webhook deliveries ------------------------------------------------------------------

    def handled(self, update_id: int) -> bool:
        """Whether some replica already handled the update ``update_id`` (so a re-delivery is not answered twice)."""
        with reading(self.engine) as connection:
            return connection.execute(
                select(func.count()).select_from(deliveries).where(deliveries.c.update_id == update_id)
            ).scalar_one() > 0

    def mark_handled(self, update_ids: list[int]) -> None:
        """Record the updates ``update_ids`` as handled (by this replica, or by another too: a re-delivery)."""
        now = self._clock()
        with self.engine.begin() as connection:
            statement = insert_for(connection)(deliveries).on_conflict_do_nothing(index_elements=["update_id"])
            connection.execute(statement, [{"update_id": update_id, "handled_at": now} for update_id in update_ids])


def new_id() -> str:
    """A fresh id for something kept, short enough for a button's data. Random, not counted: a button
    from before a restart must not name something new."""
    return secrets.token_hex(4)


def open_state(settings: Settings) -> State:
    """The shared state ``settings`` name; raises bot.database.DatabaseError (one line naming the setting)."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return State.open(url, settings.data_dir, settings.history_days, settings.questions_per_minute)


def _key(chat_id: int, kind: str, thing_id: str) -> tuple:
    return kept.c.chat_id == chat_id, kept.c.kind == kind, kept.c.id == thing_id


def _answer_bytes(answer: KeptAnswer) -> bytes:
    found = answer.answer
    return json.dumps({
        "index_id": answer.index_id,
        "ref": answer.ref,
        "hits": [{"passage": dataclasses.asdict(hit.passage), "score": hit.score, "number": hit.number}
                 for hit in found.hits],
        "sentences": found.sentences,
        "confidence": found.confidence,
        "sure": found.sure,
    }, ensure_ascii=False).encode()


def _answer_from(payload: bytes, votes: dict[str, int]) -> KeptAnswer:
    raw = json.loads(payload)
    hits = [Hit(Passage(**hit["passage"]), hit["score"], hit["number"]) for hit in raw["hits"]]
    sentences = [tuple(span) if span else None for span in raw["sentences"]]
    answer = Answer(hits, sentences, confidence=raw["confidence"], sure=raw["sure"])
    return KeptAnswer(answer, raw["index_id"], raw["ref"], votes)
