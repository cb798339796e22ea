"""Webhook updates already handled, so that one Telegram delivers again is not answered twice."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, select, update

from bot.state.database import deliveries, insert_for

DELIVERIES_KEPT_SECONDS = 86400.0  # Telegram gives up re-delivering an update long before this
PRUNE_SECONDS = 600.0  # how often older records are forgotten
CLAIM_SECONDS = 30.0  # an update not handled this long after its claim was claimed by a replica that died


class Claim(enum.Enum):
    MINE = "mine"
    BUSY = "busy"
    DONE = "done"


class Deliveries:
    """The updates claimed and handled, shared by the replicas.

    An update is claimed before it is handled, so copies delivered at once are answered once; and
    marked handled after. A claim not marked handled within ``CLAIM_SECONDS`` is a replica's that died
    while handling it: another replica may take it over, so the update is not lost.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self._last_prune = float("-inf")

    def claim(self, update_id: int) -> Claim:
        """Claim the update ``update_id`` for this replica to handle: ``Claim.MINE`` when it is (new, or
        a dead replica's), ``Claim.BUSY`` while another copy is being handled, ``Claim.DONE`` when handled."""
        now = self._clock()
        with self.engine.begin() as connection:
            statement = insert_for(connection)(deliveries).values(update_id=update_id, handled_at=now, done=0)
            statement = statement.on_conflict_do_nothing(index_elements=["update_id"]).returning(deliveries.c.update_id)
            if connection.execute(statement).first() is not None:  # (rowcount is -1 here on PostgreSQL)
                return Claim.MINE
            row = connection.execute(
                select(deliveries.c.handled_at, deliveries.c.done).where(deliveries.c.update_id == update_id)
            ).one_or_none()
            if row is None or row.done:
                return Claim.DONE  # a row pruned at this moment was handled a day ago
            if now - row.handled_at < CLAIM_SECONDS:
                return Claim.BUSY
            taken = connection.execute(
                update(deliveries)
                .values(handled_at=now)
                .where(
                    deliveries.c.update_id == update_id,
                    deliveries.c.done == 0,
                    deliveries.c.handled_at == row.handled_at,
                )
            )
            return Claim.MINE if taken.rowcount == 1 else Claim.BUSY

    def mark_handled(self, update_ids: list[int]) -> None:
        """Record the updates ``update_ids`` as handled (by this replica, or by another too: a re-delivery)."""
        now = self._clock()
        with self.engine.begin() as connection:
            statement = insert_for(connection)(deliveries)
            statement = statement.on_conflict_do_update(index_elements=["update_id"], set_={"done": 1})
            connection.execute(
                statement, [{"update_id": update_id, "handled_at": now, "done": 1} for update_id in update_ids]
            )
            if time.monotonic() - self._last_prune >= PRUNE_SECONDS:
                self._last_prune = time.monotonic()
                connection.execute(delete(deliveries).where(deliveries.c.handled_at < now - DELIVERIES_KEPT_SECONDS))
