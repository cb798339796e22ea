"""Questions handed to a person: the help-desk group (``/helpdesk``), its tickets, and which message
of which chat belongs to which ticket, so that a reply on either side reaches the other."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from bot.state.database import helpdesk, insert_for, reading, ticket_messages, tickets

REPLY_TIMES = 50  # the median reply time is taken over the last this many answered tickets


@dataclasses.dataclass(frozen=True)
class HelpDesk:
    """The group (and forum topic, if any) where questions go to people."""

    chat_id: int
    thread_id: int | None


@dataclasses.dataclass(frozen=True)
class Ticket:
    """A question handed to a person, and where it came from."""

    id: int
    asker_chat_id: int
    asker_id: int
    asker_name: str
    language: str  # the asker's, to tell them in it
    question: str
    question_message_id: int | None  # the asker's message, which the help desk's answer replies to
    guess: str  # the bot's best guess, as shown to the group (document and section), or ""
    group_chat_id: int
    group_message_id: int | None  # the ticket's post in the group
    opened_at: float
    last_at: float  # the last message either way
    answered_at: float | None  # the first reply from the group
    answer: str  # the group's last reply (📌 teaches it), or ""
    closed_at: float | None
    reminded: bool
    note: str  # what went wrong reaching the asker (they blocked the bot), or ""

    @property
    def open(self) -> bool:
        return self.closed_at is None


class Tickets:
    """The help desk and its tickets, shared by every replica (nothing cached: a reply in the group reaches
    the asker whichever replica receives it)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock

    # ---- the help-desk group ----

    def set_desk(self, chat_id: int, thread_id: int | None, by: int) -> None:
        """Make ``chat_id`` (its topic ``thread_id``) the help desk, in place of any other."""
        with self.engine.begin() as connection:
            connection.execute(delete(helpdesk))
            values = dict(id=1, chat_id=chat_id, thread_id=thread_id, set_by=by, set_at=self._clock())
            connection.execute(insert(helpdesk).values(**values))

    def clear_desk(self, chat_id: int | None = None) -> bool:
        """No help desk from now on (only if it is ``chat_id``, when given); False when there was none."""
        with self.engine.begin() as connection:
            statement = delete(helpdesk)
            if chat_id is not None:
                statement = statement.where(helpdesk.c.chat_id == chat_id)
            return connection.execute(statement).rowcount > 0

    def desk(self) -> HelpDesk | None:
        with reading(self.engine) as connection:
            row = connection.execute(select(helpdesk.c.chat_id, helpdesk.c.thread_id)).first()
        return None if row is None else HelpDesk(row.chat_id, row.thread_id)

    # ---- tickets ----

    def open_ticket(
        self,
        asker_chat_id: int,
        asker_id: int,
        asker_name: str,
        language: str,
        question: str,
        question_message_id: int | None,
        guess: str,
        group_chat_id: int,
    ) -> Ticket:
        """A new ticket for ``question``; its post in the group is recorded with ``posted``."""
        now = self._clock()
        with self.engine.begin() as connection:
            ticket_id = connection.execute(
                insert(tickets).values(
                    asker_chat_id=asker_chat_id,
                    asker_id=asker_id,
                    asker_name=asker_name,
                    language=language,
                    question=question,
                    question_message_id=question_message_id,
                    guess=guess,
                    group_chat_id=group_chat_id,
                    opened_at=now,
                    last_at=now,
                )
            ).inserted_primary_key[0]
        return self.ticket(int(ticket_id))

    def open_for(self, asker_chat_id: int, question: str) -> Ticket | None:
        """The open ticket of this chat for this very question, if any (a second 🙋 opens none)."""
        with reading(self.engine) as connection:
            ticket_id = connection.execute(
                select(tickets.c.id).where(
                    tickets.c.asker_chat_id == asker_chat_id,
                    tickets.c.question == question,
                    tickets.c.closed_at.is_(None),
                )
            ).scalar()
        return None if ticket_id is None else self.ticket(ticket_id)

    def posted(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        """The ticket's post in the group is ``message_id``: replies to it belong to the ticket."""
        with self.engine.begin() as connection:
            connection.execute(update(tickets).where(tickets.c.id == ticket_id).values(group_message_id=message_id))
            self._link(connection, ticket_id, chat_id, message_id)

    def link(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        """``message_id`` in ``chat_id`` belongs to the ticket (a reply to it continues the ticket)."""
        with self.engine.begin() as connection:
            self._link(connection, ticket_id, chat_id, message_id)

    def _link(self, connection, ticket_id: int, chat_id: int, message_id: int) -> None:
        statement = insert_for(connection)(ticket_messages).values(
            chat_id=chat_id, message_id=message_id, ticket_id=ticket_id
        )
        connection.execute(statement.on_conflict_do_nothing(index_elements=["chat_id", "message_id"]))

    def of_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a message belongs to, or None."""
        with reading(self.engine) as connection:
            ticket_id = connection.execute(
                select(ticket_messages.c.ticket_id).where(
                    ticket_messages.c.chat_id == chat_id, ticket_messages.c.message_id == message_id
                )
            ).scalar()
        return None if ticket_id is None else self.ticket(ticket_id)

    def ticket(self, ticket_id: int) -> Ticket | None:
        with reading(self.engine) as connection:
            row = connection.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        return None if row is None else _ticket(row)

    def replied(self, ticket_id: int, answer: str) -> Ticket:
        """The group replied ``answer`` (it reached the asker): the ticket's answer, and its first reply time."""
        now = self._clock()
        with self.engine.begin() as connection:
            connection.execute(
                update(tickets)
                .where(tickets.c.id == ticket_id)
                .values(answer=answer, last_at=now, closed_at=None, note="")
            )
            connection.execute(
                update(tickets)
                .where(tickets.c.id == ticket_id, tickets.c.answered_at.is_(None))
                .values(answered_at=now)
            )
        return self.ticket(ticket_id)

    def touched(self, ticket_id: int, note: str | None = None) -> None:
        """A message on the ticket (the asker's follow-up), or ``note``: what went wrong reaching the asker."""
        values = {"last_at": self._clock()} if note is None else {"note": note}
        with self.engine.begin() as connection:
            connection.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))

    def close(self, ticket_id: int) -> bool:
        """Close the ticket; False when it was closed already (or is unknown)."""
        with self.engine.begin() as connection:
            return (
                connection.execute(
                    update(tickets)
                    .where(tickets.c.id == ticket_id, tickets.c.closed_at.is_(None))
                    .values(closed_at=self._clock())
                ).rowcount
                > 0
            )

    def open_tickets(self) -> list[Ticket]:
        """The open tickets, oldest first."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(tickets).where(tickets.c.closed_at.is_(None)).order_by(tickets.c.opened_at, tickets.c.id)
            ).all()
        return [_ticket(row) for row in rows]

    def counts(self) -> tuple[int, int]:
        """(tickets opened, tickets answered), all time."""
        with reading(self.engine) as connection:
            opened, answered = connection.execute(
                select(func.count(), func.count(tickets.c.answered_at)).select_from(tickets)
            ).one()
        return opened, answered

    def opened_by_day(self, days: list[date]) -> list[int]:
        """How many tickets were opened on each of ``days`` (the server's local dates)."""
        if not days:
            return []
        since = datetime.combine(min(days), datetime.min.time()).timestamp()
        with reading(self.engine) as connection:
            opened = connection.execute(select(tickets.c.opened_at).where(tickets.c.opened_at >= since)).scalars()
            counts = Counter(date.fromtimestamp(moment) for moment in opened)
        return [counts.get(day, 0) for day in days]

    def median_reply_seconds(self) -> float | None:
        """The median time from hand-off to the group's first reply, over the last answered tickets."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(tickets.c.answered_at - tickets.c.opened_at)
                .where(tickets.c.answered_at.is_not(None))
                .order_by(tickets.c.answered_at.desc())
                .limit(REPLY_TIMES)
            ).scalars()
            times = list(rows)
        return statistics.median(times) if times else None

    def due(self, remind_after: float, close_after: float) -> tuple[list[Ticket], list[Ticket]]:
        """(open tickets not answered ``remind_after`` seconds after they were opened and not reminded yet,
        open tickets without a message for ``close_after`` seconds), each marked so that no other replica
        takes it too: reminded, or closed."""
        now = self._clock()
        remind, expired = [], []
        with self.engine.begin() as connection:
            for row in connection.execute(
                select(tickets).where(
                    tickets.c.closed_at.is_(None),
                    tickets.c.answered_at.is_(None),
                    tickets.c.reminded == 0,
                    tickets.c.opened_at <= now - remind_after,
                )
            ).all():
                taken = connection.execute(
                    update(tickets).where(tickets.c.id == row.id, tickets.c.reminded == 0).values(reminded=1)
                )
                if taken.rowcount:
                    remind.append(_ticket(row))
            for row in connection.execute(
                select(tickets).where(tickets.c.closed_at.is_(None), tickets.c.last_at <= now - close_after)
            ).all():
                taken = connection.execute(
                    update(tickets).where(tickets.c.id == row.id, tickets.c.closed_at.is_(None)).values(closed_at=now)
                )
                if taken.rowcount:
                    expired.append(_ticket(row))
        return remind, expired


def _ticket(row) -> Ticket:
    return Ticket(
        id=row.id,
        asker_chat_id=row.asker_chat_id,
        asker_id=row.asker_id,
        asker_name=row.asker_name,
        language=row.language,
        question=row.question,
        question_message_id=row.question_message_id,
        guess=row.guess,
        group_chat_id=row.group_chat_id,
        group_message_id=row.group_message_id,
        opened_at=row.opened_at,
        last_at=row.last_at,
        answered_at=row.answered_at,
        answer=row.answer,
        closed_at=row.closed_at,
        reminded=bool(row.reminded),
        note=row.note,
    )
