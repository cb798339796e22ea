"""The answers admins taught, kept in the shared database: the source of truth every replica follows."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from bot.state.collections import read_back, stored
from bot.state.database import (
    insert_for,
    reading,
    taught_answers,
    taught_questions,
    taught_revision,
    taught_suggestions,
)
from embeddings.polling import Poller
from embeddings.search.taught import TaughtAnswer

FOLLOW_SECONDS = 2.0  # how often a replica looks for answers taught or removed through another
SETTLE_SECONDS = 60.0  # a tapped answer not followed by another question within this is taken as the answer
SUGGESTIONS_SHOWN = 5  # suggested wordings of one taught answer listed at a time, the oldest first


@dataclass(frozen=True)
class Suggestion:
    """A wording people used for a taught answer, waiting for an admin's ✅ or ✖."""

    id: int
    taught_id: int
    question: str


def _revised(connection) -> None:
    """Bump the revision, within the caller's transaction."""
    statement = insert_for(connection)(taught_revision).values(id=1, revision=1)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_={"revision": taught_revision.c.revision + 1})
    )


def _move_question(connection: Connection, taught_id: int, question: str) -> None:
    """``question`` is asked of ``taught_id`` from now on, and of no other taught answer."""
    connection.execute(delete(taught_questions).where(taught_questions.c.question == question))
    connection.execute(insert(taught_questions).values(taught_id=taught_id, question=question))


def _drop_unasked(connection: Connection) -> None:
    """Remove the taught answers left without a question (their last one moved to another answer)."""
    asked = select(taught_questions.c.taught_id).distinct()
    connection.execute(delete(taught_answers).where(taught_answers.c.id.not_in(asked)))


def _teach_wording(connection: Connection, taught_id: int, question: str) -> None:
    _move_question(connection, taught_id, question)
    _drop_unasked(connection)
    _revised(connection)


