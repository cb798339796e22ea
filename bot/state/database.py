"""The one database every replica shares: its URL, its tables, and the migrations between schema versions.

``TANYA_DATABASE_URL`` names it: by default a SQLite file in the data folder (one machine), or
``postgresql://user:password@host/name`` (any number of replicas). Reached through SQLAlchemy Core,
so one schema serves both. The schema version is a row of ``schema_version``; each migration runs
whole or not at all, and only one process migrates at a time (PostgreSQL: an advisory lock;
SQLite: its write lock).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.metrics import DATABASE_ERRORS
from config import SettingsError

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.sqlite3"
BUSY_SECONDS = 2.0  # how long a write waits for another process's lock before it is retried later
CONNECT_SECONDS = 5  # how long opening a connection to a database server may take
_READ_ONLY = "tanya_read_only"  # execution option of the transactions ``reading`` opens

metadata = MetaData()

# Schema 1 (tanya's first: the history).
questions = Table(
    "questions",
    metadata,
    Column("ref", Text, primary_key=True),  # the answer's id, as its vote buttons name it
    Column("asked_at", Float, nullable=False),  # Unix time
    Column("chat_type", Text, nullable=False),  # private, group, supergroup, channel or inline
    Column("language", Text, nullable=False),  # the asker's Telegram language, as the bot replied in
    Column("user", Text, nullable=False),  # salted hash of the asker's id
    Column("question", Text, nullable=False),
    Column("document", Text),  # the passage chosen: its document, section and paragraph
    Column("section", Integer),
    Column("paragraph", Integer),
    Column("confidence", Float, nullable=False),
    Column("not_sure", Integer, nullable=False),
    Column("seconds", Float, nullable=False),  # time taken to find the answer
    Column("vector", LargeBinary),  # the question's float32 vector, to group near-duplicates
    Column("source", String(16), nullable=False, server_default="documents"),  # schema 4: or "taught"
    Index("questions_by_time", "asked_at"),
    Index("questions_by_user", "user"),
)
votes = Table(
    "votes",
    metadata,
    Column("ref", Text, ForeignKey("questions.ref", ondelete="CASCADE"), primary_key=True),
    Column("user", Text, primary_key=True),
    Column("vote", Integer, nullable=False),  # 1: helpful, -1: not
    Column("voted_at", Float, nullable=False),
    Index("votes_by_user", "user"),
)
daily = Table(
    "daily",
    metadata,
    Column("day", Text, primary_key=True),  # the server's local date, YYYY-MM-DD
    Column("document", Text, primary_key=True),  # '' when no passage was found
    Column("questions", Integer, nullable=False, server_default="0"),
    Column("not_sure", Integer, nullable=False, server_default="0"),
    Column("helpful", Integer, nullable=False, server_default="0"),
    Column("unhelpful", Integer, nullable=False, server_default="0"),
    Column("seconds", Float, nullable=False, server_default="0"),
    Column("taught", Integer, nullable=False, server_default="0"),  # schema 4: answered from taught answers
)

# Schema 2: what replicas share besides the history.
secrets_table = Table(
    "secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)
kept = Table(  # what buttons refer to: answers to page through and vote on, uploads awaiting "Replace?"
    "kept",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("kept_at", Float, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("votes", Text, nullable=False, server_default="{}"),  # JSON: user hash → 1 or -1
    Index("kept_by_age", "chat_id", "kind", "kept_at"),
)
windows = Table(  # each user's questions of the last minute, for the per-user limit
    "windows",
    metadata,
    Column("user", Text, primary_key=True),  # salted hash
    Column("asked", Text, nullable=False),  # JSON list of Unix times
    Column("told_until", Float, nullable=False, server_default="0"),
    Column("last_asked", Float, nullable=False),
)
leases = Table(  # one holder at a time across replicas (the reindex); a dead holder's lease expires
    "leases",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)
deliveries = Table(  # webhook updates already handled, so that one re-delivered is not answered twice
    "deliveries",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("handled_at", Float, nullable=False),  # when claimed, then when handled
    Column("done", Integer, nullable=False, server_default="1"),  # schema 5: 0 while claimed, 1 once handled
)

# Schema 3: who may read the documents (TANYA_ACCESS=members).
members = Table(  # users who joined or were approved, and groups an admin allowed
    "members",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # a user's id, or a group's chat id (< 0)
    Column("kind", String(8), nullable=False),  # "user" or "group"
    Column("name", Text, nullable=False),  # as Telegram showed it when added
    Column("via", String(16), nullable=False),  # "invite", "approved" or "allowed" (a group)
    Column("added_by", BigInteger, nullable=False),  # the admin who made the invite, approved or allowed
    Column("added_at", Float, nullable=False),
    Column("collections", Text, nullable=False, server_default=""),  # schema 8: JSON list read; "": every one
)
invites = Table(
    "invites",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # SHA-256 of the code: the code itself is never stored
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("uses_left", Integer, nullable=False),
    Column("revoked", Integer, nullable=False, server_default="0"),
    Column("collections", Text, nullable=False, server_default=""),  # schema 8: what its members read; "": all
)
access_requests = Table(  # a non-member's request for access, and the admins' decision on it
    "access_requests",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("language", String(16), nullable=False),  # the asker's Telegram language, to tell them the outcome
    Column("asked_at", Float, nullable=False),
    Column("decision", Integer, nullable=False, server_default="0"),  # 0: pending, 1: allowed, -1: denied
)
# Schema 4: the answers admins taught (embeddings.search.taught), each with one or more questions.
taught_answers = Table(
    "taught_answers",
    metadata,
    Column("id", Integer, primary_key=True),  # never reused (AUTOINCREMENT): replicas notice every change
    Column("answer", Text, nullable=False),
    Column("taught_by", BigInteger, nullable=False),  # the admin's Telegram id (0: imported from a file)
    Column("taught_at", Float, nullable=False),
    Column("collections", Text, nullable=False, server_default=""),  # schema 8: JSON list given to; "": everyone
    sqlite_autoincrement=True,
)
taught_questions = Table(
    "taught_questions",
    metadata,
    Column("taught_id", Integer, ForeignKey("taught_answers.id", ondelete="CASCADE"), primary_key=True),
    Column("question", Text, primary_key=True),
)
# Schema 5: claims on webhook updates (deliveries.done), and the taught answers' revision.
taught_revision = Table(  # one row, bumped in the transaction of every change to taught answers
    "taught_revision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("revision", BigInteger, nullable=False),
)
# Schema 6: the help desk (bot.state.tickets): its group, its tickets, and the messages of each ticket.
helpdesk = Table(  # one row while a group is the help desk
    "helpdesk",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger),  # the forum topic, if it was set in one
    Column("set_by", BigInteger, nullable=False),
    Column("set_at", Float, nullable=False),
)
tickets = Table(  # a question handed to a person; the asker's chat and name are kept to bring the answer back
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),  # the ticket number people see
    Column("asker_chat_id", BigInteger, nullable=False),
    Column("asker_id", BigInteger, nullable=False),
    Column("asker_name", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("question", Text, nullable=False),
    Column("question_message_id", BigInteger),
    Column("guess", Text, nullable=False, server_default=""),
    Column("group_chat_id", BigInteger, nullable=False),
    Column("group_message_id", BigInteger),
    Column("opened_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("answered_at", Float),
    Column("answer", Text, nullable=False, server_default=""),
    Column("closed_at", Float),
    Column("reminded", Integer, nullable=False, server_default="0"),
    Column("note", Text, nullable=False, server_default=""),
    Index("tickets_by_asker", "asker_chat_id", "closed_at"),
    sqlite_autoincrement=True,
)
ticket_messages = Table(  # the messages of a ticket, in the group and in the asker's chat: a reply continues it
    "ticket_messages",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
)
# Schema 7: wordings people used for a taught answer they were offered (bot.state.taught), to learn from.
taught_suggestions = Table(
    "taught_suggestions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("taught_id", Integer, ForeignKey("taught_answers.id", ondelete="CASCADE"), nullable=False),
    Column("question", Text, nullable=False),  # the wording, as asked
    Column("state", String(16), nullable=False),  # tapped (until confirmed), suggested, or rejected
    Column("user", Text, nullable=False),  # salted hash of who tapped the offered answer
    Column("chat_id", BigInteger, nullable=False),  # the chat and the kept answer it was tapped under
    Column("answer_id", String(16), nullable=False),
    Column("at", Float, nullable=False),  # when it was tapped
    Index("suggestions_by_answer", "chat_id", "answer_id"),
    Index("suggestions_by_state", "state", "at"),
    sqlite_autoincrement=True,
)
# Schema 8: which collections (embeddings.collections) a group reads (bot.state.collections).
chat_collections = Table(  # a group an admin bound with /collection: it reads only these
    "chat_collections",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("collections", Text, nullable=False),  # JSON list of names
    Column("set_by", BigInteger, nullable=False),
    Column("set_at", Float, nullable=False),
)
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

# Each entry migrates the schema from its position's version to the next: tables to create, and
# columns to add to tables of an earlier schema (a table created since has them already).
_MIGRATIONS: list[tuple[Table | Column, ...]] = [
    (questions, votes, daily),
    (secrets_table, kept, windows, leases, deliveries),
    (members, invites, access_requests),
    (questions.c.source, daily.c.taught, taught_answers, taught_questions),
    (deliveries.c.done, taught_revision),
    (helpdesk, tickets, ticket_messages),
    (taught_suggestions,),
    (chat_collections, members.c.collections, invites.c.collections, taught_answers.c.collections),
]
SCHEMA_VERSION = len(_MIGRATIONS)


class DatabaseError(SettingsError):
    """The database cannot be used; the message names ``TANYA_DATABASE_URL`` and says why, in one line."""


class Fallback:
    """Runs what may go on without the database: ``fallback(what, default, call, *args)`` is
    ``call(*args)``, or ``default`` (logged and counted in ``count``) while the database is out of reach."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, what: str, default, call, *args):
        try:
            return call(*args)
        except SQLAlchemyError as error:
            self.count += 1
            DATABASE_ERRORS.inc()
            logger.warning("state: %s skipped (%d in all), the database failed: %s", what, self.count, reason(error))
            return default


