"""The answers admins taught, kept in the shared database: the source of truth every replica follows."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, func, insert, select

from bot.state.database import insert_for, reading, taught_answers, taught_questions, taught_revision
from embeddings.polling import Poller
from embeddings.search.taught import TaughtAnswer

FOLLOW_SECONDS = 2.0  # how often a replica looks for answers taught or removed through another


def _revised(connection) -> None:
    """Bump the revision, within the caller's transaction."""
    statement = insert_for(connection)(taught_revision).values(id=1, revision=1)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_={"revision": taught_revision.c.revision + 1})
    )


class Taught:
    """Taught answers: teach, remove, list, and follow the changes other replicas make."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self._poller: Poller | None = None

    def teach(self, questions: list[str], answer: str, by: int) -> int:
        """Teach ``answer`` for ``questions``; its id. An answer taught before in the same words gains the
        questions; a question taught before with another answer has this one from now on."""
        return self.teach_many([(questions, answer)], by)[0]

    def teach_many(self, taught: list[tuple[list[str], str]], by: int) -> list[int]:
        """Teach each ``(questions, answer)`` in one transaction: all of them, or none; their ids."""
        ids = []
        with self.engine.begin() as connection:
            for questions, answer in taught:
                taught_id = connection.execute(
                    select(taught_answers.c.id).where(taught_answers.c.answer == answer)
                ).scalar()
                if taught_id is None:
                    taught_id = connection.execute(
                        insert(taught_answers).values(answer=answer, taught_by=by, taught_at=self._clock())
                    ).inserted_primary_key[0]
                known = set(
                    connection.execute(
                        select(taught_questions.c.question).where(taught_questions.c.taught_id == taught_id)
                    ).scalars()
                )
                for question in dict.fromkeys(" ".join(q.split()) for q in questions):
                    if question and question not in known:
                        connection.execute(delete(taught_questions).where(taught_questions.c.question == question))
                        connection.execute(insert(taught_questions).values(taught_id=taught_id, question=question))
                ids.append(int(taught_id))
            asked = select(taught_questions.c.taught_id).distinct()
            connection.execute(delete(taught_answers).where(taught_answers.c.id.not_in(asked)))
            _revised(connection)
        return ids

    def remove(self, taught_id: int) -> bool:
        """Forget the taught answer ``taught_id``; False when there was none."""
        with self.engine.begin() as connection:
            connection.execute(delete(taught_questions).where(taught_questions.c.taught_id == taught_id))
            removed = connection.execute(delete(taught_answers).where(taught_answers.c.id == taught_id)).rowcount > 0
            _revised(connection)
            return removed

    def listing(self) -> list[TaughtAnswer]:
        """Every taught answer, oldest first, its questions in alphabetical order."""
        with reading(self.engine) as connection:
            answers = connection.execute(
                select(taught_answers.c.id, taught_answers.c.answer, taught_answers.c.taught_at).order_by(
                    taught_answers.c.id
                )
            ).all()
            questions: dict[int, list[str]] = {}
            for taught_id, question in connection.execute(
                select(taught_questions.c.taught_id, taught_questions.c.question).order_by(
                    taught_questions.c.taught_id, taught_questions.c.question
                )
            ):
                questions.setdefault(taught_id, []).append(question)
        return [TaughtAnswer(row.id, row.answer, row.taught_at, tuple(questions.get(row.id, ()))) for row in answers]

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
