"""Each user's questions of the last minute, for the per-user limit (shared by all replicas)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.state.database import Fallback, windows

WINDOW_SECONDS = 60.0  # the per-user limit counts the questions of any such window
PRUNE_SECONDS = 600.0  # how often the windows of quiet users are forgotten


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether a question may be answered; if not, how long to wait and whether to say so."""

    admitted: bool
    wait: float = 0.0
    tell: bool = False  # the first refusal since the user was last told


class Windows:
    """The per-user limit: at most ``per_minute`` questions in any WINDOW_SECONDS (0: no limit)."""

    def __init__(
        self, engine: Engine, per_minute: int, fallback: Fallback, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine, self.per_minute, self._fallback, self._clock = engine, per_minute, fallback, clock
        self._last_prune = float("-inf")

    def admit(self, user: str) -> Verdict:
        """Count a question from ``user`` (a hash) if it is within the limit. While the database is out
        of reach every question is admitted."""
        if self.per_minute == 0:
            return Verdict(True)
        return self._fallback("the per-user limit", Verdict(True), self._admit, user)

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
        """Forget the windows of users quiet for a whole window (every PRUNE_SECONDS)."""
        if time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        connection.execute(delete(windows).where(windows.c.last_asked < now - WINDOW_SECONDS))
