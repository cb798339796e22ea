"""Webhook updates already handled, so that one Telegram delivers again is not answered twice."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, func, select

from bot.state.database import deliveries, insert_for, reading

DELIVERIES_KEPT_SECONDS = 86400.0  # Telegram gives up re-delivering an update long before this
PRUNE_SECONDS = 600.0  # how often older records are forgotten


class Deliveries:
    """The handled updates, shared by the replicas."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self._last_prune = float("-inf")

    def handled(self, update_id: int) -> bool:
        """Whether some replica already handled the update ``update_id``."""
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
            if time.monotonic() - self._last_prune >= PRUNE_SECONDS:
                self._last_prune = time.monotonic()
                connection.execute(delete(deliveries).where(deliveries.c.handled_at < now - DELIVERIES_KEPT_SECONDS))
