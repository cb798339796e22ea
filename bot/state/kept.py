"""What buttons refer to: answers to page through and vote on, uploads awaiting "Replace?", and
questions awaiting an admin's answer (``keep_value``)."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select, update

from bot.state.database import Fallback, kept, reading
from embeddings.search.retrieval import Answer

# Answers kept per chat; a button under an older one asks the user to ask again (about 2 KB each).
ANSWERS_KEPT = 100
# Uploads awaiting "Replace?" per chat: each holds the file's bytes (up to TANYA_MAX_DOCUMENT_MB).
UPLOADS_KEPT = 3
# Other small values per chat and kind (the question groups of /unanswered pages, ForceReply prompts).
VALUES_KEPT = 20


@dataclasses.dataclass
class KeptAnswer:
    """An answer kept for its buttons: the passages, the index they came from, its id in the history,
    the question it answers (for /teach), and the votes on it so far (by user hash: 1 or -1)."""

    answer: Answer
    index_id: str
    ref: str
    question: str
    votes: dict[str, int] = dataclasses.field(default_factory=dict)


def new_id() -> str:
    """A fresh id for something kept, short enough for a button's data. Random, not counted: a button
    from before a restart must not name something new."""
    return secrets.token_hex(4)


class Kept:
    """The things buttons refer to, per chat, newest kept."""

    def __init__(self, engine: Engine, fallback: Fallback, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._fallback, self._clock = engine, fallback, clock

    def keep_answer(self, chat_id: int, answer: KeptAnswer, answer_id: str) -> None:
        """Keep ``answer`` for its buttons under ``answer_id`` (see ``new_id``; the chat's oldest beyond
        ANSWERS_KEPT forgotten). While the database is out of reach it is not kept: its buttons will
        say the answer expired."""
        self._fallback(
            "keeping an answer", None, self._keep, chat_id, "answer", _answer_bytes(answer), ANSWERS_KEPT, answer_id
        )

    def kept_answer(self, chat_id: int, answer_id: str) -> KeptAnswer | None:
        """The answer kept under ``answer_id``, or None when it was forgotten, was kept by a version of tanya
        that kept answers in another form, or the database is out of reach."""
        return self._fallback("reading a kept answer", None, self._kept_answer, chat_id, answer_id)

    def _kept_answer(self, chat_id: int, answer_id: str) -> KeptAnswer | None:
        with reading(self.engine) as connection:
            row = connection.execute(
                select(kept.c.payload, kept.c.votes).where(*_key(chat_id, "answer", answer_id))
            ).first()
        return None if row is None else _answer_from(bytes(row.payload), json.loads(row.votes))

    def vote(self, chat_id: int, answer_id: str, user: str, vote: int) -> tuple[bool, int | None]:
        """Record ``user``'s vote on a kept answer: (whether it is kept, their earlier vote on it)."""
        return self._fallback("recording a vote", (False, None), self._vote, chat_id, answer_id, user, vote)

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

    def keep_value(self, chat_id: int, kind: str, value, thing_id: str | None = None) -> str:
        """Keep a JSON ``value`` of ``kind`` (the chat's oldest of that kind beyond VALUES_KEPT forgotten); its id."""
        return self._keep(chat_id, kind, json.dumps(value, ensure_ascii=False).encode(), VALUES_KEPT, thing_id)

    def kept_value(self, chat_id: int, kind: str, thing_id: str):
        """The value kept under ``thing_id``, or None when it was forgotten."""
        with reading(self.engine) as connection:
            payload = connection.execute(select(kept.c.payload).where(*_key(chat_id, kind, thing_id))).scalar()
        return None if payload is None else json.loads(bytes(payload))

    def _keep(self, chat_id: int, kind: str, payload: bytes, size: int, thing_id: str | None = None) -> str:
        thing_id = thing_id or new_id()
        now = self._clock()
        with self.engine.begin() as connection:
            connection.execute(
                insert(kept).values(chat_id=chat_id, kind=kind, id=thing_id, kept_at=now, payload=payload)
            )
            newest = (
                select(kept.c.id)
                .where(kept.c.chat_id == chat_id, kept.c.kind == kind)
                .order_by(kept.c.kept_at.desc())
                .limit(size)
            )
            connection.execute(
                delete(kept).where(kept.c.chat_id == chat_id, kept.c.kind == kind, kept.c.id.not_in(newest))
            )
        return thing_id


def _key(chat_id: int, kind: str, thing_id: str) -> tuple:
    return kept.c.chat_id == chat_id, kept.c.kind == kind, kept.c.id == thing_id


def _answer_bytes(answer: KeptAnswer) -> bytes:
    kept_with = {"index_id": answer.index_id, "ref": answer.ref, "question": answer.question}
    return json.dumps({**kept_with, "answer": answer.answer.to_data()}, ensure_ascii=False).encode()


def _answer_from(payload: bytes, votes: dict[str, int]) -> KeptAnswer | None:
    """The kept answer; None when it was kept by another version of tanya in a form this one does not read."""
    raw = json.loads(payload)
    answer = Answer.from_data(raw.get("answer"))
    if answer is None:
        return None
    return KeptAnswer(answer, raw["index_id"], raw["ref"], raw["question"], votes)
