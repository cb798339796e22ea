"""Which collections (``embeddings.collections``) a chat reads: the groups an admin bound with
/collection, shared by every replica. (What a member reads is kept with the member: ``bot.state.members``.)"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

from bot.state.database import chat_collections, insert_for, reading, reason

logger = logging.getLogger(__name__)


def stored(collections: Iterable[str] | None) -> str:
    """Collections as a column keeps them: a JSON list, sorted; "" for every collection (None)."""
    return "" if collections is None else json.dumps(sorted(set(collections)), ensure_ascii=False)


def read_back(value: str | None) -> frozenset[str] | None:
    """What ``stored`` wrote: the collections, or None for every one."""
    return frozenset(json.loads(value)) if value else None


class Bindings:
    """The groups bound to collections. A group's binding is read on each of its updates (a change holds at
    once on every replica); while the database is out of reach the last one read is used, and a group not
    read before reads nothing (it might be bound)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self._known: dict[int, frozenset[str] | None] = {}  # each group's binding, as last read

    def bind(self, chat_id: int, collections: Iterable[str], by: int) -> None:
        """``chat_id`` reads only ``collections`` from now on (replacing what it read)."""
        value = stored(collections)
        with self.engine.begin() as connection:
            statement = insert_for(connection)(chat_collections).values(
                chat_id=chat_id, collections=value, set_by=by, set_at=self._clock()
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["chat_id"],
                    set_={"collections": value, "set_by": by, "set_at": statement.excluded.set_at},
                )
            )
        self._known[chat_id] = read_back(value)

    def unbind(self, chat_id: int) -> bool:
        """``chat_id`` reads every collection again; False when it was not bound."""
        with self.engine.begin() as connection:
            removed = connection.execute(delete(chat_collections).where(chat_collections.c.chat_id == chat_id))
        self._known[chat_id] = None
        return removed.rowcount > 0

    def bound(self, chat_id: int) -> frozenset[str] | None:
        """The collections ``chat_id`` is bound to; None when it reads every one."""
        try:
            with reading(self.engine) as connection:
                value = connection.execute(
                    select(chat_collections.c.collections).where(chat_collections.c.chat_id == chat_id)
                ).scalar()
        except SQLAlchemyError as error:
            fallback = self._known.get(chat_id, frozenset())
            logger.warning("collections: the database failed, chat %d reads as last seen: %s", chat_id, reason(error))
            return fallback
        self._known[chat_id] = read_back(value)
        return self._known[chat_id]
