"""Only one sender at a time: a PostgreSQL advisory lock, or a lease row with an expiry on SQLite.

The lock is taken for one pass and released after it; a process that dies loses it (PostgreSQL
closes its session, the SQLite lease runs out), so a standby scheduler takes over on its next minute.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.dialects import sqlite

from ..dates import utcnow
from ..extensions import db
from ..models import SchedulerLease

# Any fixed 64-bit number, the same in every process of this application.
ADVISORY_LOCK_KEY = 7_202_405_001
LEASE_NAME = "sender"


class Lock:
    def __init__(self, held: bool, renew=None, every: timedelta | None = None):
        self.held = held
        self._renew = renew
        self._every = every
        self._renewed = utcnow()

    def renew(self) -> bool:
        """Keep the lock (a lease is extended once a third of it has passed); False when it was lost."""
        if not self.held or self._renew is None:
            return self.held
        if utcnow() - self._renewed >= self._every:
            self.held = self._renew()
            self._renewed = utcnow()
        return self.held


@contextlib.contextmanager
def sender_lock(holder: str, lease: timedelta = timedelta(minutes=2)) -> Iterator[Lock]:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar())
            connection.commit()
            try:
                yield Lock(held)
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    connection.commit()
        return

    def take() -> bool:
        now = utcnow()
        with engine.begin() as connection:
            connection.execute(
                sqlite.insert(SchedulerLease).values(name=LEASE_NAME, holder="", expires_at=None).on_conflict_do_nothing()
            )
            taken = connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME)
                .where(
                    (SchedulerLease.holder == "")
                    | (SchedulerLease.holder == holder)
                    | SchedulerLease.expires_at.is_(None)
                    | (SchedulerLease.expires_at < now)
                )
                .values(holder=holder, expires_at=now + lease)
            )
            return taken.rowcount == 1

    held = take()
    try:
        yield Lock(held, renew=take if held else None, every=lease / 3)
    finally:
        if held:
            with engine.begin() as connection:
                connection.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
                    .values(holder="", expires_at=None)
                )
