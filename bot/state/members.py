"""Who may read the documents when TANYA_ACCESS=members: members (users and allowed groups), the
invites that make users members, and non-members' requests for access."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.state.collections import read_back, stored
from bot.state.database import access_requests, insert_for, invites, members, reading

REQUEST_SECONDS = 86400.0  # a user may ask for access once a day
CODE_BYTES = 16  # an invite code's random bytes: 128 bits, 22 characters of A-Z a-z 0-9 _ -


@dataclasses.dataclass(frozen=True)
class Member:
    """A member as /members lists it."""

    id: int
    kind: str  # "user" or "group"
    name: str
    via: str  # "invite", "approved" or "allowed"
    added_by: int
    added_at: float
    collections: frozenset[str] | None = None  # what the member reads; None: every collection


@dataclasses.dataclass(frozen=True)
class Request:
    """A request for access, as the admins decide it."""

    user_id: int
    name: str
    language: str


class Joined(enum.Enum):
    """What ``/start <code>`` did."""

    JOINED = "joined"
    ALREADY = "already"  # a member already: the code is not used up
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED = "used"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class Members:
    """Members, invites and requests, shared by every replica (nothing is cached: a revocation holds
    on the next update, whichever replica handles it)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self._clock = engine, clock

    def admits(self, member_id: int) -> bool:
        """Whether ``member_id`` (a user, or a group's chat) is a member."""
        with reading(self.engine) as connection:
            return connection.execute(select(members.c.id).where(members.c.id == member_id)).first() is not None

    def add(self, member_id: int, kind: str, name: str, via: str, added_by: int) -> bool:
        """Make ``member_id`` a member; False when it is one already."""
        with self.engine.begin() as connection:
            return self._add(connection, member_id, kind, name, via, added_by)

    def _add(
        self, connection, member_id: int, kind: str, name: str, via: str, added_by: int, collections: str = ""
    ) -> bool:
        statement = insert_for(connection)(members).on_conflict_do_nothing(index_elements=["id"])
        added = connection.execute(
            statement.values(
                id=member_id,
                kind=kind,
                name=name,
                via=via,
                added_by=added_by,
                added_at=self._clock(),
                collections=collections,
            )
        )
        return added.rowcount == 1

    def remove(self, member_id: int) -> bool:
        """Remove a member; False when ``member_id`` is none."""
        with self.engine.begin() as connection:
            return connection.execute(delete(members).where(members.c.id == member_id)).rowcount == 1

    def listing(self) -> list[Member]:
        """Every member, groups first, then users, each by when they were added."""
        with reading(self.engine) as connection:
            rows = connection.execute(select(members).order_by(members.c.kind, members.c.added_at)).all()
        return [
            Member(row.id, row.kind, row.name, row.via, row.added_by, row.added_at, read_back(row.collections))
            for row in rows
        ]

    def collections_of(self, member_id: int) -> frozenset[str] | None:
        """The collections ``member_id`` reads: those their invite named or admins granted; None for every
        one (also for no member: the gate keeps non-members out)."""
        with reading(self.engine) as connection:
            return read_back(
                connection.execute(select(members.c.collections).where(members.c.id == member_id)).scalar()
            )

    def grant(self, member_id: int, collections: frozenset[str] | None) -> bool:
        """``member_id`` reads ``collections`` from now on (None: every one); False when no such member."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(members).where(members.c.id == member_id).values(collections=stored(collections))
            )
            return changed.rowcount == 1

    # ---- invites -----------------------------------------------------------------------------

    def invite(self, created_by: int, uses: int, days: float, collections: frozenset[str] | None = None) -> str:
        """A new invite code, good for ``uses`` joins within ``days``, whose members read ``collections``
        (None: every one); only its hash is stored."""
        code = secrets.token_urlsafe(CODE_BYTES)
        now = self._clock()
        with self.engine.begin() as connection:
            connection.execute(
                insert(invites).values(
                    code_hash=code_hash(code),
                    created_by=created_by,
                    created_at=now,
                    expires_at=now + days * 86400,
                    uses_left=uses,
                    collections=stored(collections),
                )
            )
        return code

    def join(self, code: str, user_id: int, name: str) -> Joined:
        """Make ``user_id`` a member through the invite ``code``, using one of its uses."""
        now = self._clock()
        with self.engine.begin() as connection:
            if connection.execute(select(members.c.id).where(members.c.id == user_id)).first() is not None:
                return Joined.ALREADY
            row = connection.execute(
                select(invites).where(invites.c.code_hash == code_hash(code)).with_for_update()
            ).first()
            if row is None:
                return Joined.UNKNOWN
            if row.revoked:
                return Joined.REVOKED
            if row.expires_at <= now:
                return Joined.EXPIRED
            if row.uses_left <= 0:
                return Joined.USED
            connection.execute(
                update(invites).where(invites.c.code_hash == row.code_hash).values(uses_left=row.uses_left - 1)
            )
            self._add(connection, user_id, "user", name, "invite", row.created_by, row.collections)
            return Joined.JOINED

    def revoke_invite(self, code: str) -> bool:
        """Revoke the invite ``code``; False when there is no such invite."""
        with self.engine.begin() as connection:
            revoked = update(invites).where(invites.c.code_hash == code_hash(code)).values(revoked=1)
            return connection.execute(revoked).rowcount == 1

    # ---- requests for access -----------------------------------------------------------------

    def request(self, user_id: int, name: str, language: str) -> bool:
        """Record ``user_id``'s request for access; False when they asked within REQUEST_SECONDS."""
        now = self._clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(access_requests.c.asked_at).where(access_requests.c.user_id == user_id).with_for_update()
            ).first()
            if row is not None and row.asked_at > now - REQUEST_SECONDS:
                return False
            values = dict(name=name, language=language, asked_at=now, decision=0)
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(insert(access_requests).values(user_id=user_id, **values))
                except IntegrityError:  # the same user's press on another replica, at the same moment
                    return False
            else:
                connection.execute(update(access_requests).where(access_requests.c.user_id == user_id).values(**values))
            return True

    def decide(self, user_id: int, allow: bool, admin_id: int) -> Request | None:
        """An admin's decision on ``user_id``'s pending request (allowed: a member now); None when no
        request of theirs is pending (another admin decided it)."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(access_requests)
                .where(access_requests.c.user_id == user_id, access_requests.c.decision == 0)
                .with_for_update()
            ).first()
            if row is None:
                return None
            connection.execute(
                update(access_requests).where(access_requests.c.user_id == user_id).values(decision=1 if allow else -1)
            )
            if allow:
                self._add(connection, user_id, "user", row.name, "approved", admin_id)
            return Request(row.user_id, row.name, row.language)
