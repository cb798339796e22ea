"""One background loop for what follows a shared store (the index another replica published, the taught
answers): a check every few seconds, in a daemon thread, that outlives the store being out of reach."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Poller:
    """Calls ``check`` every ``every`` seconds in a daemon thread, from ``start`` until ``stop``.

    A check that raises is logged (once, with its traceback, until a check succeeds again) and tried
    again next round: following a store must never stop because the store was away for a while.

    Args:
        what: what the check does, for the log ("follow the index store").
        check: called with no arguments.
        every: seconds between the end of one check and the start of the next.
        now: make the first check at once (else after ``every`` seconds).
    """

    def __init__(self, what: str, check: Callable[[], object], every: float, now: bool = False) -> None:
        self.what, self.check, self.every, self.now = what, check, every, now
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start checking (once: a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.what, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop after the check under way, if any; the thread is not waited for."""
        self._stopped.set()

    def _loop(self) -> None:
        failing = False
        if not self.now and self._stopped.wait(self.every):
            return
        while True:
            try:
                self.check()
            except Exception:  # noqa: BLE001 - logged; the next round tries again
                if not failing:
                    logger.warning("could not %s; trying again every %g s", self.what, self.every, exc_info=True)
                failing = True
            else:
                if failing:
                    logger.info("could %s again", self.what)
                failing = False
            if self._stopped.wait(self.every):
                return
