"""Secrets made once and shared by every replica through the database: the salt of user hashes and
the webhook's secret token."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import Engine, select

from bot.state.database import insert_for, secrets_table

SALT = "user-salt"
WEBHOOK_SECRET = "webhook-secret"


def shared_secret(engine: Engine, name: str, fresh: bytes) -> bytes:
    """The secret ``name``: ``fresh`` if none is stored yet (the first replica to ask stores it), else the
    stored one, so every replica gets the same."""
    with engine.begin() as connection:
        statement = insert_for(connection)(secrets_table).on_conflict_do_nothing(index_elements=["name"])
        connection.execute(statement.values(name=name, value=fresh))
        return bytes(connection.execute(select(secrets_table.c.value).where(secrets_table.c.name == name)).scalar_one())


def salt(engine: Engine, legacy: Path | None) -> bytes:
    """The salt of user hashes (taken from a one-machine install's file, where one was kept)."""
    fresh = legacy.read_bytes() if legacy is not None and legacy.exists() else secrets.token_bytes(32)
    return shared_secret(engine, SALT, fresh)


def webhook_secret(engine: Engine) -> str:
    """The secret token Telegram sends with every webhook request, when TANYA_WEBHOOK_SECRET does not
    name one: 43 characters of A-Z a-z 0-9 _ - (256 random bits)."""
    return shared_secret(engine, WEBHOOK_SECRET, secrets.token_urlsafe(32).encode()).decode()