class Taught:
    """Taught answers: teach, remove, list, and follow the changes other replicas make."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self._poller: Poller | None = None

    def teach(self, questions: list[str], answer: str, by: int, collections: frozenset[str] | None = None) -> int:
        """Teach ``answer`` for ``questions``, given to chats reading one of ``collections`` (None: to
        everyone); its id. An answer taught before in the same words gains the questions (and the
        collections); a question taught before with another answer has this one from now on."""
        return self.teach_many([(questions, answer)], by, collections)[0]

    def teach_many(
        self, taught: list[tuple[list[str], str]], by: int, collections: frozenset[str] | None = None
    ) -> list[int]:
        """Teach each ``(questions, answer)`` in one transaction (as ``teach``): all of them, or none; their ids."""
        ids = []
        with self.engine.begin() as connection:
            for questions, answer in taught:
                row = connection.execute(
                    select(taught_answers.c.id, taught_answers.c.collections).where(taught_answers.c.answer == answer)
                ).first()
                if row is None:
                    taught_id = connection.execute(
                        insert(taught_answers).values(
                            answer=answer, taught_by=by, taught_at=self._clock(), collections=stored(collections)
                        )
                    ).inserted_primary_key[0]
                else:
                    taught_id, before = row.id, read_back(row.collections)
                    widened = None if before is None or collections is None else before | collections
                    connection.execute(
                        update(taught_answers)
                        .where(taught_answers.c.id == taught_id)
                        .values(collections=stored(widened))
                    )
                known = set(
                    connection.execute(
                        select(taught_questions.c.question).where(taught_questions.c.taught_id == taught_id)
                    ).scalars()
                )
                for question in dict.fromkeys(" ".join(q.split()) for q in questions):
                    if question and question not in known:
                        _move_question(connection, taught_id, question)
                ids.append(int(taught_id))
            _drop_unasked(connection)
            _revised(connection)
        return ids

    def remove(self, taught_id: int) -> bool:
        """Forget the taught answer ``taught_id``; False when there was none."""
        with self.engine.begin() as connection:
            connection.execute(delete(taught_questions).where(taught_questions.c.taught_id == taught_id))
            removed = connection.execute(delete(taught_answers).where(taught_answers.c.id == taught_id)).rowcount > 0
            _revised(connection)
            return removed

    # ---- wordings learned from use --------------------------------------------------------

    def tapped(self, taught_id: int, question: str, user: str, chat_id: int, answer_id: str) -> None:
        """``user`` (a hash) tapped the taught answer ``taught_id`` offered for ``question`` under the
        kept answer ``answer_id``: the wording waits for their 👍, 👎 or silence (``settle``)."""
        question = " ".join(question.split())
        with self.engine.begin() as connection:
            if self._known(connection, taught_id, question):
                return
            connection.execute(
                delete(taught_suggestions).where(
                    taught_suggestions.c.chat_id == chat_id,
                    taught_suggestions.c.answer_id == answer_id,
                    taught_suggestions.c.state == "tapped",
                )
            )
            connection.execute(
                insert(taught_suggestions).values(
                    taught_id=taught_id,
                    question=question,
                    state="tapped",
                    user=user,
                    chat_id=chat_id,
                    answer_id=answer_id,
                    at=self._clock(),
                )
            )

    def voted(self, chat_id: int, answer_id: str, helpful: bool, auto: bool) -> bool:
        """A vote on the kept answer ``answer_id``: 👍 keeps the wording tapped under it (taught at once when
        ``auto``, else suggested), 👎 drops it. True when the taught answers changed."""
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(taught_suggestions).where(
                    taught_suggestions.c.chat_id == chat_id,
                    taught_suggestions.c.answer_id == answer_id,
                    taught_suggestions.c.state == "tapped",
                )
            ).all()
            if not helpful:
                for row in rows:
                    connection.execute(delete(taught_suggestions).where(taught_suggestions.c.id == row.id))
                return False
            return any([self._keep(connection, row, auto) for row in rows])

    def settle(self, asked_again: Callable[[str, float, float], bool | None], auto: bool) -> bool:
        """Decide the wordings tapped SETTLE_SECONDS ago or more with no vote: kept (as ``voted`` keeps
        them) when ``asked_again(user, since, until)`` is False, dropped when the user asked again then or
        it cannot tell (None). Each replica may call it; each wording is decided once. True when the
        taught answers changed."""
        due = self._clock() - SETTLE_SECONDS
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(taught_suggestions).where(taught_suggestions.c.state == "tapped", taught_suggestions.c.at <= due)
            ).all()
        changed = False
        for row in rows:
            keep = asked_again(row.user, row.at, row.at + SETTLE_SECONDS) is False
            with self.engine.begin() as connection:
                if keep:
                    changed |= self._keep(connection, row, auto)
                else:
                    connection.execute(
                        delete(taught_suggestions).where(
                            taught_suggestions.c.id == row.id, taught_suggestions.c.state == "tapped"
                        )
                    )
        return changed

    def forget(self, user: str) -> None:
        """Delete the wordings ``user`` (a hash) tapped, whatever became of them (/forget)."""
        with self.engine.begin() as connection:
            connection.execute(delete(taught_suggestions).where(taught_suggestions.c.user == user))

    def suggestions(self) -> dict[int, list[Suggestion]]:
        """The suggested wordings by taught answer id, oldest first."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(taught_suggestions.c.id, taught_suggestions.c.taught_id, taught_suggestions.c.question)
                .where(taught_suggestions.c.state == "suggested")
                .order_by(taught_suggestions.c.id)
            ).all()
        suggested: dict[int, list[Suggestion]] = {}
        for row in rows:
            suggested.setdefault(row.taught_id, []).append(Suggestion(row.id, row.taught_id, row.question))
        return suggested

    def approve(self, suggestion_id: int) -> bool:
        """✅: the suggested wording becomes a question of its taught answer (leaving any other answer it
        had). False when it is no longer suggested."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(taught_suggestions).where(
                    taught_suggestions.c.id == suggestion_id, taught_suggestions.c.state == "suggested"
                )
            ).first()
            if row is None:
                return False
            connection.execute(delete(taught_suggestions).where(taught_suggestions.c.id == row.id))
            _teach_wording(connection, row.taught_id, row.question)
            return True

    def reject(self, suggestion_id: int) -> bool:
        """✖: the suggested wording is dropped, and not suggested for that answer again. False when it is
        no longer suggested."""
        with self.engine.begin() as connection:
            return (
                connection.execute(
                    update(taught_suggestions)
                    .where(taught_suggestions.c.id == suggestion_id, taught_suggestions.c.state == "suggested")
                    .values(state="rejected")
                ).rowcount
                > 0
            )

    def _keep(self, connection: Connection, row, auto: bool) -> bool:
        """Keep the tapped wording ``row``: taught when ``auto``, else suggested; dropped when that answer
        has it already. Nothing when another replica decided it first. True when the taught answers changed."""
        tapped = (taught_suggestions.c.id == row.id) & (taught_suggestions.c.state == "tapped")
        if auto or self._known(connection, row.taught_id, row.question):
            taken = connection.execute(delete(taught_suggestions).where(tapped)).rowcount
            if not taken or not auto or self._known(connection, row.taught_id, row.question):
                return False
            _teach_wording(connection, row.taught_id, row.question)
            return True
        connection.execute(update(taught_suggestions).where(tapped).values(state="suggested"))
        return False

    @staticmethod
    def _known(connection: Connection, taught_id: int, question: str) -> bool:
        """Whether ``question`` is a question of ``taught_id`` already, or suggested or rejected for it."""
        asked = connection.execute(
            select(taught_questions.c.question).where(
                taught_questions.c.taught_id == taught_id, taught_questions.c.question == question
            )
        ).first()
        decided = connection.execute(
            select(taught_suggestions.c.id).where(
                taught_suggestions.c.taught_id == taught_id,
                taught_suggestions.c.question == question,
                taught_suggestions.c.state != "tapped",
            )
        ).first()
        return asked is not None or decided is not None

    def listing(self) -> list[TaughtAnswer]:
        """Every taught answer, oldest first, its questions in alphabetical order."""
        with reading(self.engine) as connection:
            answers = connection.execute(
                select(
                    taught_answers.c.id,
                    taught_answers.c.answer,
                    taught_answers.c.taught_at,
                    taught_answers.c.collections,
                ).order_by(taught_answers.c.id)
            ).all()
            questions: dict[int, list[str]] = {}
            for taught_id, question in connection.execute(
                select(taught_questions.c.taught_id, taught_questions.c.question).order_by(
                    taught_questions.c.taught_id, taught_questions.c.question
                )
            ):
                questions.setdefault(taught_id, []).append(question)
        return [
            TaughtAnswer(
                row.id,
                row.answer,
                row.taught_at,
                tuple(questions.get(row.id, ())),
                tuple(sorted(read_back(row.collections) or ())),
            )
            for row in answers
        ]

    def version(self) -> int:
        """The revision: it changes in the transaction of every change (an answer taught, a question moved
        between answers, an answer removed), so no change goes unseen."""
        with reading(self.engine) as connection:
            return connection.execute(select(func.coalesce(func.max(taught_revision.c.revision), 0))).scalar_one()

    def follow(self, changed: Callable[[list[TaughtAnswer]], None], every: float = FOLLOW_SECONDS) -> None:
        """Call ``changed`` with the taught answers now, and again whenever they change (from a thread,
        until ``stop``); a database out of reach is retried."""
        seen = [None]

        def check() -> None:
            version = self.version()
            if version != seen[0]:
                changed(self.listing())
                seen[0] = version

        self._poller = Poller("follow the taught answers in the database", check, every, now=True)
        self._poller.start()

    def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()
