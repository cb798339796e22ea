"""How fast one user may ask: a sliding minute per user, so that one flooding user cannot slow everyone else."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_WINDOW = 60.0  # seconds
_FORGET_AFTER_USERS = 10_000  # past this many users, those quiet for a whole window are forgotten


@dataclass(frozen=True)
class Verdict:
    """Whether a question may be answered; if not, how long to wait and whether to say so."""

    admitted: bool
    wait: float = 0.0
    tell: bool = False  # the first refusal since the user was last told


class UserRateLimit:
    """At most ``per_minute`` questions from one user in any 60 seconds; 0 means no limit."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._told_until: dict[int, float] = {}

    def admit(self, user_id: int) -> Verdict:
        """Count a question from ``user_id`` if it is within the limit."""
        if self.per_minute == 0:
            return Verdict(True)
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - _WINDOW:
            asked.popleft()
        if len(asked) < self.per_minute:
            asked.append(now)
            if len(self._asked) > _FORGET_AFTER_USERS:
                self._forget_quiet_users(now)
            return Verdict(True)
        wait = asked[0] + _WINDOW - now
        tell = self._told_until.get(user_id, 0.0) <= now
        if tell:
            self._told_until[user_id] = now + wait
        return Verdict(False, wait, tell)

    def _forget_quiet_users(self, now: float) -> None:
        for user_id in [user for user, asked in self._asked.items() if not asked or asked[-1] <= now - _WINDOW]:
            del self._asked[user_id]
            self._told_until.pop(user_id, None)
