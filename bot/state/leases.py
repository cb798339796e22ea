"""Leases: one holder at a time across replicas (the reindex); a dead holder's lease expires."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.state.database import leases

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # a lease not renewed for this long is free (its holder died); renewed every third of it


class Lease:
    """A held lease, renewed in the background until ``release()``."""

    def __init__(self, leases_: Leases, name: str) -> None:
        self.name, self.holder, self._leases = name, leases_.holder, leases_
        self._released = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        while not self._released.wait(LEASE_SECONDS / 3):
            try:
                if not self._leases.claim(self.name):
                    logger.error("lost the %s lease (the database says another replica holds it)", self.name)
            except Exception as error:  # noqa: BLE001 - renewal is retried; the lease lasts LEASE_SECONDS
                logger.warning("could not renew the %s lease: %s", self.name, error)

    def release(self) -> None:
        self._released.set()
        try:
            with self._leases.engine.begin() as connection:
                connection.execute(delete(leases).where(leases.c.name == self.name, leases.c.holder == self.holder))
        except Exception as error:  # noqa: BLE001 - it expires by itself
            logger.warning("could not release the %s lease (it expires in %.0f s): %s", self.name, LEASE_SECONDS, error)


class Leases:
    """This process's claims on the shared leases."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def take(self, name: str) -> Lease | None:
        """The lease ``name`` for this process, or None while another holder's has not expired."""
        return Lease(self, name) if self.claim(name) else None

    def claim(self, name: str) -> bool:
        """Take or renew the lease ``name``; False while another holder's has not expired."""
        now = self._clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name).with_for_update()
            ).first()
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(leases).values(name=name, holder=self.holder, expires_at=now + LEASE_SECONDS)
                        )
                    return True
                except IntegrityError:
                    return False
            if row.holder != self.holder and row.expires_at > now:
                return False
            if row.holder != self.holder:
                logger.warning("the %s lease of %s expired: taking it over", name, row.holder)
            connection.execute(
                update(leases).where(leases.c.name == name).values(holder=self.holder, expires_at=now + LEASE_SECONDS)
            )
            return True
