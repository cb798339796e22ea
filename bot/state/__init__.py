"""Everything the bot keeps between updates, in the one database all replicas share, one module per
kind of record: the history (``history``), what buttons refer to (``kept``), each user's question
window (``windows``), leases (``leases``), handled webhook updates (``deliveries``), members and
invites (``members``), the answers admins taught (``taught``), the help desk's tickets (``tickets``), and
shared secrets (``keys``). Nothing is cached in a process, so any
replica can handle any update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from bot.state.collections import Bindings
from bot.state.database import Fallback, default_url, open_database
from bot.state.deliveries import Deliveries
from bot.state.history import History
from bot.state.kept import Kept
from bot.state.keys import salt, webhook_secret
from bot.state.leases import Leases
from bot.state.members import Members
from bot.state.taught import Taught
from bot.state.tickets import Tickets
from bot.state.windows import Windows
from config import Settings

SALT_FILE = "history-salt"  # where a one-machine install kept its salt before the database held it


class State:
    """The shared state of one bot: in ``engine``'s database, for as many replicas as run."""

    def __init__(
        self,
        engine: Engine,
        history_days: int,
        per_minute: int,
        salt_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.fallback = Fallback()  # counts what was done without the database while it was out of reach
        self.history = History(engine, history_days, salt(engine, salt_file))
        self.kept = Kept(engine, self.fallback, clock)
        self.windows = Windows(engine, per_minute, self.fallback, clock)
        self.leases = Leases(engine, clock)
        self.deliveries = Deliveries(engine, clock)
        self.members = Members(engine, clock)
        self.bindings = Bindings(engine, clock)
        self.taught = Taught(engine, clock)
        self.tickets = Tickets(engine, clock)

    @classmethod
    def open(cls, url: str | None, data_dir: Path, history_days: int, per_minute: int) -> State:
        """The state at ``url`` (default: the SQLite file in ``data_dir``); raises bot.state.database.DatabaseError."""
        return cls(open_database(url or default_url(data_dir)), history_days, per_minute, data_dir / SALT_FILE)

    def close(self) -> None:
        self.taught.stop()
        self.history.close()
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers (readiness)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def webhook_secret(self) -> str:
        """The webhook's secret token when TANYA_WEBHOOK_SECRET names none: made once, shared by the replicas."""
        return webhook_secret(self.engine)


def open_state(settings: Settings) -> State:
    """The shared state ``settings`` name; raises bot.state.database.DatabaseError (one line naming the setting)."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return State.open(url, settings.data_dir, settings.history_days, settings.questions_per_minute)