def default_url(data_dir: Path) -> str:
    """The one-machine database: a SQLite file in the data folder."""
    return f"sqlite:///{data_dir / HISTORY_FILE}"


def open_database(url: str, *, migrated: bool = True) -> Engine:
    """An engine for ``url`` (migrated to this tanya's schema unless ``migrated`` is False); a
    DatabaseError names the setting when the URL is malformed or the database unreachable."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(
            "TANYA_DATABASE_URL: not a database URL (expected sqlite:///PATH or postgresql://…)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            # Commits are not waited on to reach the disk (as SQLite's synchronous = NORMAL below): the
            # writes on an answer's path are small and many, and a server crash may lose the last
            # fraction of a second of them (a kept answer's buttons then say "ask again"), never
            # corrupt them.
            engine = create_engine(
                parsed,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                connect_args={"connect_timeout": CONNECT_SECONDS, "options": "-c synchronous_commit=off"},
            )
        except ImportError:
            raise DatabaseError(
                "TANYA_DATABASE_URL: PostgreSQL needs its driver: pip install 'tanya[replicas]'"
            ) from None
    else:
        raise DatabaseError(f"TANYA_DATABASE_URL: {parsed.get_backend_name()} is not supported (sqlite or postgresql)")
    if migrated:
        try:
            with engine.begin() as connection:
                migrate(connection)
        except (SQLAlchemyError, DatabaseError) as error:
            engine.dispose()
            raise DatabaseError(f"TANYA_DATABASE_URL: cannot use {_shown(parsed)} ({reason(error)})") from None
    return engine


def _sqlite_engine(url, poolclass=None) -> Engine:
    if url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS}, poolclass=poolclass)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")  # WAL + NORMAL: a crash loses at most the last commits

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A transaction that may write takes the write lock at once: one that reads and then writes
        # (a user's window, a lease) must not find another process's write in between. One that
        # only reads (see ``reading``) takes no lock: in WAL mode it never waits for a writer.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads (on SQLite it takes no write lock, so it never waits for a writer)."""
    with engine.connect() as connection:
        connection.execution_options(**{_READ_ONLY: True})
        with connection.begin():
            yield connection


def unpooled(engine: Engine) -> Engine:
    """``engine``'s database, a new connection per transaction (SQLite; a server's engine is returned
    as it is). For the history writer: a connection kept open in a pool would go on writing into a
    file replaced or damaged under it, where a new one notices."""
    return _sqlite_engine(engine.url, NullPool) if engine.dialect.name == "sqlite" else engine


def migrate(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7420001)"))  # one migrating replica at a time
    version = _version(connection)
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"the database has schema {version}, newer than this tanya's {SCHEMA_VERSION}")
    for number in range(version, SCHEMA_VERSION):
        for change in _MIGRATIONS[number]:
            if isinstance(change, Table):
                change.create(connection)
            elif change.name not in {column["name"] for column in inspect(connection).get_columns(change.table.name)}:
                _add_column(connection, change)
    if 0 < version < SCHEMA_VERSION:
        logger.info("database migrated from schema %d to %d", version, SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        connection.execute(schema_version.delete())
        connection.execute(schema_version.insert().values(version=SCHEMA_VERSION))


def _add_column(connection: Connection, column: Column) -> None:
    preparer = connection.dialect.identifier_preparer
    kind = column.type.compile(dialect=connection.dialect)
    default = f" NOT NULL DEFAULT '{column.server_default.arg}'" if column.server_default is not None else ""
    connection.execute(
        text(
            f"ALTER TABLE {preparer.quote(column.table.name)} ADD COLUMN {preparer.quote(column.name)} {kind}{default}"
        )
    )


def _version(connection: Connection) -> int:
    tables = set(inspect(connection).get_table_names())
    if "schema_version" in tables:
        return connection.execute(select(schema_version.c.version)).scalar_one()
    schema_version.create(connection)
    if connection.dialect.name == "sqlite":  # a history file from before schema_version: PRAGMA user_version
        return connection.exec_driver_sql("PRAGMA user_version").scalar_one()
    return 0


def _shown(url) -> str:
    """The URL without its password, for messages and logs."""
    return url.render_as_string(hide_password=True)


def insert_for(connection: Connection):
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    return postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert


def reason(error: BaseException) -> str:
    """A database error's first line, without SQLAlchemy's background links."""
    if isinstance(error, DatabaseError):
        return str(error)
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database is briefly out of reach (a SQLite file locked by another
    process; a server restarting or out of the network's reach) rather than wrong or damaged."""
    original = getattr(error, "orig", None)
    if isinstance(original, sqlite3.Error):
        return isinstance(original, sqlite3.OperationalError) and ("locked" in str(original) or "busy" in str(original))
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def is_damaged(error: BaseException) -> bool:
    """Whether ``error`` says a SQLite file is damaged (overwritten, truncated, its WAL unreadable)."""
    original = getattr(error, "orig", None)
    return isinstance(original, sqlite3.DatabaseError) and (
        not isinstance(original, sqlite3.OperationalError) or "disk I/O error" in str(original)
    )
